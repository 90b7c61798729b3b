/**
 * Gathers Maltrail's ip_port trails per (address, context) so that an address listed on many
 * ports becomes one entry whose field `ports` lists them (`22,80,443`), not one entry per port.
 */
import type { Fields } from "../matching/types.ts";
import { parseIPv4 } from "../matching/parse_ip.ts";
import { formatIPv4 } from "../matching/format_ip.ts";

const TWO_32 = 2 ** 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_CONTEXTS = 1 << 20;

/**
 * Rows kept as numbers in typed arrays and grouped by sorting at the end: 280 k rows of the data
 * snapshot cost about 5 MB here, where a Map of objects per address left 30 MB more RSS behind
 * after loading (measured). An IPv4 address in canonical dotted decimal is kept as its u32;
 * any other text (IPv6, leading zeros) gets an id in a side table.
 */
export class PortGroups {
  private keys = new Float64Array(1024);
  private ports = new Uint16Array(1024);
  private lines = new Uint32Array(1024);
  private size = 0;
  private contexts: Fields[] = [];
  private contextIds = new Map<Fields, number>();
  private lastFields: Fields | undefined;
  private lastContext = 0;
  private texts: string[] = [];
  private textIds = new Map<string, number>();

  /** Records `address:port` read at `line` with the (shared) context `fields`. */
  add(address: string, port: number, fields: Fields, line: number): void {
    let context = this.lastContext;
    if (fields !== this.lastFields) {
      const known = this.contextIds.get(fields);
      if (known === undefined) {
        context = this.contexts.length;
        if (context >= MAX_CONTEXTS) throw new RangeError(`Too many ip_port contexts: expected at most ${MAX_CONTEXTS}`);
        this.contexts.push(fields);
        this.contextIds.set(fields, context);
      } else {
        context = known;
      }
      this.lastFields = fields;
      this.lastContext = context;
    }
    const v4 = canonicalIPv4(address);
    let key: number;
    if (v4 !== undefined) {
      key = 2 * context * TWO_32 + v4;
    } else {
      let id = this.textIds.get(address);
      if (id === undefined) {
        id = this.texts.length;
        // A copy: the address is a slice of a 256 KiB decoded chunk, which it would keep alive.
        const copy = decoder.decode(encoder.encode(address));
        this.texts.push(copy);
        this.textIds.set(copy, id);
      }
      key = (2 * context + 1) * TWO_32 + id;
    }
    const n = this.size;
    if (n === this.keys.length) this.grow(n * 2);
    this.keys[n] = key;
    this.ports[n] = port;
    this.lines[n] = line;
    this.size = n + 1;
  }

  /**
   * Calls `emit` once per (address, context), in the order the addresses first appeared, with
   * the context plus `ports` (ascending, without repeats) and the line of the first trail.
   */
  flush(emit: (value: string, fields: Fields, line: number) => void): void {
    const { size: n, keys, ports: rowPorts, lines, contexts, texts } = this;
    // Emptied first: emitting may throw, and a second flush must not repeat entries.
    this.reset();
    if (n === 0) return;
    // Distinct keys, sorted natively; each row then finds its group by binary search.
    const sorted = keys.slice(0, n).sort();
    let groups = 0;
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[groups++] = sorted[i]!;
    const group = new Uint32Array(n);
    const start = new Uint32Array(groups + 1);
    const firstLine = new Uint32Array(groups);
    for (let r = 0; r < n; r++) {
      const g = find(sorted, groups, keys[r]!);
      group[r] = g;
      // Rows are in line order: a group's first row has its first line.
      if (start[g + 1]!++ === 0) firstLine[g] = lines[r]!;
    }
    for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
    const ports = new Uint16Array(n);
    const fill = start.slice(0, groups);
    for (let r = 0; r < n; r++) ports[fill[group[r]!]!++] = rowPorts[r]!;
    for (const g of firstAppearance(firstLine)) {
      const key = sorted[g]!;
      const high = Math.floor(key / TWO_32);
      const low = key - high * TWO_32;
      const value = (high & 1) === 0 ? formatIPv4(low) : texts[low]!;
      const from = start[g]!;
      const to = start[g + 1]!;
      if (to - from > 1) ports.subarray(from, to).sort();
      let text = String(ports[from]);
      for (let i = from + 1; i < to; i++) if (ports[i] !== ports[i - 1]) text += `,${ports[i]}`;
      emit(value, [...contexts[Math.floor(high / 2)]!, ["ports", text]], firstLine[g]!);
    }
  }

  private grow(capacity: number): void {
    const keys = new Float64Array(capacity);
    keys.set(this.keys);
    this.keys = keys;
    const ports = new Uint16Array(capacity);
    ports.set(this.ports);
    this.ports = ports;
    const lines = new Uint32Array(capacity);
    lines.set(this.lines);
    this.lines = lines;
  }

  private reset(): void {
    this.keys = new Float64Array(0);
    this.ports = new Uint16Array(0);
    this.lines = new Uint32Array(0);
    this.size = 0;
    this.contexts = [];
    this.contextIds = new Map();
    this.lastFields = undefined;
    this.texts = [];
    this.textIds = new Map();
  }
}

/** Group indexes ordered by their first line. */
function firstAppearance(firstLine: Uint32Array): Uint32Array | number[] {
  const n = firstLine.length;
  if (n >= 2 ** 21) return Array.from({ length: n }, (_, g) => g).sort((a, b) => firstLine[a]! - firstLine[b]!);
  // line × 2^21 + group stays below 2^53, so a native numeric sort orders them.
  const order = new Float64Array(n);
  for (let g = 0; g < n; g++) order[g] = firstLine[g]! * 2 ** 21 + g;
  order.sort();
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = order[i]! % 2 ** 21;
  return out;
}

/** Index of `key` in the sorted `keys[0, n)`. */
function find(keys: Float64Array, n: number, key: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The u32 of an IPv4 address written as `formatIPv4` writes it (no leading zeros), else undefined. */
function canonicalIPv4(s: string): number | undefined {
  const v = parseIPv4(s);
  if (v === undefined) return undefined;
  for (let i = 0; i < s.length - 1; i++) {
    if (s.charCodeAt(i) === 48 && (i === 0 || s.charCodeAt(i - 1) === 46) && s.charCodeAt(i + 1) !== 46) return undefined;
  }
  return v;
}
