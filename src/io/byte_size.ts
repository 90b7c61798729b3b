/**
 * Sizes as people write them in a config (`512 MiB`, `2G`, `1048576`) and as messages show
 * them: binary units only, so `1 GiB` read back is exactly the bytes it stands for.
 */

const UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, k: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tib: 2 ** 40 };

/**
 * A whole number with an optional unit `K`/`KiB`, `M`/`MiB`, `G`/`GiB`, `T`/`TiB` (any case,
 * powers of 1024); undefined when `text` is anything else.
 *
 * @example
 * ```ts
 * parseByteSize("512 MiB"); // 536870912
 * parseByteSize("2g"); // 2147483648
 * parseByteSize("1.5G"); // undefined
 * ```
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^\+?(\d{1,15})\s*([a-z]*)$/i.exec(text.trim());
  const unit = match === null ? undefined : UNITS[match[2]!.toLowerCase()];
  return unit === undefined ? undefined : Number(match![1]) * unit;
}

/**
 * `bytes` in the largest binary unit that divides it (`1 GiB`, `640 KiB`), else in bytes.
 *
 * @example
 * ```ts
 * formatByteSize(536870912); // "512 MiB"
 * formatByteSize(1000); // "1000 bytes"
 * ```
 */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [["TiB", 2 ** 40], ["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}
