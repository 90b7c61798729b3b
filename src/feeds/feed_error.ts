/**
 * Thrown by a feed reader when a feed cannot be read any further: a file that is not the
 * format its config says, truncated JSON, corrupt gzip, a column name the header lacks.
 * Record-level problems are not errors: readers report those through `onSkip` and go on.
 * Entries yielded before the error stay yielded, so a truncated feed loads what parsed.
 */
export class FeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FeedError";
  }
}
