/**
 * Expands the -p arguments into the files to scan: a file is taken as is, a folder gives its
 * files (sub-folders only with --recursive), filtered by --include/--exclude globs on the base
 * name, in name order so that reports are reproducible.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { globToRegExp } from "./match_glob.ts";

export interface ListInputsOptions {
  readonly recursive: boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

export interface InputProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Files found under `paths` with their total size in bytes (for the progress line), and every
 * path that could not be read (named, then skipped).
 */
export async function listInputs(paths: readonly string[], options: ListInputsOptions): Promise<{ files: string[]; totalBytes: number; problems: InputProblem[] }> {
  const include = options.include.map(globToRegExp);
  const exclude = options.exclude.map(globToRegExp);
  const wanted = (name: string) => (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
  const files: string[] = [];
  let totalBytes = 0;
  const problems: InputProblem[] = [];

  async function visit(path: string, explicit: boolean): Promise<void> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      problems.push({ path, message: describeFsError(error) });
      return;
    }
    if (info.isDirectory()) {
      if (!explicit && !options.recursive) return;
      let names: string[];
      try {
        names = await readdir(path);
      } catch (error) {
        problems.push({ path, message: describeFsError(error) });
        return;
      }
      names.sort();
      for (const name of names) await visit(join(path, name), false);
      return;
    }
    if (info.isFile() && (explicit || wanted(basename(path)))) {
      files.push(path);
      totalBytes += info.size;
    }
  }

  for (const path of paths) await visit(path, true);
  return { files, totalBytes, problems };
}

/** `permission denied`, `no such file or directory`: the OS reason without the stack. */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
