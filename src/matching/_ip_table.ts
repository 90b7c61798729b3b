/**
 * IPv4 and IPv6 addresses and networks in open-addressing typed-array tables, with no object
 * per address. Single IPv4 addresses (the bulk: 400 k in the benchmark) sit in their own
 * table, 8 bytes a slot; networks are keyed by (network, prefix length) and a lookup probes
 * once per prefix length present. For IPv4 a per-/16 bitmap of the lengths /16–/31 present
 * there skips those probes for most addresses: without it the ~15 lengths of the mass-scanner
 * list cost ~15 cache misses per lookup (0.49 M/s measured, see docs/performance.md).
 */

import { PresenceFilter } from "./_presence_filter.ts";

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Prefix lengths present, longest first, kept as a plain array for the lookup loop. */
function presentLengths(counts: Uint32Array): Int32Array<ArrayBuffer> {
  const out: number[] = [];
  for (let l = counts.length - 1; l >= 0; l--) if (counts[l]! > 0) out.push(l);
  const lengths = new Int32Array(out.length);
  lengths.set(out);
  return lengths;
}

/** (network, prefix) → u32 payload, for IPv4 and IPv6; payload 0 means absent. */
export class IpTable {
  private exactAddr = new Uint32Array(16);
  private exactHead = new Uint32Array(16);
  private exactSize = 0;
  /** Built by `trim()` once loading is done: lets most absent addresses skip the table. */
  private exactFilter: PresenceFilter | undefined;
  /**
   * One bit per /16: set when a single address of that block is held. 8 KiB that stay in cache,
   * in front of the 2 MiB presence filter, which misses the cache on most probes: private and
   * unlisted blocks (about half of a log's addresses) are then answered without it. Built by
   * `trim()` with the filter: a table that was never trimmed checks neither.
   */
  private exactBlocks: Uint32Array | undefined;
  /** Per /16 block, bit L-16 set when a network of length L (16–31) lies in it. */
  blocks4: Uint32Array | undefined;
  /** IPv4 network lengths below 16 present, longest first. */
  short4 = new Int32Array(0);

  private addr4 = new Uint32Array(16);
  private len4 = new Uint8Array(16);
  private head4 = new Uint32Array(16);
  private size4 = 0;
  private counts4 = new Uint32Array(16);

  private addr6 = new Uint32Array(64);
  private len6 = new Uint8Array(16);
  private head6 = new Uint32Array(16);
  private size6 = 0;
  private counts6 = new Uint32Array(129);
  /** IPv6 prefix lengths present, longest first. */
  lengths6 = new Int32Array(0);

  /** Payload of the single IPv4 address, or 0. */
  exact4(address: number): number {
    const blocks = this.exactBlocks;
    if (blocks !== undefined && (blocks[address >>> 21]! & (1 << ((address >>> 16) & 31))) === 0) return 0;
    if (this.exactFilter !== undefined && !this.exactFilter.mayHave(address)) return 0;
    const mask = this.exactHead.length - 1;
    let i = mix(address) & mask;
    for (;;) {
      const h = this.exactHead[i]!;
      if (h === 0 || this.exactAddr[i] === address) return h;
      i = (i + 1) & mask;
    }
  }

  /** Payload of the IPv4 network `address`/`prefix` (host bits clear), or 0. */
  get4(address: number, prefix: number): number {
    if (prefix === 32) return this.exact4(address);
    const mask = this.head4.length - 1;
    let i = mix(address ^ Math.imul(prefix + 1, 0x9e3779b9)) & mask;
    for (;;) {
      const h = this.head4[i]!;
      if (h === 0) return 0;
      if (this.addr4[i] === address && this.len4[i] === prefix) return h;
      i = (i + 1) & mask;
    }
  }

  /** Sets the payload (non-zero) of the IPv4 network `address`/`prefix`. */
  set4(address: number, prefix: number, payload: number): void {
    if (prefix === 32) {
      this.setExact4(address, payload);
      return;
    }
    if ((this.size4 + 1) * 2 > this.head4.length) this.resize4(this.head4.length * 2);
    const mask = this.head4.length - 1;
    let i = mix(address ^ Math.imul(prefix + 1, 0x9e3779b9)) & mask;
    for (;;) {
      const h = this.head4[i]!;
      if (h === 0) break;
      if (this.addr4[i] === address && this.len4[i] === prefix) {
        this.head4[i] = payload;
        return;
      }
      i = (i + 1) & mask;
    }
    this.addr4[i] = address;
    this.len4[i] = prefix;
    this.head4[i] = payload;
    this.size4++;
    if (prefix >= 16) {
      this.blocks4 ??= new Uint32Array(65536);
      this.blocks4[address >>> 16]! |= 1 << (prefix - 16);
    } else if (this.counts4[prefix]!++ === 0) {
      this.short4 = presentLengths(this.counts4);
    }
  }

  /** Builds the presence filter of the single IPv4 addresses; call after a bulk load (adding later still works). */
  trim(): void {
    const filter = new PresenceFilter(this.exactSize);
    const blocks = new Uint32Array(2048);
    for (let i = 0; i < this.exactHead.length; i++) {
      if (this.exactHead[i] === 0) continue;
      const address = this.exactAddr[i]!;
      filter.add(address);
      blocks[address >>> 21]! |= 1 << ((address >>> 16) & 31);
    }
    this.exactFilter = filter;
    this.exactBlocks = blocks;
  }

  private setExact4(address: number, payload: number): void {
    this.exactFilter?.add(address);
    if (this.exactBlocks !== undefined) this.exactBlocks[address >>> 21]! |= 1 << ((address >>> 16) & 31);
    // Load ≤ 0.75: the table is one u32 pair a slot and single addresses are the bulk.
    if ((this.exactSize + 1) * 4 > this.exactHead.length * 3) this.resizeExact4(this.exactHead.length * 2);
    const mask = this.exactHead.length - 1;
    let i = mix(address) & mask;
    while (this.exactHead[i] !== 0 && this.exactAddr[i] !== address) i = (i + 1) & mask;
    if (this.exactHead[i] === 0) this.exactSize++;
    this.exactAddr[i] = address;
    this.exactHead[i] = payload;
  }

  private resizeExact4(capacity: number): void {
    const { exactAddr, exactHead } = this;
    this.exactAddr = new Uint32Array(capacity);
    this.exactHead = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let j = 0; j < exactHead.length; j++) {
      if (exactHead[j] === 0) continue;
      let i = mix(exactAddr[j]!) & mask;
      while (this.exactHead[i] !== 0) i = (i + 1) & mask;
      this.exactAddr[i] = exactAddr[j]!;
      this.exactHead[i] = exactHead[j]!;
    }
  }

  /** Payload of the IPv6 network in `w[0..3]` (host bits clear) with `prefix`, or 0. */
  get6(w: Uint32Array, prefix: number): number {
    const mask = this.head6.length - 1;
    let i = this.slot6(w, prefix) & mask;
    const a = this.addr6;
    for (;;) {
      const h = this.head6[i]!;
      if (h === 0) return 0;
      const o = i * 4;
      if (this.len6[i] === prefix && a[o] === w[0] && a[o + 1] === w[1] && a[o + 2] === w[2] && a[o + 3] === w[3]) {
        return h;
      }
      i = (i + 1) & mask;
    }
  }

  /** Sets the payload (non-zero) of the IPv6 network in `w[0..3]` with `prefix`. */
  set6(w: Uint32Array, prefix: number, payload: number): void {
    if ((this.size6 + 1) * 2 > this.head6.length) this.resize6(this.head6.length * 2);
    const mask = this.head6.length - 1;
    let i = this.slot6(w, prefix) & mask;
    const a = this.addr6;
    for (;;) {
      const h = this.head6[i]!;
      if (h === 0) break;
      const o = i * 4;
      if (this.len6[i] === prefix && a[o] === w[0] && a[o + 1] === w[1] && a[o + 2] === w[2] && a[o + 3] === w[3]) {
        this.head6[i] = payload;
        return;
      }
      i = (i + 1) & mask;
    }
    a.set(w.subarray(0, 4), i * 4);
    this.len6[i] = prefix;
    this.head6[i] = payload;
    this.size6++;
    if (this.counts6[prefix]!++ === 0) this.lengths6 = presentLengths(this.counts6);
  }

  /** Bytes held by the typed arrays. */
  byteSize(): number {
    return (
      this.exactAddr.byteLength + this.exactHead.byteLength + (this.exactFilter?.byteLength ?? 0) + (this.exactBlocks?.byteLength ?? 0) + (this.blocks4?.byteLength ?? 0) +
      this.addr4.byteLength + this.len4.byteLength + this.head4.byteLength +
      this.addr6.byteLength + this.len6.byteLength + this.head6.byteLength
    );
  }

  private slot6(w: Uint32Array, prefix: number): number {
    let h = Math.imul(prefix + 1, 0x9e3779b9);
    h = mix(h ^ w[0]!);
    h = mix(h ^ w[1]!);
    h = mix(h ^ w[2]!);
    return mix(h ^ w[3]!);
  }

  private resize4(capacity: number): void {
    const { addr4, len4, head4 } = this;
    this.addr4 = new Uint32Array(capacity);
    this.len4 = new Uint8Array(capacity);
    this.head4 = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let j = 0; j < head4.length; j++) {
      if (head4[j] === 0) continue;
      let i = mix(addr4[j]! ^ Math.imul(len4[j]! + 1, 0x9e3779b9)) & mask;
      while (this.head4[i] !== 0) i = (i + 1) & mask;
      this.addr4[i] = addr4[j]!;
      this.len4[i] = len4[j]!;
      this.head4[i] = head4[j]!;
    }
  }

  private resize6(capacity: number): void {
    const { addr6, len6, head6 } = this;
    this.addr6 = new Uint32Array(capacity * 4);
    this.len6 = new Uint8Array(capacity);
    this.head6 = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let j = 0; j < head6.length; j++) {
      if (head6[j] === 0) continue;
      const w = addr6.subarray(j * 4, j * 4 + 4);
      let i = this.slot6(w, len6[j]!) & mask;
      while (this.head6[i] !== 0) i = (i + 1) & mask;
      this.addr6.set(w, i * 4);
      this.len6[i] = len6[j]!;
      this.head6[i] = head6[j]!;
    }
  }
}
