/**
 * Reads saved results from files, folders and stdin as a stream of classified lines. A text
 * report with a `.ndjson` sidecar beside it is read through the sidecar instead.
 */
import { basename, extname, join } from "node:path";
import { splitLines } from "../io/split_lines.ts";
import { type ParsedLine, parseReportLine } from "./parse_report_line.ts";

/** File-system access the reader needs; tests pass fakes, `runReport` passes node:fs. */
export interface ReportFs {
  openFile(path: string): AsyncIterable<Uint8Array>;
  /** `mtimeMs`, when given, dates the file's year-less time stamps (a report is not written before its events). */
  stat(path: string): Promise<{ isFile(): boolean; isDirectory(): boolean; mtimeMs?: number }>;
  readDir(path: string): Promise<string[]>;
}

/**
 * What the reader produces, in input order (in batches: one per chunk read): per input an
 * `input`, its lines, and an `end` saying whether its last byte was a line end (a report cut
 * off mid-write is not).
 */
export type ReportItem =
  | { kind: "line"; parsed: ParsedLine; text: string; where: string; problem?: string }
  | { kind: "input"; name: string; via?: string }
  | { kind: "end"; name: string; terminated: boolean }
  | { kind: "unreadable"; name: string; reason: string };

export interface ReadReportOptions {
  readonly fs: ReportFs;
  readonly stdin: AsyncIterable<Uint8Array>;
  readonly now: number;
  /** Prefer `x.ndjson` over `x.txt` when both exist (default true). */
  readonly sidecar?: boolean;
  /** Longest line kept, in bytes (default 4 MiB; the service itself cuts events at 64 KiB). */
  readonly maxLineBytes?: number;
}

const LF = 0x0a;

/** The name stdin is reported under. */
export const STDIN_NAME = "<stdin>";
/** File endings taken from a folder; a named file is always read. */
const FOLDER_EXTENSIONS = new Set([".txt", ".log", ".ndjson", ".jsonl", ".json"]);

/**
 * Reads `inputs` (paths, folders, `-` for stdin) line by line, yielding batches of items.
 *
 * @example Usage
 * ```ts
 * import { readReportItems } from "./read_report_items.ts";
 * for await (const batch of readReportItems(["reports/"], { fs, stdin, now: Date.now() })) {
 *   for (const item of batch) if (item.kind === "line" && item.parsed.kind === "detection") console.log(item.parsed.record.indicator);
 * }
 * ```
 */
export async function* readReportItems(inputs: readonly string[], options: ReadReportOptions): AsyncGenerator<ReportItem[]> {
  const { fs, now } = options;
  const maxLineBytes = options.maxLineBytes ?? 4 * 1024 * 1024;
  const seen = new Set<string>();
  for (const input of inputs) {
    if (input === "-") {
      yield [{ kind: "input", name: STDIN_NAME }];
      yield* readStream(STDIN_NAME, options.stdin, now, maxLineBytes);
      continue;
    }
    let files: string[];
    try {
      const st = await fs.stat(input);
      if (st.isDirectory()) {
        const names = (await fs.readDir(input)).filter((n) => !n.startsWith(".") && FOLDER_EXTENSIONS.has(extname(n))).sort();
        files = names.map((n) => join(input, n));
      } else {
        files = [input];
      }
    } catch (e) {
      yield [{ kind: "unreadable", name: input, reason: errorText(e) }];
      continue;
    }
    for (const file of files) {
      const chosen = options.sidecar === false ? file : await sidecarOf(file, fs);
      if (seen.has(chosen)) continue;
      seen.add(chosen);
      yield [{ kind: "input", name: chosen, via: chosen === file ? undefined : file }];
      try {
        const written = await fs.stat(chosen).then((st) => st.mtimeMs, () => undefined);
        yield* readStream(chosen, fs.openFile(chosen), written !== undefined && written > 0 ? written : now, maxLineBytes);
      } catch (e) {
        yield [{ kind: "unreadable", name: chosen, reason: errorText(e) }];
      }
    }
  }
}

async function* readStream(name: string, chunks: AsyncIterable<Uint8Array>, now: number, maxLineBytes: number): AsyncGenerator<ReportItem[]> {
  // An empty input counts as ended with a line end: nothing in it was cut.
  let lastByte = LF;
  const watched = (async function* () {
    for await (const chunk of chunks) {
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
      yield chunk;
    }
  })();
  yield* readLines(name, watched, now, maxLineBytes);
  yield [{ kind: "end", name, terminated: lastByte === LF }];
}

async function* readLines(name: string, chunks: AsyncIterable<Uint8Array>, now: number, maxLineBytes: number): AsyncGenerator<ReportItem[]> {
  for await (const lines of splitLines(chunks, { maxLineBytes })) {
    const items: ReportItem[] = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const where = `${name}:${line.lineNo}`;
      const parsed: ParsedLine = line.problem && line.text === "" ? { kind: "bad", reason: line.problem } : parseReportLine(line.text, { now, origin: where });
      items[i] = { kind: "line", parsed, text: line.text, where, problem: line.text === "" ? undefined : line.problem };
    }
    yield items;
  }
}

/** `report.txt` → `report.ndjson` when that file exists. */
async function sidecarOf(file: string, fs: ReportFs): Promise<string> {
  if (extname(file) !== ".txt") return file;
  const candidate = join(file.slice(0, file.length - basename(file).length), `${basename(file, ".txt")}.ndjson`);
  try {
    if ((await fs.stat(candidate)).isFile()) return candidate;
  } catch {
    // No sidecar: read the text report.
  }
  return file;
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") return "no such file or folder";
    if (code === "EACCES") return "permission denied";
    if (code === "EISDIR") return "is a folder";
    return e.message;
  }
  return String(e);
}
