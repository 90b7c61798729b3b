/**
 * Parses the address forms a ConnectionString may take (docs/configuration.md, "Addresses"):
 * `host:port`, `[ipv6]:port`, `tcp://host:port`, `udp://host:port`, `file:PATH`,
 * a Unix socket path (starts with `/`, `./` or `unix:`) and a Windows pipe `\\.\pipe\name`.
 */

export type Endpoint =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "udp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "pipe"; readonly path: string }
  | { readonly kind: "file"; readonly path: string };

/** Thrown for an address that none of the forms accepts. */
export class EndpointError extends Error {
  override readonly name = "EndpointError";
}

/**
 * @example
 * ```ts
 * parseEndpoint("127.0.0.1:9999"); // { kind: "tcp", host: "127.0.0.1", port: 9999 }
 * parseEndpoint("udp://[::1]:514"); // { kind: "udp", host: "::1", port: 514 }
 * ```
 */
export function parseEndpoint(text: string): Endpoint {
  const value = text.trim();
  if (value.startsWith("\\\\.\\pipe\\") || value.startsWith("//./pipe/")) return { kind: "pipe", path: value };
  if (value.startsWith("unix:")) return { kind: "unix", path: value.slice(5) };
  if (value.startsWith("/") || value.startsWith("./") || value.startsWith("../")) return { kind: "unix", path: value };
  if (value.startsWith("file:")) {
    const path = value.startsWith("file://") ? value.slice(7) : value.slice(5);
    if (path === "") throw new EndpointError(`invalid address: "${text}" names no file`);
    return { kind: "file", path };
  }
  let kind: "tcp" | "udp" = "tcp";
  let rest = value;
  if (value.startsWith("tcp://")) rest = value.slice(6);
  else if (value.startsWith("udp://")) {
    kind = "udp";
    rest = value.slice(6);
  }
  const { host, port } = splitHostPort(rest, text);
  return { kind, host, port };
}

function splitHostPort(rest: string, original: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":") throw new EndpointError(`invalid address: "${original}", expected [ipv6]:port`);
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon <= 0) throw new EndpointError(`invalid address: "${original}", expected host:port`);
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(":")) throw new EndpointError(`invalid address: "${original}", write IPv6 as [ipv6]:port`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new EndpointError(`invalid port in "${original}": got "${portText}", expected 0 to 65535`);
  }
  return { host, port: Number(portText) };
}

/** `host:port` text for messages, with brackets for IPv6. */
export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === "tcp" || endpoint.kind === "udp") {
    const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
    return `${endpoint.kind === "udp" ? "udp://" : ""}${host}:${endpoint.port}`;
  }
  return endpoint.kind === "file" ? `file:${endpoint.path}` : endpoint.path;
}
