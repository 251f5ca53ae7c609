/**
 * Whether a large product should be shared out among the helper threads or done by the calling thread alone,
 * chosen by measurement, product by product.
 *
 * Sharing is usually about 1.4× faster on two cores. But on a machine whose cores other work also claims, a
 * helper can be descheduled in the middle of its panel, and the caller then waits for it: two threads can
 * end up slower than one. Both ways give bit for bit the same result, so the choice can follow the machine:
 * the cost per multiply-add of each way is kept as a moving average, the cheaper one is taken, and every
 * `exploreEvery`-th product tries the other, so that a change in the machine's load is noticed. A trial's
 * measurement replaces the other way's average outright (it may be long out of date).
 *
 * A trial of the lone way costs about one product's time again (measured: 0.8 ms of a 9.7 ms update at the
 * authors' sizes, trying every 16th). While sharing is the cheaper way by a wide margin the lone way is tried
 * only every `exploreRarelyEvery`-th product: a helper slowed by other work shows at once in the shared
 * products' own measurements, every one of which updates sharing's average, so the trials only keep the
 * lone way's figure fresh. While products run alone, sharing is tried every `exploreEvery`-th, as that is
 * how a freed core is noticed.
 */
export class ShareChooser {
  /** Moving averages of milliseconds per million multiply-adds; NaN until first measured. */
  private shared = Number.NaN;
  private alone = Number.NaN;
  private calls = 0;
  /** Whether the last product chosen was a trial of the way that is not the cheaper one. */
  private trying = false;

  constructor(
    private readonly exploreEvery = 16,
    /** Weight of the newest measurement in the moving averages. */
    private readonly weight = 0.1,
    private readonly exploreRarelyEvery = 64,
    /** Alone costing at least this many times sharing is a wide margin. */
    private readonly wideMargin = 1.25,
  ) {}

  /** Whether to share the next product. */
  next(): boolean {
    this.calls++;
    if (Number.isNaN(this.shared)) return true;
    if (Number.isNaN(this.alone)) return false;
    const sharingIsCheaper = this.shared <= this.alone;
    const every = this.alone >= this.shared * this.wideMargin ? this.exploreRarelyEvery : this.exploreEvery;
    this.trying = this.calls % every === 0;
    return this.trying ? !sharingIsCheaper : sharingIsCheaper;
  }

  /** Whether sharing is the cheaper way as measured so far (no trial counted). */
  sharingPreferred(): boolean {
    return !(this.alone < this.shared);
  }

  /** A product of `work` multiply-adds took `ms`, shared or alone. */
  record(shared: boolean, ms: number, work: number): void {
    if (!(ms >= 0) || !(work > 0)) return;
    const cost = (ms * 1e6) / work;
    const previous = shared ? this.shared : this.alone;
    const average = Number.isNaN(previous) || this.trying ? cost : previous + this.weight * (cost - previous);
    if (shared) this.shared = average;
    else this.alone = average;
  }

  /** The moving averages, ms per million multiply-adds (for the bench and tests). */
  costs(): { shared: number; alone: number } {
    return { shared: this.shared, alone: this.alone };
  }
}
