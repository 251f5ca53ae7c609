/** Gymnasium's `TimeLimit` wrapper as a step counter that each env owns. */
export class TimeLimit {
  private steps = 0;

  constructor(readonly maxEpisodeSteps: number) {
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new Error(`maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  /** Steps taken since the last reset. */
  get elapsedSteps(): number {
    return this.steps;
  }

  /** Sets the counter, to continue an episode from a checkpoint. */
  restore(steps: number): void {
    if (!Number.isInteger(steps) || steps < 0)
      throw new Error(`elapsed steps must be a whole number, got ${steps}`);
    this.steps = steps;
  }

  /** Called by `reset`; `setState` does not touch the counter. */
  reset(): void {
    this.steps = 0;
  }

  /**
   * Counts one step and returns `truncated`: true exactly when the counter reaches the limit, and on any step
   * beyond it (Gymnasium's `elapsed_steps >= max_episode_steps`), whether or not the episode also terminated.
   */
  tick(): boolean {
    this.steps += 1;
    return this.steps >= this.maxEpisodeSteps;
  }
}
