/**
 * The first step of an event connection: the PROXY protocol header, required when
 * ServiceSettings > ProxyProtocol is on and refused when it is off (docs/scale-out.md).
 */
import { ProxyHeaderParser, type ProxyHeaderOutcome } from "../protocol/proxy_header.ts";
import { normalizePeerIp } from "./extract.ts";

/** Where the connection goes next: on with `bytes` (after any header), or refused and why. */
export type ProxyGateResult = { readonly bytes: Uint8Array } | { readonly refused: string };

/**
 * Holds a connection's first bytes until they show whether a PROXY header starts it, then lets
 * the rest through untouched. `peerIp` is the client's real address: the header's source for a
 * proxied TCP connection, else the socket's peer (LOCAL, UNKNOWN and UNIX name no IP client).
 *
 * @example
 * ```ts
 * const gate = new ProxyGate(true, "127.0.0.1");
 * gate.push(new TextEncoder().encode("PROXY TCP4 192.0.2.7 192.0.2.1 40000 9999\r\nx\n")); // { bytes: "x\n" }
 * gate.peerIp; // "192.0.2.7"
 * ```
 */
export class ProxyGate {
  peerIp: string | undefined;
  readonly #enabled: boolean;
  #parser: ProxyHeaderParser | undefined = new ProxyHeaderParser();

  constructor(enabled: boolean, socketPeerIp: string | undefined) {
    this.#enabled = enabled;
    this.peerIp = socketPeerIp;
  }

  /** The next chunk: undefined while a header may still be arriving. */
  push(chunk: Uint8Array): ProxyGateResult | undefined {
    if (this.#parser === undefined) return { bytes: chunk };
    const outcome = this.#parser.push(chunk);
    return outcome === undefined ? undefined : this.#decide(outcome);
  }

  /** The connection ended before the header was decided. */
  end(): ProxyGateResult {
    return this.#parser === undefined ? { bytes: new Uint8Array(0) } : this.#decide(this.#parser.end());
  }

  #decide(outcome: ProxyHeaderOutcome): ProxyGateResult {
    this.#parser = undefined;
    const from = this.peerIp ?? "a Unix socket";
    if (!this.#enabled) {
      if (outcome.kind === "absent") return { bytes: outcome.rest };
      // A line that only begins with "PROXY " is an event like any other; v2's binary signature never is.
      if (outcome.kind === "invalid" && outcome.version === 1) return { bytes: outcome.data };
      return { refused: `connection from ${from} closed: it starts with a PROXY protocol header, but ServiceSettings > ProxyProtocol is off (turn it on when a load balancer sends one)` };
    }
    if (outcome.kind === "absent") return { refused: `connection from ${from} closed: no PROXY protocol header, expected one since ServiceSettings > ProxyProtocol is on` };
    if (outcome.kind === "invalid") return { refused: `connection from ${from} closed: ${outcome.reason}` };
    const source = outcome.header.source;
    if (source !== undefined) this.peerIp = "address" in source ? normalizePeerIp(source.address) : undefined;
    return { bytes: outcome.rest };
  }
}
