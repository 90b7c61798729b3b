/**
 * Expands the -p arguments into the files to scan: a file is taken as is, a folder gives its
 * files (sub-folders only with --recursive), filtered by --include/--exclude globs on the base
 * name, in name order so that reports are reproducible. A FIFO (process substitution included)
 * or a device named with -p is read as a stream like `-p -`; one met inside a folder is named
 * as skipped, since reading it could block or never end.
 *
 * Symbolic links are followed, so the same file or folder can be met under several names; each
 * is identified by its device and inode and listed once. A link back to a folder being listed
 * (`sub/loop -> ..`) is a loop: named once as a warning and not followed. Without that check a
 * loop link multiplied the scan (3 detections reported 123 times) and two links to `.` made the
 * listing endless.
 */
import { readdir, stat } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { basename, join } from "node:path";
import { globToRegExp } from "./match_glob.ts";
import { describeFsError } from "../io/describe_fs_error.ts";

export interface ListInputsOptions {
  readonly recursive: boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Stops the listing (Ctrl-C): `listInputs` then returns with `interrupted` set. */
  readonly signal?: AbortSignal;
}

/** The file system as the listing sees it; tests pass a wrapper, production the node:fs one. */
export interface ListFs {
  /** Follows symbolic links; `bigint` inodes, as 64-bit inode numbers do not fit a double. */
  readonly stat: (path: string) => Promise<BigIntStats>;
  readonly readdir: (path: string) => Promise<string[]>;
}

const nodeFs: ListFs = { stat: (path) => stat(path, { bigint: true }), readdir: (path) => readdir(path) };

export interface InputProblem {
  readonly path: string;
  readonly message: string;
}

/** A link back to a folder being listed: `path` leads to `target`. */
export interface InputLoop {
  readonly path: string;
  readonly target: string;
}

export interface ListedInputs {
  readonly files: string[];
  /** Total size of `files` in bytes (for the progress line). */
  readonly totalBytes: number;
  /** Paths that could not be read: named, then skipped (they make the scan partial). */
  readonly problems: InputProblem[];
  /** Directory loops met and not followed: named, but nothing was lost. */
  readonly loops: InputLoop[];
  /**
   * Paths named on the command line that do not exist (a typo, most likely). When there are any,
   * nothing else is listed: the caller stops with a usage error instead of scanning the rest.
   */
  readonly missing: string[];
  /** The signal fired before the listing was complete. */
  readonly interrupted: boolean;
}

/**
 * Files found under `paths` with their total size in bytes, every path that could not be read,
 * and every directory loop met.
 *
 * @example
 * ```ts
 * const { files, problems, loops } = await listInputs(["/var/log/proxy"], { recursive: true, include: ["*.log"], exclude: [] });
 * ```
 */
export async function listInputs(paths: readonly string[], options: ListInputsOptions, fs: ListFs = nodeFs): Promise<ListedInputs> {
  const include = options.include.map(globToRegExp);
  const exclude = options.exclude.map(globToRegExp);
  const wanted = (name: string) => (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
  const files: string[] = [];
  let totalBytes = 0;
  const problems: InputProblem[] = [];
  const loops: InputLoop[] = [];
  /** Every file and folder listed so far, as `device:inode`. */
  const seen = new Set<string>();
  /** The folders being listed, from the outermost in: a link to one of them is a loop. */
  const open = new Map<string, string>();
  const signal = options.signal;

  /** Lists `path`; `known` is its stat when the caller has it already (a command-line path). */
  async function visit(path: string, explicit: boolean, known?: BigIntStats): Promise<void> {
    if (signal?.aborted) return;
    let info: BigIntStats;
    try {
      info = known ?? (await fs.stat(path));
    } catch (error) {
      problems.push({ path, message: describeFsError(error) });
      return;
    }
    const key = `${info.dev}:${info.ino}`;
    if (info.isDirectory()) {
      if (!explicit && !options.recursive) return;
      const ancestor = open.get(key);
      if (ancestor !== undefined) {
        loops.push({ path, target: ancestor });
        return;
      }
      if (seen.has(key)) return;
      seen.add(key);
      let names: string[];
      try {
        names = await fs.readdir(path);
      } catch (error) {
        problems.push({ path, message: describeFsError(error) });
        return;
      }
      names.sort();
      open.set(key, path);
      for (const name of names) await visit(join(path, name), false);
      open.delete(key);
      return;
    }
    if (!explicit && !wanted(basename(path))) return;
    const kind = specialKind(info);
    // Inside a folder a FIFO could block the scan for good and a device never end: named, not read.
    const readable = kind === undefined || (explicit && kind !== "a socket");
    if (!readable) {
      problems.push({ path, message: `not a regular file (${kind})` });
      return;
    }
    if (seen.has(key)) return;
    seen.add(key);
    files.push(path);
    // A FIFO, process substitution or device named with -p is read as a stream, of unknown size.
    if (kind === undefined) totalBytes += Number(info.size);
  }

  // Every command-line path first: a missing one stops the scan before anything is listed.
  const roots: [string, BigIntStats | undefined][] = [];
  const missing: string[] = [];
  for (const path of paths) {
    const info = await fs.stat(path).catch((error: unknown) => {
      const code = (error as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR") missing.push(path);
      // Any other failure is met again, and named, when the path is visited.
      return undefined;
    });
    roots.push([path, info]);
  }
  if (missing.length === 0) for (const [path, info] of roots) await visit(path, true, info);
  return { files, totalBytes, problems, loops, missing, interrupted: signal?.aborted ?? false };
}

/** What a path that is neither a folder nor a regular file is, in words; undefined for a regular file. */
function specialKind(info: BigIntStats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isFIFO()) return "a FIFO";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSocket()) return "a socket";
  return "an unknown kind of file";
}
