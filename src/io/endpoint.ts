/**
 * The one grammar of addresses (docs/configuration.md, "Addresses"): `host:port`,
 * `[IPv6]:port`, `tcp://host:port`, `udp://host:port`, `file:PATH`, a Unix socket path (`/…`,
 * `./…`, `../…`, `unix:…`) and a Windows pipe (`\\.\pipe\name` or `//./pipe/name`). The config
 * parsers check each element against the forms it accepts (`endpointProblem`), and `serve` and
 * `scan` parse the same text with the same rules (`parseEndpoint`), so an address the config
 * accepted always parses.
 */

export type Endpoint =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "udp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "pipe"; readonly path: string }
  | { readonly kind: "file"; readonly path: string };

/** Thrown for an address that none of the forms accepts; `port` when only the port is wrong. */
export class EndpointError extends Error {
  override readonly name = "EndpointError";
  constructor(
    message: string,
    readonly problem: "form" | "port" = "form",
  ) {
    super(message);
  }
}

const PIPE_PREFIXES = ["\\\\.\\pipe\\", "//./pipe/"];
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):([^:]*)$/;

/**
 * Parses any address form; throws EndpointError naming the text and what was expected.
 *
 * @example
 * ```ts
 * parseEndpoint("127.0.0.1:9999"); // { kind: "tcp", host: "127.0.0.1", port: 9999 }
 * parseEndpoint("udp://[::1]:514"); // { kind: "udp", host: "::1", port: 514 }
 * parseEndpoint("file://"); // throws EndpointError: invalid address: "file://" names no file
 * ```
 */
export function parseEndpoint(text: string): Endpoint {
  const value = text.trim();
  const pipe = PIPE_PREFIXES.find((prefix) => value.startsWith(prefix));
  if (pipe !== undefined) {
    nonEmpty(value, value.slice(pipe.length), "pipe");
    return { kind: "pipe", path: value };
  }
  if (value.startsWith("unix:")) return { kind: "unix", path: nonEmpty(value, value.slice(5), "socket") };
  if (value.startsWith("/") || value.startsWith("./") || value.startsWith("../")) return { kind: "unix", path: value };
  if (value.startsWith("file:")) return { kind: "file", path: nonEmpty(value, value.slice(value.startsWith("file://") ? 7 : 5), "file") };
  if (value.startsWith("tcp://")) return { kind: "tcp", ...splitHostPort(value.slice(6), text) };
  if (value.startsWith("udp://")) return { kind: "udp", ...splitHostPort(value.slice(6), text) };
  return { kind: "tcp", ...splitHostPort(value, text) };
}

function nonEmpty(value: string, rest: string, what: string): string {
  if (rest === "") throw new EndpointError(`invalid address: "${value}" names no ${what}`);
  return rest;
}

function splitHostPort(rest: string, original: string): { host: string; port: number } {
  const match = HOST_PORT.exec(rest);
  if (match === null) {
    const expected = rest.startsWith("[") ? "expected [ipv6]:port" : rest.split(":").length > 2 ? "write IPv6 as [ipv6]:port" : "expected host:port";
    throw new EndpointError(`invalid address: "${original}", ${expected}`);
  }
  const portText = match[3]!;
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new EndpointError(`invalid port in "${original}": got "${portText}", expected 0 to 65535`, "port");
  }
  return { host: match[1] ?? match[2]!, port: Number(portText) };
}

/** Which addresses a config element accepts: kinds, whether a `tcp://`-style scheme may be written, and the words its error uses. */
const FORMS = {
  /** StatusEndpoint > Listen. */
  hostPort: { kinds: ["tcp"], schemes: false, expected: "host:port or [IPv6]:port" },
  /** InputSettings > ConnectionString, the scanner's Connection. */
  listen: { kinds: ["tcp", "unix", "pipe"], schemes: false, expected: "host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name" },
  /** OutputSettings > ConnectionString and AlertConnectionString. */
  target: {
    kinds: ["tcp", "udp", "unix", "pipe", "file"],
    schemes: true,
    expected: "host:port, [IPv6]:port, tcp://host:port, udp://host:port, file:PATH, a Unix socket path or \\\\.\\pipe\\name",
  },
} as const satisfies Record<string, { readonly kinds: readonly Endpoint["kind"][]; readonly schemes: boolean; readonly expected: string }>;

export type EndpointForm = keyof typeof FORMS;

/**
 * What `value` should have been for a config element of `form`, or undefined when it is one:
 * the config's messages say "must be <this>, got …".
 *
 * @example
 * ```ts
 * endpointProblem("127.0.0.1:9999", "listen"); // undefined
 * endpointProblem("tcp://siem", "target"); // "tcp://host:port"
 * endpointProblem("127.0.0.1:70000", "hostPort"); // "a port from 0 to 65535"
 * ```
 */
export function endpointProblem(value: string, form: EndpointForm): string | undefined {
  const { kinds, schemes, expected } = FORMS[form];
  const scheme = /^(tcp|udp):\/\//.exec(value)?.[1];
  try {
    const endpoint = parseEndpoint(value);
    if ((kinds as readonly string[]).includes(endpoint.kind) && (schemes || (scheme === undefined && endpoint.kind !== "file"))) return undefined;
    return expected;
  } catch (error) {
    if (!(error instanceof EndpointError)) throw error;
    if (schemes && scheme !== undefined) return `${scheme}://host:port`;
    return form === "hostPort" && error.problem === "port" ? "a port from 0 to 65535" : expected;
  }
}

/** `host:port` text for messages, with brackets for IPv6. */
export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === "tcp" || endpoint.kind === "udp") {
    const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
    return `${endpoint.kind === "udp" ? "udp://" : ""}${host}:${endpoint.port}`;
  }
  return endpoint.kind === "file" ? `file:${endpoint.path}` : endpoint.path;
}
