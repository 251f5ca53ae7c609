/**
 * The overestimation probe: the paper's Figure 1, live (the authors explain the method in sfujim/TD3 #23).
 *
 * Take P (s, a) pairs from the replay buffer. The estimate is the critic's value of them: min(Q1, Q2) when
 * twin critics are on (what the target uses), and Q1. The true value is a Monte-Carlo return: restore the
 * simulator to s, take a, then follow the current deterministic policy, summing γᵗ rₜ until the episode
 * terminates or γᵗ falls below a tolerance. It never bootstraps from Q, and ignores the time limit: the
 * critic estimates the infinite-horizon value, since truncated transitions bootstrap.
 *
 * Cost: at most P × horizon env steps, run in lockstep on env copies (waves of at most `envCopyLimit`
 * pairs) with one batched policy call per step.
 */
import type { Random } from '../common/random';
import { ENV_CATALOG } from '../envs/catalog';
import type { Env } from '../envs/types';
import { pause, type Reads, readSync } from '../rl/deviceReads';
import type { ReplayBuffer } from '../rl/replayBuffer';
import type { PolicyAccess } from '../rl/td3';
import type { ProbeRecord } from './metrics';
import { mean } from './metrics';

/** Env copies the rollouts run on: enough to batch the policy, few enough for big MuJoCo models' memory. */
export const PROBE_ENV_COPIES = 16;

/** Copies of a classic-control env, a few numbers each: a probe's 256 pairs roll out in one wave. */
export const LIGHT_ENV_COPIES = 256;

/**
 * The most copies of env `id` a run keeps for its probe and evaluation: many of a classic-control env (one
 * read per rollout step instead of one per wave of 16 on a GPU backend), 16 of a simulator's.
 */
export function envCopyLimit(id: string): number {
  const group = ENV_CATALOG.find((e) => e.id === id)?.group;
  return group === 'Classic control' ? LIGHT_ENV_COPIES : PROBE_ENV_COPIES;
}

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

/** Why an env has no probe: its setState is not exact (Box2D). */
export const probeUnavailableReason = (envId: string): string =>
  `${envId} cannot be restored exactly from a saved state, so its true Q value cannot be measured`;

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
    const policy: ProbePolicy = {
      space: agent.space,
      twin: () => agent.getConfig().twinCritics,
      actionsRead: (observations, rows) => agent.actionsRead(observations, rows),
      valuesRead: (observations, actions, rows) => agent.valuesRead(observations, actions, rows),
    };
    const [result] = yield* measureTogether(
      [{ probe: this, pairs, discount, tolerance, valueScale }],
      policy,
    );
    return result;
  }

  /** The (s, a) pairs of a measurement: `n` rows of the buffer drawn from the probe's stream. */
  samplePairs(n: number, os: number, as: number) {
    const observations = new Float32Array(n * os);
    const actions = new Float32Array(n * as);
    const rows = this.buffer.sampleIndices(n, this.rng);
    rows.forEach((row, k) => {
      observations.set(this.buffer.observations.subarray(row * os, row * os + os), k * os);
      actions.set(this.buffer.actions.subarray(row * as, row * as + as), k * as);
    });
    return { rows, observations, actions };
  }

  /** Pairs a measurement takes: `pairs`, or fewer while the buffer holds fewer. */
  pairsFor(pairs: number): number {
    return Math.min(pairs, this.buffer.size);
  }

  /** Env copy `k` restored to the simulator state of buffer row `row`. */
  restore(k: number, row: number): Env {
    const env = this.envs[k];
    env.setState(this.states.subarray(row * this.stateSize, (row + 1) * this.stateSize));
    return env;
  }

  /** Env copy `k`, as the last `restore` and steps left it. */
  envCopy(k: number): Env {
    return this.envs[k];
  }

  get copies(): number {
    return this.envs.length;
  }
}

/**
 * The policies a measurement follows: one agent's, or a population's members' (src/rl/population.ts). Rows
 * go member after member, `rows` each.
 */
export interface ProbePolicy {
  space: PolicyAccess['space'];
  /** Whether member i's estimate is min(Q1, Q2). */
  twin(member: number): boolean;
  actionsRead(observations: Float32Array, rows: number): Reads<Float32Array>;
  valuesRead(
    observations: Float32Array,
    actions: Float32Array,
    rows: number,
  ): Reads<{ q1: Float32Array; q2: Float32Array }>;
}

/** One member's measurement: its probe (buffer, states, env copies, stream) and its settings. */
export interface ProbeRequest {
  probe: OverestimationProbe;
  pairs: number;
  discount: number;
  tolerance: number;
  valueScale: number;
}

/**
 * Measurements of several members at once (one agent's is a measurement of one): their pairs' values in one
 * read, then their rollouts in lockstep, one read of every member's actions per step. Every member takes as
 * many pairs and has as many env copies; how pairs are grouped into waves does not change any return.
 */
export function* measureTogether(requests: ProbeRequest[], policy: ProbePolicy): Reads<ProbeResult[]> {
  const { observationSize: os, actionSize: as } = policy.space;
  const members = requests.length;
  const n = requests[0].probe.pairsFor(requests[0].pairs);
  const copies = requests[0].probe.copies;
  for (const r of requests)
    if (r.probe.pairsFor(r.pairs) !== n || r.probe.copies !== copies)
      throw new Error('measured together, every member takes as many pairs on as many env copies');
  const samples = requests.map((r) => r.probe.samplePairs(n, os, as));
  const cat = (pick: (s: (typeof samples)[number]) => Float32Array) => {
    const out = new Float32Array(members * pick(samples[0]).length);
    samples.forEach((s, i) => {
      out.set(pick(s), i * pick(s).length);
    });
    return out;
  };

  // The critic's estimate of the sampled pairs.
  const values = yield* policy.valuesRead(
    cat((s) => s.observations),
    cat((s) => s.actions),
    n,
  );
  const slice = (a: Float32Array, i: number) => a.subarray(i * n, (i + 1) * n);

  // The true value: restore s, take a, then follow π until termination or γᵗ < tolerance. The pairs are
  // rolled out in waves of as many as there are env copies.
  const horizons = requests.map((r) => probeHorizon(r.discount, r.tolerance));
  const returns = requests.map(() => new Float64Array(n));
  const envSteps = requests.map(() => 0);
  for (let first = 0; first < n; first += copies) {
    const wave = Math.min(copies, n - first);
    const alive = requests.map(() => new Array<boolean>(wave).fill(true));
    const current = new Float32Array(members * wave * os);
    requests.forEach((r, i) => {
      for (let k = 0; k < wave; k++) {
        const env = r.probe.restore(k, samples[i].rows[first + k]);
        const result = env.step(samples[i].actions.subarray((first + k) * as, (first + k + 1) * as));
        envSteps[i]++;
        returns[i][first + k] = result.reward;
        alive[i][k] = !result.terminated;
        current.set(result.observation, (i * wave + k) * os);
      }
    });
    const weights = requests.map(() => 1);
    for (let t = 1; alive.some((a, i) => t < horizons[i] && a.some(Boolean)); t++) {
      const policyActions = yield* policy.actionsRead(current, wave);
      requests.forEach((r, i) => {
        if (t >= horizons[i]) return;
        weights[i] *= r.discount;
        for (let k = 0; k < wave; k++) {
          if (!alive[i][k]) continue;
          const row = i * wave + k;
          const result = r.probe.envCopy(k).step(policyActions.subarray(row * as, row * as + as));
          envSteps[i]++;
          returns[i][first + k] += weights[i] * result.reward;
          alive[i][k] = !result.terminated;
          current.set(result.observation, row * os);
        }
      });
      yield* pause();
    }
  }

  return requests.map((r, i) => {
    const q1 = Float64Array.from(slice(values.q1, i), (v) => v / r.valueScale);
    const q2 = slice(values.q2, i);
    const twin = policy.twin(i);
    const estimates = Float64Array.from(
      slice(values.q1, i),
      (v, k) => (twin ? Math.min(v, q2[k]) : v) / r.valueScale,
    );
    const estimate = mean(estimates);
    const estimateQ1 = mean(q1);
    const trueValue = mean(returns[i]);
    return {
      pairs: n,
      estimate,
      estimateQ1,
      trueValue,
      bias: estimate - trueValue,
      biasQ1: estimateQ1 - trueValue,
      biasStdError: standardError(Float64Array.from(estimates, (e, k) => e - returns[i][k])),
      horizon: horizons[i],
      envSteps: envSteps[i],
    };
  });
}
