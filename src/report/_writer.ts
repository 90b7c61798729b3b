/** The contract between the report pipeline and each output format. */
import type { ReportRecord } from "./record.ts";
import type { SummaryFacts } from "./summary_lines.ts";

/** Totals known when the input is exhausted. */
export interface RunFacts {
  readonly summary: SummaryFacts;
  /** Detections written, per category, in first-seen order. */
  readonly byCategory: ReadonlyMap<string, number>;
  readonly rawLines: number;
  readonly badLines: number;
  readonly inputs: readonly string[];
}

/** Receives records one at a time; only `end` may print totals. */
export interface RecordWriter {
  write(r: ReportRecord): void | Promise<void>;
  /** A line that was not understood (only called with `--include-raw`). */
  raw?(text: string, where: string): void | Promise<void>;
  end(facts: RunFacts): void | Promise<void>;
}
