/** Hands one entry to a reader's sink and reports a refusal where the entry came from. */
import type { FeedEntry } from "../matching/types.ts";
import type { FeedReadContext } from "./feed_reader.ts";

/**
 * `context.onEntry(entry)`; when the index refuses the entry, a skip at `${unit} ${position}`
 * (`line 12`). The position text is built only then: most entries are accepted.
 */
export function emitEntry(context: FeedReadContext, entry: FeedEntry, unit: string, position: number): void {
  const refused = context.onEntry(entry);
  if (refused !== undefined) context.onSkip({ where: `${unit} ${position}`, reason: refused });
}
