/** Turns a node:fs error into the words a user reads after a path. */

/**
 * `permission denied`, `no such file or directory`: the OS reason without the code, syscall and
 * path that node:fs puts in its messages (the caller names the path itself).
 *
 * @example
 * ```ts
 * describeFsError(Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: "EACCES" })); // "permission denied"
 * ```
 */
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
    case "ELOOP":
      return "too many levels of symbolic links";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on device";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
