/**
 * What every env keeps of its episode besides the physics: the seeded stream its resets draw from, whether an
 * episode is under way (after `reset` or `setState`), and the time limit.
 */
import type { Random } from '../common/random';
import { notStarted, resetStream } from './checks';
import { TimeLimit } from './timeLimit';
import type { EpisodeState } from './types';

export class Episode {
  private stream: Random;
  private underWay = false;
  private readonly timeLimit: TimeLimit;

  /** `seed` starts the stream that `reset()` without a seed draws from, so a fresh env's first `reset()` equals `reset(seed)`. */
  constructor(
    private readonly envId: string,
    maxEpisodeSteps: number,
    seed: number,
  ) {
    this.stream = resetStream(envId, seed);
    this.timeLimit = new TimeLimit(maxEpisodeSteps);
  }

  /** The reset stream (Box2D's LunarLander also draws its engine dispersion from it, as Gymnasium does). */
  get rng(): Random {
    return this.stream;
  }

  /** For `reset(seed?)`: a given seed starts the stream again; returns the stream to draw the initial state from. */
  reseed(seed: number | undefined): Random {
    if (seed !== undefined) this.stream = resetStream(this.envId, seed);
    return this.stream;
  }

  /** `reset` has drawn the initial state: an episode begins and its step count restarts. */
  begin(): void {
    this.underWay = true;
    this.timeLimit.reset();
  }

  /** `setState` has restored a state: an episode is under way, its step count kept. */
  resume(): void {
    this.underWay = true;
  }

  get started(): boolean {
    return this.underWay;
  }

  /** Throws the env's "call reset() first" error unless an episode is under way. */
  assertStarted(): void {
    if (!this.underWay) throw notStarted(this.envId);
  }

  /** Counts one step; true when the time limit truncates the episode. */
  tick(): boolean {
    return this.timeLimit.tick();
  }

  get elapsedSteps(): number {
    return this.timeLimit.elapsedSteps;
  }

  exportState(): EpisodeState {
    return {
      rng: this.stream.getState(),
      elapsedSteps: this.timeLimit.elapsedSteps,
      underWay: this.underWay,
    };
  }

  importState(state: EpisodeState): void {
    this.stream.setState(state.rng);
    this.timeLimit.restore(state.elapsedSteps);
    this.underWay = state.underWay;
  }
}
