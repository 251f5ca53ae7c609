/**
 * Tells a lost training worker from a page that was asleep. The worker reports several times a second; if
 * nothing came for `silenceMs` while the page itself was awake and checking, the worker is taken for lost.
 * A check that comes late (a frozen background tab, a laptop lid closed) means the page heard nothing
 * because it was not listening: the count of silence starts again from then.
 */
export class SilenceWatch {
  private lastHeard: number;
  private lastCheck: number;

  constructor(
    now: number,
    private readonly checkMs: number,
    private readonly silenceMs: number,
  ) {
    this.lastHeard = now;
    this.lastCheck = now;
  }

  /** A message came from the worker. */
  heard(now: number): void {
    this.lastHeard = now;
  }

  /** A periodic check, every `checkMs`; true when the worker is to be taken for lost. */
  check(now: number, expectingMessages: boolean): boolean {
    const late = now - this.lastCheck > 2 * this.checkMs;
    this.lastCheck = now;
    if (late) {
      this.lastHeard = Math.max(this.lastHeard, now);
      return false;
    }
    return expectingMessages && now - this.lastHeard > this.silenceMs;
  }
}
