/**
 * Count updates of known rows, gathered in the writer's memory and applied in row id order now
 * and then: a value seen in every flush (a busy host) then costs one update per period instead of
 * one per flush (measured: a random update by row id cost 2–17 µs on a 1 M-row table).
 */

/**
 * @example
 * ```ts
 * const pending = new PendingCounts();
 * pending.add(42, 3, firstAt, lastAt);
 * for (const [id, count, first, last] of pending.drain()) update(id, count, first, last);
 * ```
 */
export class PendingCounts {
  #slots = new Map<number, number>();
  #nums = new Float64Array(3 * 1024);

  get size(): number {
    return this.#slots.size;
  }

  /** Adds `count` events between `firstAt` and `lastAt` to row `id`. */
  add(id: number, count: number, firstAt: number, lastAt: number): void {
    const slot = this.#slots.get(id);
    const nums = this.#nums;
    if (slot !== undefined) {
      const o = slot * 3;
      nums[o] = nums[o]! + count;
      if (firstAt < nums[o + 1]!) nums[o + 1] = firstAt;
      if (lastAt > nums[o + 2]!) nums[o + 2] = lastAt;
      return;
    }
    const o = this.#slots.size * 3;
    if (o + 3 > nums.length) {
      this.#nums = new Float64Array(nums.length * 2);
      this.#nums.set(nums);
    }
    this.#nums[o] = count;
    this.#nums[o + 1] = firstAt;
    this.#nums[o + 2] = lastAt;
    this.#slots.set(id, this.#slots.size);
  }

  /** Everything gathered as [id, count, firstAt, lastAt], in id order; leaves it empty. */
  *drain(): Generator<[number, number, number, number]> {
    const slots = this.#slots;
    const nums = this.#nums;
    this.#slots = new Map();
    this.#nums = new Float64Array(3 * 1024);
    const ids = Float64Array.from(slots.keys()).sort();
    for (const id of ids) {
      const o = slots.get(id)! * 3;
      yield [id, nums[o]!, nums[o + 1]!, nums[o + 2]!];
    }
  }
}
