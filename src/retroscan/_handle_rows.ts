/**
 * The writer's side of the event thread's handles: handle → row id of the values it was given.
 * Handles only grow, and the event thread says below which one it will send no more (a new day,
 * or its memory of values full), so the table is one array from the lowest live handle up.
 */

/**
 * @example
 * ```ts
 * const rows = new HandleRows();
 * rows.set(7, 42);
 * rows.get(7); // 42
 * rows.forgetBelow(8);
 * rows.get(7); // 0
 * ```
 */
export class HandleRows {
  #base = 0;
  #ids = new Float64Array(1024);

  /** The row id of `handle`; 0 when unknown (the value was dropped, or the handle forgotten). */
  get(handle: number): number {
    const i = handle - this.#base;
    return i >= 0 && i < this.#ids.length ? this.#ids[i]! : 0;
  }

  /** Notes that `handle` names row `id`. */
  set(handle: number, id: number): void {
    const i = handle - this.#base;
    if (i < 0) return;
    if (i >= this.#ids.length) {
      let length = this.#ids.length * 2;
      while (i >= length) length *= 2;
      const ids = new Float64Array(length);
      ids.set(this.#ids);
      this.#ids = ids;
    }
    this.#ids[i] = id;
  }

  /** No handle below `handle` will be used again. */
  forgetBelow(handle: number): void {
    const shift = handle - this.#base;
    if (shift <= 0) return;
    const ids = this.#ids;
    if (shift >= ids.length) ids.fill(0);
    else {
      ids.copyWithin(0, shift);
      ids.fill(0, ids.length - shift);
    }
    this.#base = handle;
  }

  /** Forgets every handle (their rows may not exist: a write was rolled back). */
  clear(): void {
    this.#ids.fill(0);
  }
}
