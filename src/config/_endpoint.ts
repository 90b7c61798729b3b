/**
 * Checks the address forms the config files accept (spec cybertrace-service.md §3.2,
 * log-scanner.md §3.2): `host:port`, `[IPv6]:port`, a Unix socket path (`/…`, `./…`, `../…`,
 * `unix:…`), `\\.\pipe\name` (or `//./pipe/name`). Same forms as src/service/parse_endpoint.ts.
 */

/** Why `value` is not `host:port` / `[IPv6]:port`, or undefined when it is. */
export function hostPortProblem(value: string): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]/]+):(\d{1,5})$/.exec(value);
  if (!match) return "host:port or [IPv6]:port";
  if (Number(match[2]) > 65535) return "a port from 0 to 65535";
  return undefined;
}

/** Why `value` is not a listen/connect address, or undefined when it is. */
export function endpointProblem(value: string): string | undefined {
  if (/^(?:\\\\\.\\pipe\\|\/\/\.\/pipe\/)./.test(value)) return undefined;
  if (/^(?:\/|\.\/|\.\.\/|unix:.)/.test(value)) return undefined;
  return hostPortProblem(value) === undefined ? undefined : "host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name";
}

/** Why `value` is not a detection target, or undefined when it is (adds tcp://, udp://, file:). */
export function targetProblem(value: string): string | undefined {
  const scheme = /^(tcp|udp):\/\/(.*)$/.exec(value);
  if (scheme) return hostPortProblem(scheme[2] ?? "") === undefined ? undefined : `${scheme[1]}://host:port`;
  if (/^file:(?:\/\/)?./.test(value)) return undefined;
  return endpointProblem(value) === undefined
    ? undefined
    : "host:port, [IPv6]:port, tcp://host:port, udp://host:port, file:PATH, a Unix socket path or \\\\.\\pipe\\name";
}
