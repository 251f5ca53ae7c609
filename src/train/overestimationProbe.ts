/**
 * The overestimation probe: the paper's Figure 1, live (the authors explain the method in sfujim/TD3 #23).
 *
 * Take P (s, a) pairs from the replay buffer. The estimate is the critic's value of them: min(Q1, Q2) when
 * twin critics are on (what the target uses), and Q1. The true value is a Monte-Carlo return: restore the
 * simulator to s, take a, then follow the current deterministic policy, summing γᵗ rₜ until the episode
 * terminates or γᵗ falls below a tolerance. It never bootstraps from Q, and ignores the time limit: the
 * critic estimates the infinite-horizon value, since truncated transitions bootstrap.
 *
 * Cost: at most P × horizon env steps, run in lockstep on a few env copies (waves of at most
 * PROBE_ENV_COPIES pairs) with one batched policy call per step.
 */
import type { Random } from '../common/random';
import type { Env } from '../envs/types';
import { pause, type Reads, readSync } from '../rl/deviceReads';
import type { ReplayBuffer } from '../rl/replayBuffer';
import type { PolicyAccess } from '../rl/td3';
import type { ProbeRecord } from './metrics';
import { mean } from './metrics';

/** Env copies the rollouts run on: enough to batch the policy, few enough for big MuJoCo models' memory. */
export const PROBE_ENV_COPIES = 16;

/** Rollouts stop after this many steps even when γ is very close to 1. */
export const MAX_PROBE_HORIZON = 10_000;

/** Steps until γᵗ < tolerance: the rest of the return is negligible. */
export function probeHorizon(discount: number, tolerance: number): number {
  return Math.min(MAX_PROBE_HORIZON, Math.ceil(Math.log(tolerance) / Math.log(discount)));
}

/**
 * The standard error of a mean: the sample standard deviation (n − 1) over √n. The pairs are a random
 * sample of the buffer, so this is how far the bias of another sample of as many pairs would typically be.
 */
export function standardError(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - m) ** 2;
  return Math.sqrt(squares / (n - 1) / n);
}

export type ProbeResult = Omit<ProbeRecord, 'type' | 'step'>;

export class OverestimationProbe {
  /** Simulator states, row i belonging to the replay buffer's row i. */
  private readonly states: Float64Array;

  constructor(
    private readonly buffer: ReplayBuffer,
    readonly stateSize: number,
    private readonly envs: Env[],
    private readonly rng: Random,
  ) {
    this.states = new Float64Array(buffer.capacity * stateSize);
  }

  /** The simulator states of the buffer's first `rows` rows, and the probe's random stream: for a checkpoint. */
  exportState(rows: number): { states: Float64Array; rng: number[] } {
    return { states: this.states.slice(0, rows * this.stateSize), rng: this.rng.getState() };
  }

  importState(state: { states: Float64Array; rng: number[] }): void {
    if (state.states.length > this.states.length || state.states.length % this.stateSize !== 0)
      throw new Error(
        `the probe's saved states do not fit ${this.buffer.capacity} rows of ${this.stateSize}`,
      );
    this.states.set(state.states);
    this.rng.setState(state.rng);
  }

  /** Call just before `buffer.add` with the state the transition starts from. */
  recordState(state: ArrayLike<number>): void {
    this.states.set(state, this.buffer.nextIndex * this.stateSize);
  }

  /** The whole measurement at once. */
  measure(
    agent: PolicyAccess,
    pairs: number,
    discount: number,
    tolerance: number,
    valueScale = 1,
  ): ProbeResult {
    return readSync(this.measurementSteps(agent, pairs, discount, tolerance, valueScale));
  }

  /**
   * The measurement as work that reads the device and pauses after each step of the rollouts (spread over
   * chunks of work).
   */
  *measurementSteps(
    agent: PolicyAccess,
    pairs: number,
    discount: number,
    tolerance: number,
    /** The critic's values are of rewards × this (the reward scale): divided by it, they are in the env's units. */
    valueScale = 1,
  ): Reads<ProbeResult> {
    const n = Math.min(pairs, this.buffer.size);
    const { observationSize: os, actionSize: as } = agent.space;
    const observations = new Float32Array(n * os);
    const actions = new Float32Array(n * as);
    const rows = this.buffer.sampleIndices(n, this.rng);
    rows.forEach((row, k) => {
      observations.set(this.buffer.observations.subarray(row * os, row * os + os), k * os);
      actions.set(this.buffer.actions.subarray(row * as, row * as + as), k * as);
    });

    // The critic's estimate of the sampled pairs.
    const { q1: rawQ1, q2 } = yield* agent.valuesRead(observations, actions, n);
    const twin = agent.getConfig().twinCritics;
    const estimates = Float64Array.from(rawQ1, (v, k) => (twin ? Math.min(v, q2[k]) : v) / valueScale);
    const q1 = Float64Array.from(rawQ1, (v) => v / valueScale);

    // The true value: restore s, take a, then follow π until termination or γᵗ < tolerance. The pairs are
    // rolled out in waves of as many as there are env copies.
    const horizon = probeHorizon(discount, tolerance);
    const returns = new Float64Array(n);
    let envSteps = 0;
    for (let first = 0; first < n; first += this.envs.length) {
      const wave = Math.min(this.envs.length, n - first);
      const alive = new Array<boolean>(wave).fill(true);
      const current = new Float32Array(wave * os);
      for (let k = 0; k < wave; k++) {
        const row = rows[first + k];
        const env = this.envs[k];
        env.setState(this.states.subarray(row * this.stateSize, (row + 1) * this.stateSize));
        const result = env.step(actions.subarray((first + k) * as, (first + k + 1) * as));
        envSteps++;
        returns[first + k] = result.reward;
        alive[k] = !result.terminated;
        current.set(result.observation, k * os);
      }
      let weight = 1;
      for (let t = 1; t < horizon && alive.some(Boolean); t++) {
        weight *= discount;
        const policyActions = yield* agent.actionsRead(current, wave);
        for (let k = 0; k < wave; k++) {
          if (!alive[k]) continue;
          const result = this.envs[k].step(policyActions.subarray(k * as, k * as + as));
          envSteps++;
          returns[first + k] += weight * result.reward;
          alive[k] = !result.terminated;
          current.set(result.observation, k * os);
        }
        yield* pause();
      }
    }

    const estimate = mean(estimates);
    const estimateQ1 = mean(q1);
    const trueValue = mean(returns);
    return {
      pairs: n,
      estimate,
      estimateQ1,
      trueValue,
      bias: estimate - trueValue,
      biasQ1: estimateQ1 - trueValue,
      biasStdError: standardError(Float64Array.from(estimates, (e, k) => e - returns[k])),
      horizon,
      envSteps,
    };
  }
}
