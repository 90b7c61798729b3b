/**
 * Where detections of connections without ReplyBack go (OutputSettings > ConnectionString),
 * said once when the service starts, with one connection attempt to tell whether anything
 * listens there. With the default target 127.0.0.1:9998 and no SIEM, that is the one place the
 * user learns that such detections reach no one (docs/operations.md, "Output target").
 */
import { createConnection } from "node:net";
import { formatEndpoint, type Endpoint } from "../io/endpoint.ts";

/** What the start-up check found: `listening` is undefined for UDP, which cannot be checked. */
export interface OutputTargetCheck {
  readonly target: string;
  readonly listening: boolean | undefined;
  /** Why nothing listens, when so. */
  readonly reason?: string;
}

/** Opens one connection to a TCP, Unix socket or pipe target and closes it; UDP and files need none. */
export function checkOutputTarget(endpoint: Endpoint, timeoutMs: number): Promise<OutputTargetCheck> {
  const target = formatEndpoint(endpoint);
  if (endpoint.kind === "udp") return Promise.resolve({ target, listening: undefined });
  if (endpoint.kind === "file") return Promise.resolve({ target, listening: true });
  return new Promise((resolve) => {
    const socket = endpoint.kind === "tcp" ? createConnection({ host: endpoint.host, port: endpoint.port }) : createConnection({ path: endpoint.path });
    const done = (result: OutputTargetCheck) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ target, listening: false, reason: `no connection within ${timeoutMs} ms` }), timeoutMs);
    socket.once("connect", () => done({ target, listening: true }));
    socket.once("error", (error) => done({ target, listening: false, reason: error.message }));
  });
}

/**
 * The one start-up line: info when the target accepts connections (or is UDP or a file), a
 * warning when nothing listens there. `alertsToo`: service alerts share the target.
 *
 * @example
 * ```ts
 * describeOutputTarget({ target: "127.0.0.1:9998", listening: false, reason: "connect ECONNREFUSED 127.0.0.1:9998" }, true, 10000);
 * // { level: "warn", message: "detections of connections without ReplyBack, and service alerts, go to 127.0.0.1:9998 …" }
 * ```
 */
export function describeOutputTarget(check: OutputTargetCheck, alertsToo: boolean, queueSize: number): { level: "info" | "warn"; message: string } {
  const what = `detections of connections without ReplyBack${alertsToo ? ", and service alerts," : ""} go to ${check.target} (OutputSettings > ConnectionString)`;
  if (check.listening === undefined) return { level: "info", message: `${what}; UDP, so whether anything listens cannot be checked` };
  if (check.listening) return { level: "info", message: what };
  return {
    level: "warn",
    message: `${what}, but nothing listens there (${check.reason}): they wait in a queue of up to ${queueSize} lines and are dropped at stop (ReplyBack clients such as scan -r are not affected)`,
  };
}

/**
 * Whether the target takes lines now, for the scanner's facts: what the output connection
 * shows once it exists (connected; lines waiting mean it does not), else the start-up check.
 */
export function outputTargetUp(check: OutputTargetCheck, output: { readonly connected?: boolean; readonly queueDepth: number }): "yes" | "no" | "unknown" {
  if (check.listening === undefined) return "unknown";
  if (output.connected) return "yes";
  if (output.queueDepth > 0) return "no";
  return check.listening ? "yes" : "no";
}
