/**
 * The one loopback rule: the config parser asks it whether a status endpoint may go without
 * credentials, and `serve` asks it again only to tell the status app where it listens.
 */

/**
 * True for `localhost`, 127.0.0.0/8 written as four numbers, and `::1` (with or without the
 * brackets of `[::1]:port`): addresses only this machine can reach.
 *
 * @example
 * ```ts
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("[::1]"); // true
 * isLoopbackHost("0.0.0.0"); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
