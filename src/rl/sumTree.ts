/**
 * A sum tree (and a min tree beside it) over the replay buffer's rows, for prioritized experience replay
 * (Schaul et al. 2016): each leaf holds a row's priority, each inner node the sum (and the minimum) of its
 * children, so setting a priority and drawing a row in proportion to it both take O(log n).
 */
export class SumTree {
  /** Leaves start at `leaves`; node k's children are 2k and 2k + 1; the root is node 1. */
  private readonly leaves: number;
  private readonly sums: Float64Array;
  private readonly mins: Float64Array;

  constructor(readonly capacity: number) {
    let leaves = 1;
    while (leaves < capacity) leaves *= 2;
    this.leaves = leaves;
    this.sums = new Float64Array(2 * leaves);
    this.mins = new Float64Array(2 * leaves).fill(Number.POSITIVE_INFINITY);
  }

  /** Sets row `i`'s priority (≥ 0) and updates the path to the root. */
  set(i: number, priority: number): void {
    if (!(priority >= 0) || !Number.isFinite(priority))
      throw new Error(`a priority must be finite and at least 0, not ${priority}`);
    let k = this.leaves + i;
    this.sums[k] = priority;
    this.mins[k] = priority;
    for (k >>= 1; k >= 1; k >>= 1) {
      this.sums[k] = this.sums[2 * k] + this.sums[2 * k + 1];
      this.mins[k] = Math.min(this.mins[2 * k], this.mins[2 * k + 1]);
    }
  }

  get(i: number): number {
    return this.sums[this.leaves + i];
  }

  /** The sum of every priority. */
  get total(): number {
    return this.sums[1];
  }

  /** The smallest priority of the rows set so far (Infinity before any). */
  get min(): number {
    return this.mins[1];
  }

  /** The row where the running sum of priorities first exceeds `mass` ∈ [0, total): row i with P ∝ priority. */
  find(mass: number): number {
    let k = 1;
    let rest = mass;
    while (k < this.leaves) {
      const left = this.sums[2 * k];
      if (rest < left) k = 2 * k;
      else {
        rest -= left;
        k = 2 * k + 1;
      }
    }
    // Rounding can walk past the last row set; a zero-priority leaf is never drawn on purpose.
    let row = k - this.leaves;
    while (row > 0 && this.sums[this.leaves + row] === 0) row--;
    return row;
  }
}
