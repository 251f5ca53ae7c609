/**
 * Training many runs at once: N runs of one environment (variants × seeds) stepping in lockstep, their agents
 * one batched population (src/rl/population.ts). Each step reads every run's action in one read, and each
 * update is one call for all of them: on a GPU backend the device is waited on once per step for the whole
 * grid, not once per run. Each run keeps everything else of its own (envs, replay buffer, exploration noise,
 * random streams) seeded as a TrainingSession of its configuration seeds them, so each run's records are its
 * TrainingSession's (tested on the cpu backend).
 *
 * The runs may differ in the paper's switches, seed, learning rates, γ and τ; everything that sets the
 * loop's pace (steps, start steps, batch size, updates per step, evaluation and logging) must be the same.
 * Options a population cannot batch, and the ones this loop leaves out (n-step returns, prioritized replay,
 * observation normalisation, schedules, reward scaling), are refused with the reason. The overestimation
 * probe measures every run at once (src/train/overestimationProbe.ts's measureTogether).
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../common/random';
import { makeEnv } from '../envs';
import type { Env } from '../envs/types';
import type { Batch } from '../rl/agentTypes';
import { type Reads, readAsync, readSync } from '../rl/deviceReads';
import { type Config, parseConfig } from '../rl/hyperparameters';
import { addNoiseAndClip, type ExplorationNoise, makeExplorationNoise } from '../rl/noise';
import { Population } from '../rl/population';
import { ReplayBuffer } from '../rl/replayBuffer';
import { Diverged, guardEnv, stopReason, TrainingStopped, weightsDiverged } from './errors';
import { episodeStart } from './evaluate';
import { type Divergence, type MetricRecord, mean, std } from './metrics';
import {
  envCopyLimit,
  measureTogether,
  OverestimationProbe,
  probeUnavailableReason,
} from './overestimationProbe';
import { populationProblem } from './populationFit';

/** One run of the population: all but its agent. */
interface Run {
  config: Config;
  env: Env;
  evalEnv: Env;
  buffer: ReplayBuffer;
  noise: ExplorationNoise;
  randomActions: Random;
  samplingRng: Random;
  observation: ArrayLike<number>;
  episodeReturn: number;
  episodeLength: number;
  episodes: number;
  /** The simulator states beside its buffer and the env copies its probe rolls out on (null: not exact). */
  probe: OverestimationProbe | null;
  probeEnvs: Env[];
  /** Why this run stopped by itself (its critic diverged, its env failed); null while healthy. */
  stoppedReason: string | null;
  divergence: Divergence | null;
}

/** Env copies of all runs together, at most, in units of one run's limit (Pendulum's are small; Humanoid's are not). */
const POPULATION_COPY_RUNS = 4;

export class PopulationSession {
  readonly population: Population;
  step = 0;

  private constructor(
    private readonly runs: Run[],
    /** Run i's records, as its TrainingSession would emit them. */
    private readonly emit: (run: number, record: MetricRecord) => void,
  ) {
    const { spec } = runs[0].env;
    this.population = new Population(
      spec,
      runs.map((r) => ({ config: r.config, seed: r.config.seed })),
    );
    runs.forEach((r, i) => {
      emit(i, { type: 'config', step: 0, config: { ...r.config }, backend: tf.getBackend() });
      if (!r.probe)
        emit(i, {
          type: 'probeUnavailable',
          step: 0,
          reason: probeUnavailableReason(spec.id),
        });
    });
  }

  static async create(
    inputs: Partial<Config>[],
    emit: (run: number, record: MetricRecord) => void,
    envFactory: (id: string) => Promise<Env> = makeEnv,
  ): Promise<PopulationSession> {
    const configs = inputs.map((input) => parseConfig(input));
    const problem = populationProblem(configs);
    if (problem) throw new Error(`These runs cannot train as one population: ${problem}`);
    const runs: Run[] = [];
    // How many pairs roll out, or episodes are evaluated, at once changes no return: the copies are shared out.
    const wanted = Math.max(configs[0].probePairs, configs[0].evalEpisodes);
    const limit = envCopyLimit(configs[0].env);
    const copies = Math.max(
      1,
      Math.min(limit, wanted, Math.floor((POPULATION_COPY_RUNS * limit) / configs.length)),
    );
    for (const config of configs) {
      const make = async () => guardEnv(await envFactory(config.env));
      const env = await make();
      const evalEnv = await make();
      const { spec } = env;
      const observation = env.reset(config.seed);
      const buffer = new ReplayBuffer(config.bufferSize, spec.observationSize, spec.actionSize);
      const exact = env.exactRestore !== false;
      const probeEnvs = exact ? await Promise.all(Array.from({ length: copies }, make)) : [];
      const probe = exact
        ? new OverestimationProbe(
            buffer,
            env.getState().length,
            probeEnvs,
            Random.stream(config.seed, 'overestimation-probe'),
          )
        : null;
      const halfRange = spec.actionHigh.map((h, i) => (h - spec.actionLow[i]) / 2);
      runs.push({
        config,
        env,
        evalEnv,
        buffer,
        // The streams a TrainingSession of this configuration draws from, in its order.
        noise: makeExplorationNoise(
          config.explNoiseType as 'gaussian' | 'ou',
          halfRange,
          config.explNoise,
          Random.stream(config.seed, 'exploration-noise'),
        ),
        randomActions: Random.stream(config.seed, 'random-actions'),
        samplingRng: Random.stream(config.seed, 'batch-sampling'),
        observation,
        episodeReturn: 0,
        episodeLength: 0,
        episodes: 0,
        probe,
        probeEnvs,
        stoppedReason: null,
        divergence: null,
      });
    }
    return new PopulationSession(runs, emit);
  }

  /** The runs' configurations, in order. */
  get configs(): Config[] {
    return this.runs.map((r) => r.config);
  }

  /** Episodes run `i` has finished. */
  episodesOf(i: number): number {
    return this.runs[i].episodes;
  }

  /** Lockstep steps until `ms` have passed or the runs are done; returns the steps taken. */
  *runRead(ms: number): Reads<number> {
    const start = performance.now();
    const updatesBefore = this.population.updates;
    let taken = 0;
    while (!this.done && (taken === 0 || performance.now() - start < ms)) {
      yield* this.lockstep();
      taken++;
    }
    yield* this.checkWeights(updatesBefore);
    return taken;
  }

  /** After a batch of updates: every member's weights checksummed in one read; a non-finite one stops its run. */
  private *checkWeights(updatesBefore: number): Reads<void> {
    const updates = this.population.updates;
    if (updates === updatesBefore) return;
    const bad = yield* this.population.nonFiniteMembersRead();
    bad.forEach((networks, i) => {
      if (networks.length) this.halt(i, weightsDiverged(networks, updatesBefore + 1, updates));
    });
  }

  /** At the last step, or every run stopped by itself. */
  get done(): boolean {
    return this.step >= this.runs[0].config.totalSteps || this.runs.every((r) => r.stoppedReason !== null);
  }

  /** Why run `i` stopped by itself, and what diverged if that was why; null while it trains. */
  stoppedOf(i: number): { reason: string; divergence: Divergence | null } | null {
    const r = this.runs[i];
    return r.stoppedReason === null ? null : { reason: r.stoppedReason, divergence: r.divergence };
  }

  /**
   * Run `i` stops on its own failure, as a TrainingSession stops; the others go on. Its member stays in the
   * batched weights (its rows are its own, so they touch no other member), but its env no longer steps and
   * it records nothing more.
   */
  private halt(i: number, error: TrainingStopped): void {
    const r = this.runs[i];
    if (r.stoppedReason !== null) return;
    const { reason, divergence } = stopReason(error, this.step, this.population.updates);
    r.stoppedReason = reason;
    r.divergence = divergence;
    this.emit(i, {
      type: 'stopped',
      step: this.step,
      reason: r.stoppedReason,
      ...(r.divergence ? { divergence: { ...r.divergence } } : {}),
    });
  }

  /** Catches a run's own failure (TrainingStopped) and stops that run alone; other errors go up. */
  private guarded(i: number, work: () => void): void {
    try {
      work();
    } catch (error) {
      if (!(error instanceof TrainingStopped)) throw error;
      this.halt(i, error);
    }
  }

  /** Up to `maxSteps` lockstep steps, read synchronously (wasm, cpu). */
  advance(maxSteps: number): number {
    return readSync(this.stepsRead(maxSteps));
  }

  /** The same, read asynchronously (GPU backends). */
  advanceAsync(maxSteps: number): Promise<number> {
    return readAsync(this.stepsRead(maxSteps));
  }

  *stepsRead(maxSteps: number): Reads<number> {
    let taken = 0;
    while (taken < maxSteps && !this.done) {
      yield* this.lockstep();
      taken++;
    }
    return taken;
  }

  /** One env step of every run (one read of all their actions), then their updates and evaluation. */
  private *lockstep(): Reads<void> {
    const c = this.runs[0].config;
    const { spec } = this.runs[0].env;
    const as = spec.actionSize;
    let policy: Float32Array | null = null;
    if (this.step >= c.startSteps) {
      const observations = new Float32Array(this.runs.length * spec.observationSize);
      this.runs.forEach((r, i) => {
        observations.set(Float32Array.from(r.observation), i * spec.observationSize);
      });
      policy = yield* this.population.actionsRead(observations, 1);
    }
    /** Per run: whether its episode ended at this step, and whether by termination. */
    const ends: { ended: boolean; terminated: boolean }[] = [];
    this.runs.forEach((r, i) => {
      if (r.stoppedReason !== null) {
        ends.push({ ended: false, terminated: false });
        return;
      }
      const action = new Float32Array(as);
      if (!policy)
        for (let k = 0; k < as; k++)
          action[k] = r.randomActions.uniformRange(spec.actionLow[k], spec.actionHigh[k]);
      else
        addNoiseAndClip(
          policy.subarray(i * as, (i + 1) * as),
          r.noise.sample(),
          spec.actionLow,
          spec.actionHigh,
          action,
        );
      const end = { ended: false, terminated: false };
      ends.push(end);
      this.guarded(i, () => {
        r.probe?.recordState(r.env.getState());
        const result = r.env.step(action);
        r.buffer.add(r.observation, action, result.reward, result.observation, result.terminated);
        r.observation = result.observation;
        r.episodeReturn += result.reward;
        r.episodeLength++;
        end.ended = result.terminated || result.truncated;
        end.terminated = result.terminated;
      });
    });
    this.step++;

    if (this.step > c.startSteps)
      for (let k = 0; k < c.updatesPerStep; k++) {
        const wantStats = (this.population.updates + 1) % c.logEvery === 0;
        const batches: Batch[] = this.runs.map((r) => r.buffer.sample(c.batchSize, r.samplingRng));
        const stats = yield* this.population.trainRead(batches, wantStats);
        stats.forEach((s, i) => {
          if (!s || this.runs[i].stoppedReason !== null) return;
          const { update, criticLoss, actorLoss, q1, q2, targetQ } = s;
          if (!Number.isFinite(criticLoss)) {
            const detail = `critic loss ${criticLoss}, mean Q1 ${q1}`;
            this.halt(i, new Diverged('the critic loss', `the critic loss is not finite (${detail})`));
            return;
          }
          this.emit(i, { type: 'update', step: this.step, update, criticLoss, actorLoss, q1, q2, targetQ });
        });
      }

    this.runs.forEach((r, i) => {
      if (!ends[i].ended) return;
      r.episodes++;
      this.emit(i, {
        type: 'episode',
        step: this.step,
        episode: r.episodes,
        return: r.episodeReturn,
        length: r.episodeLength,
        terminated: ends[i].terminated,
      });
      this.guarded(i, () => {
        r.observation = r.env.reset();
      });
      r.noise.reset();
      r.episodeReturn = 0;
      r.episodeLength = 0;
    });

    if (this.step % c.evalEvery === 0) yield* this.evaluation();
    if (this.step % c.probeEvery === 0 && this.step > c.startSteps && c.probePairs > 0)
      yield* this.measureOverestimation();
  }

  /** Every run's overestimation probe, measured together: one read per step of the rollouts for all. */
  private *measureOverestimation(): Reads<void> {
    const measured = this.runs.flatMap((r, i) =>
      r.probe && r.stoppedReason === null ? [{ r, i, probe: r.probe }] : [],
    );
    if (!measured.length) return;
    const results = yield* measureTogether(
      measured.map(({ r, probe }) => ({
        probe,
        pairs: r.config.probePairs,
        discount: r.config.discount,
        tolerance: r.config.probeTolerance,
        valueScale: r.config.rewardScale,
      })),
      {
        space: this.population.space,
        twin: (k) => measured[k].r.config.twinCritics,
        actionsRead: (observations, rows) => this.population.actionsRead(observations, rows),
        valuesRead: (observations, actions, rows) => this.population.valuesRead(observations, actions, rows),
      },
    );
    results.forEach((result, k) => {
      this.emit(measured[k].i, { type: 'probe', step: this.step, ...result });
    });
  }

  /**
   * Every run's evaluation (its eval env restarted at seed + 100, K episodes of its deterministic policy),
   * the runs in lockstep, and each run's episodes side by side on its env copies where it has them (as a
   * TrainingSession's, src/train/evaluate.ts): one read of all their actions per step.
   */
  private *evaluation(): Reads<void> {
    const c = this.runs[0].config;
    const { spec } = this.runs[0].env;
    const os = spec.observationSize;
    const as = spec.actionSize;
    const episodes = c.evalEpisodes;
    const returns: number[][] = this.runs.map(() => new Array<number>(episodes).fill(0));
    // Runs that stopped are not evaluated; an eval env's failure stops its run alone.
    const active = this.runs.map((r) => r.stoppedReason === null);
    // Every run has as many copies (none where states do not restore exactly: then one after another).
    const width = Math.max(1, Math.min(this.runs[0].probeEnvs.length, episodes));
    for (let first = 0; first < episodes; first += width) {
      const wave = Math.min(width, episodes - first);
      const envs = this.runs.map((r) => (width > 1 ? r.probeEnvs.slice(0, wave) : [r.evalEnv]));
      const rows = new Float32Array(this.runs.length * wave * os);
      const alive = this.runs.map(() => new Array<boolean>(wave).fill(false));
      this.runs.forEach((r, i) => {
        if (!active[i]) return;
        this.guarded(i, () => {
          for (let k = 0; k < wave; k++) {
            const copy = width > 1 ? envs[i][k] : undefined;
            const observation = episodeStart(r.evalEnv, first + k, r.config.seed + 100, copy);
            rows.set(observation, (i * wave + k) * os);
            alive[i][k] = true;
          }
        });
        active[i] = r.stoppedReason === null;
      });
      while (this.runs.some((_, i) => active[i] && alive[i].some(Boolean))) {
        const actions = yield* this.population.actionsRead(rows, wave);
        this.runs.forEach((r, i) => {
          if (!active[i]) return;
          this.guarded(i, () => {
            for (let k = 0; k < wave; k++) {
              if (!alive[i][k]) continue;
              const row = i * wave + k;
              const result = envs[i][k].step(actions.subarray(row * as, (row + 1) * as));
              returns[i][first + k] += result.reward;
              rows.set(result.observation, row * os);
              if (result.terminated || result.truncated) alive[i][k] = false;
            }
          });
          active[i] = r.stoppedReason === null;
        });
      }
    }
    returns.forEach((list, i) => {
      if (this.runs[i].stoppedReason !== null) return;
      this.emit(i, { type: 'eval', step: this.step, mean: mean(list), std: std(list), returns: list });
    });
  }

  dispose(): void {
    this.population.dispose();
    for (const r of this.runs) for (const env of [r.env, r.evalEnv, ...r.probeEnvs]) env.close();
  }
}
