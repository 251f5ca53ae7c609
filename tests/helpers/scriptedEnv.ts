/** A tiny env whose true values are known in closed form, for testing the training loop and the probe. */
import type { Env, EnvSpec, EpisodeState, StepResult } from '../../src/envs/types';

export interface ScriptedEnvOptions {
  /** Reward of every step. */
  reward?: number;
  /** Terminate when the internal counter reaches this value (never when undefined). */
  terminateAt?: number;
  maxEpisodeSteps?: number;
  /** false: pretend setState is not exact (like Box2D). */
  exactRestore?: boolean;
  /** After this many steps in all (over episodes), every reward is 1e38: the critic diverges. */
  poisonAfter?: number;
}

/** State [t]: t counts steps since reset (setState moves it); observation [t / 100]; constant reward. */
export class ScriptedEnv implements Env {
  readonly spec: EnvSpec;
  private t = 0;
  private elapsed = 0;
  private total = 0;
  readonly visitedStates: number[] = [];
  readonly exactRestore: boolean | undefined;

  constructor(private readonly options: ScriptedEnvOptions = {}) {
    this.spec = {
      id: 'Scripted-v0',
      observationSize: 1,
      actionSize: 1,
      actionLow: [-1],
      actionHigh: [1],
      maxEpisodeSteps: options.maxEpisodeSteps ?? 50,
    };
    this.exactRestore = options.exactRestore;
  }
  reset(): number[] {
    this.t = 0;
    this.elapsed = 0;
    return this.observe();
  }
  step(action: ArrayLike<number>): StepResult {
    if (!Number.isFinite(action[0])) throw new Error(`bad action ${action[0]}`);
    this.visitedStates.push(this.t);
    this.t++;
    this.elapsed++;
    this.total++;
    const terminated = this.options.terminateAt !== undefined && this.t >= this.options.terminateAt;
    return {
      observation: this.observe(),
      reward:
        this.options.poisonAfter !== undefined && this.total > this.options.poisonAfter
          ? 1e38
          : (this.options.reward ?? 1),
      terminated,
      truncated: this.elapsed >= this.spec.maxEpisodeSteps,
    };
  }
  getState(): number[] {
    return [this.t];
  }
  setState(state: ArrayLike<number>): void {
    this.t = state[0];
  }
  getEpisodeState(): EpisodeState {
    return { rng: [1, 2, 3, 4, Number.NaN], elapsedSteps: this.elapsed, underWay: true };
  }
  setEpisodeState(state: EpisodeState): void {
    this.elapsed = state.elapsedSteps;
  }
  observe(): number[] {
    return [this.t / 100];
  }
  close(): void {}
}
