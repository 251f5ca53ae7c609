/**
 * One training session: joins an environment and a TD3 agent (the authors' main.py loop), and produces the
 * metric stream. Pure TypeScript: the Web Worker and the CLI drive the same class, chunk by chunk.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../common/random';
import { makeEnv } from '../envs';
import type { Env, EpisodeState } from '../envs/types';
import type { Batch } from '../rl/agentTypes';
import { type Reads, readAsync, readSync } from '../rl/deviceReads';
import { type Config, parseConfig } from '../rl/hyperparameters';
import { addNoiseAndClip, type ExplorationNoise, makeExplorationNoise } from '../rl/noise';
import { type NormalizerState, ObservationNormalizer } from '../rl/observationNormalizer';
import { ReplayBuffer, type ReplayBufferState } from '../rl/replayBuffer';
import { learningProgress, type Schedule, scheduled } from '../rl/schedules';
import { type AgentState, type LiveAgentConfig, type PolicyAccess, TD3, type UpdateStats } from '../rl/td3';
import { Diverged, guardEnv, stopReason, TrainingStopped, weightsDiverged } from './errors';
import { evaluationSteps, observationRows } from './evaluate';
import type { Divergence, MetricRecord } from './metrics';
import {
  envCopyLimit,
  OverestimationProbe,
  type ProbeResult,
  probeUnavailableReason,
} from './overestimationProbe';

/** Settings that change a running session in place; everything else needs a new session. */
export type LiveConfig = Pick<
  Config,
  | 'totalSteps'
  | 'actorLr'
  | 'criticLr'
  | 'batchSize'
  | 'discount'
  | 'tau'
  | 'updatesPerStep'
  | 'twinCritics'
  | 'policyDelay'
  | 'targetSmoothing'
  | 'policyNoise'
  | 'noiseClip'
  | 'explNoise'
  | 'explNoiseType'
  | 'explNoiseSchedule'
  | 'explNoiseFinal'
  | 'lrSchedule'
  | 'lrFinalFraction'
  | 'criticLrSchedule'
  | 'criticLrFinalFraction'
  | 'actorGradClip'
  | 'criticGradClip'
  | 'actorMinQ'
  | 'evalEvery'
  | 'evalEpisodes'
  | 'probeEvery'
  | 'probePairs'
  | 'probeTolerance'
  | 'logEvery'
>;

/**
 * A transition of an n-step run that waits for its n − 1 next steps: its return is summed as they come, and
 * it enters the replay buffer once it has n rewards or its episode ends.
 */
export interface PendingTransition {
  observation: number[];
  action: number[];
  /** The simulator state it starts from, for the probe. */
  state: number[];
  /** Σ γ^k r_k over the steps so far. */
  reward: number;
  steps: number;
}

/**
 * Everything a session needs to continue exactly where it stopped: the agent (weights, Adam moments, counters,
 * smoothing noise), the replay buffer with the simulator states the probe keeps beside it, every random
 * stream, the exploration noise, the training env's state and episode, and the loop's counters. Taken
 * between env steps, with no evaluation or probe under way.
 */
export interface SessionState {
  config: Config;
  step: number;
  episodes: number;
  episodeReturn: number;
  episodeLength: number;
  observation: number[];
  agent: AgentState;
  /** null: saved without the buffer (smaller; training then refills it, and no longer continues exactly). */
  buffer: ReplayBufferState | null;
  probe: { states: Float64Array; rng: number[] } | null;
  /** Observation normalisation's running statistics (absent when the run does not normalise). */
  normalizer?: NormalizerState;
  /** n-step returns: the transitions still summing their rewards (empty, or absent in older files, for n = 1). */
  pendingTransitions?: PendingTransition[];
  random: { actions: number[]; exploration: number[]; sampling: number[] };
  noise: number[];
  env: { state: number[]; episode: EpisodeState };
  /**
   * Parallel envs (absent for one): the env that steps next, the actions already chosen for it and the envs
   * after it in turn (a group of K chosen together, stopped part way), and envs 1 … K − 1 as the fields above
   * keep env 0 (its observation, episode, exploration noise, waiting n-step transitions and state).
   */
  parallel?: { next: number; waiting: number[][]; envs: SlotState[] };
}

/** One of a run's parallel envs as a checkpoint keeps it. */
export interface SlotState {
  observation: number[];
  episodeReturn: number;
  episodeLength: number;
  noise: number[];
  pendingTransitions: PendingTransition[];
  env: { state: number[]; episode: EpisodeState };
}

/**
 * One env of the run with what its episode carries: its observation, return and length so far, its own
 * exploration noise (OU noise has a state per env) and its n-step transitions still summing rewards.
 */
interface EnvSlot {
  env: Env;
  observation: Float32Array | number[];
  episodeReturn: number;
  episodeLength: number;
  noise: ExplorationNoise;
  pending: PendingTransition[];
  /** The action of its last env step. */
  action: Float32Array;
}

/**
 * An evaluation or probe runs at most this many of its policy steps per unit of work, and stops sooner once
 * this many milliseconds have passed (a probe step on Humanoid steps 16 envs): chunks stay short.
 */
const TASK_SLICE = 32;
const TASK_SLICE_MS = 10;
/** Env steps between throughput records. */
const THROUGHPUT_EVERY = 1000;

/**
 * The agent's settings for a run's: with n-step returns its target discounts the bootstrap by γ^n (the n
 * rewards before it are already summed, discounted, into r).
 */
function agentSettings(config: Config): Config {
  return config.nStep > 1 ? { ...config, discount: config.discount ** config.nStep } : config;
}

/** The critic loss of update `update`, kept on the device and read later, was not finite. */
function lossDiverged(update: number, found = ''): Diverged {
  return new Diverged(
    'the critic loss',
    `the critic loss is not finite (NaN or infinite) at update ${update}${found}`,
    update,
  );
}

export class TrainingSession {
  /** The agent; replaced by a copy on another backend when the current one fails (`recoverOnCurrentBackend`). */
  agent: TD3;
  /** The agent's state at the last evaluation, in case a failed backend cannot even be read. */
  private snapshot: AgentState | null = null;
  readonly buffer: ReplayBuffer;
  private config: Config;
  private readonly probe: OverestimationProbe;
  /**
   * The envs it trains on, env 0 first: one (the paper), or K stepped side by side with one read of the
   * policy's K actions, each transition followed by its updates.
   */
  private readonly slots: EnvSlot[];
  /** The env that steps next: the K envs take turns. */
  private nextSlot = 0;
  /** Envs from `nextSlot` on, in turn, whose actions are chosen and not yet taken. */
  private waiting = 0;
  private readonly randomActions: Random;
  private readonly explorationRng: Random;
  private readonly samplingRng: Random;
  private readonly halfRange: number[];
  /** Observation normalisation, when the run asks for it: updated by training steps only. */
  readonly normalizer: ObservationNormalizer | null;
  /**
   * The agent as the env's observations reach it: normalised first when the run normalises them. Acting,
   * evaluation, the probe and the page's views go through this; the update gets normalised batches.
   */
  readonly policy: PolicyAccess;
  private throughputMark = { time: 0, step: 0, updates: 0 };
  /** Evaluations and probes due before the next env step, each a generator run a slice at a time. */
  private tasks: Reads<void>[] = [];
  /** Env steps taken so far. */
  step = 0;
  episodes = 0;
  /** Why training stopped early (divergence, env error); null while healthy. */
  stoppedReason: string | null = null;
  /** What went non-finite, when a guard stopped the run; null otherwise. */
  divergence: Divergence | null = null;

  private constructor(
    config: Config,
    readonly env: Env,
    parallelEnvs: Env[],
    private readonly evalEnv: Env,
    /** Env copies restored to given states: the probe's rollouts and the evaluation's episodes run on them. */
    private readonly envCopies: Env[],
    private emit: (record: MetricRecord) => void,
  ) {
    this.config = config;
    const spec = env.spec;
    this.halfRange = spec.actionHigh.map((h, i) => (h - spec.actionLow[i]) / 2);
    this.explorationRng = Random.stream(config.seed, 'exploration-noise');
    this.normalizer = config.normalizeObservations ? new ObservationNormalizer(spec.observationSize) : null;
    // Env k starts from seed + k, as Gymnasium's vector envs seed theirs.
    this.slots = [env, ...parallelEnvs].map((slotEnv, k) => ({
      env: slotEnv,
      observation: slotEnv.reset(config.seed + k),
      episodeReturn: 0,
      episodeLength: 0,
      noise: this.makeNoise(config),
      pending: [],
      action: new Float32Array(spec.actionSize),
    }));
    for (const slot of this.slots) this.observeStatistics(slot.observation);
    const norm = this.normalizer;
    const rows = (o: Float32Array) => (norm ? norm.normalizeRows(Float32Array.from(o)) : o);
    // Observations are normalised from their own numbers: alone or among rows, an observation comes out the same.
    const observations = (o: ArrayLike<number>) => (norm ? norm.normalize(o) : o);
    this.policy = {
      space: spec,
      getConfig: () => this.agent.getConfig(),
      actionsRead: (o, n) => this.agent.actionsRead(observations(o), n),
      valuesRead: (o, a, n) => this.agent.valuesRead(rows(o), a, n),
    };
    this.agent = new TD3(spec, agentSettings(config), config.seed);
    this.buffer = new ReplayBuffer(config.bufferSize, spec.observationSize, spec.actionSize);
    if (config.per) this.buffer.enablePriorities();
    this.probe = new OverestimationProbe(
      this.buffer,
      env.getState().length,
      envCopies,
      Random.stream(config.seed, 'overestimation-probe'),
    );
    this.randomActions = Random.stream(config.seed, 'random-actions');
    this.samplingRng = Random.stream(config.seed, 'batch-sampling');
    emit({ type: 'config', step: 0, config: { ...config }, backend: tf.getBackend() });
    if (!this.probeAvailable) {
      emit({
        type: 'probeUnavailable',
        step: 0,
        reason: probeUnavailableReason(spec.id),
      });
    }
    this.throughputMark = { time: performance.now(), step: 0, updates: 0 };
  }

  /** Validates the configuration, makes the envs (training, evaluation, probe copies) and the agent. */
  static async create(
    input: Partial<Config>,
    emit: (record: MetricRecord) => void,
    envFactory: (id: string) => Promise<Env> = makeEnv,
  ): Promise<TrainingSession> {
    const config = parseConfig(input);
    const make = async () => guardEnv(await envFactory(config.env));
    const env = await make();
    const parallelEnvs = await Promise.all(Array.from({ length: config.parallelEnvs - 1 }, make));
    const evalEnv = await make();
    // As many copies as a probe's pairs or an evaluation's episodes, up to the env's limit (more go in waves).
    const copies =
      env.exactRestore === false
        ? 0
        : Math.min(envCopyLimit(config.env), Math.max(1, config.probePairs, config.evalEpisodes));
    const envCopies = await Promise.all(Array.from({ length: copies }, make));
    return new TrainingSession(config, env, parallelEnvs, evalEnv, envCopies, emit);
  }

  /** An env's exploration noise: all draw from the run's one exploration stream. */
  private makeNoise(config: Config): ExplorationNoise {
    return makeExplorationNoise(
      config.explNoiseType as 'gaussian' | 'ou',
      this.halfRange,
      config.explNoise,
      this.explorationRng,
    );
  }

  /**
   * The whole session as data (see SessionState). Only between env steps: call it when `hasPendingWork` is
   * false, so that no evaluation or probe is half done.
   */
  exportState(options: { buffer?: boolean } = {}): SessionState {
    return readSync(this.exportStateRead(options));
  }

  /** `exportState` as work that reads the device (src/rl/deviceReads.ts). */
  *exportStateRead(options: { buffer?: boolean } = {}): Reads<SessionState> {
    if (this.hasPendingWork) throw new Error('an evaluation or probe is under way: checkpoint after it');
    const keepBuffer = options.buffer ?? true;
    const agent = yield* this.agent.stateRead();
    const [first, ...others] = this.slots.map(slotState);
    return {
      config: { ...this.config },
      step: this.step,
      episodes: this.episodes,
      episodeReturn: first.episodeReturn,
      episodeLength: first.episodeLength,
      observation: first.observation,
      agent,
      buffer: keepBuffer ? this.buffer.exportState() : null,
      probe: keepBuffer && this.probeAvailable ? this.probe.exportState(this.buffer.size) : null,
      pendingTransitions: first.pendingTransitions,
      ...(this.normalizer ? { normalizer: this.normalizer.exportState() } : {}),
      random: {
        actions: this.randomActions.getState(),
        exploration: this.explorationRng.getState(),
        sampling: this.samplingRng.getState(),
      },
      noise: first.noise,
      env: first.env,
      ...(others.length
        ? {
            parallel: {
              next: this.nextSlot,
              waiting: Array.from({ length: this.waiting }, (_, j) =>
                Array.from(this.slots[(this.nextSlot + j) % this.slots.length].action),
              ),
              envs: others,
            },
          }
        : {}),
    };
  }

  /**
   * A session continued from `exportState`'s result: with the buffer, on the same backend, it goes on exactly
   * as the session it was taken from would have (tested on the cpu backend). Emits nothing for what is past.
   */
  static async restore(
    state: SessionState,
    emit: (record: MetricRecord) => void,
    envFactory: (id: string) => Promise<Env> = makeEnv,
  ): Promise<TrainingSession> {
    const session = await TrainingSession.create(state.config, () => {}, envFactory);
    try {
      session.importState(state);
    } catch (error) {
      session.dispose();
      throw new Error(`The checkpoint does not fit its own configuration: ${(error as Error).message}`);
    }
    session.emit = emit;
    return session;
  }

  private importState(state: SessionState): void {
    const spec = this.env.spec;
    const saved: SlotState[] = [
      {
        observation: state.observation,
        episodeReturn: state.episodeReturn,
        episodeLength: state.episodeLength,
        noise: state.noise,
        pendingTransitions: state.pendingTransitions ?? [],
        env: state.env,
      },
      ...(state.parallel?.envs ?? []),
    ];
    if (saved.length !== this.slots.length)
      throw new Error(`the file has ${saved.length} parallel envs, the run ${this.slots.length}`);
    const next = state.parallel?.next ?? 0;
    if (!Number.isInteger(next) || next < 0 || next >= this.slots.length)
      throw new Error(`the next env to step (${next}) is not one of the run's ${this.slots.length}`);
    const waiting = state.parallel?.waiting ?? [];
    if (waiting.length > this.slots.length || waiting.some((a) => a.length !== spec.actionSize))
      throw new Error(
        `the actions chosen and not yet taken do not fit ${this.slots.length} envs of ${spec.id}`,
      );
    const stateSize = this.env.getState().length;
    for (const s of saved) {
      if (s.observation.length !== spec.observationSize)
        throw new Error(
          `the saved observation has ${s.observation.length} values, ${spec.id} has ${spec.observationSize}`,
        );
      for (const p of s.pendingTransitions)
        if (
          p.observation.length !== spec.observationSize ||
          p.action.length !== spec.actionSize ||
          p.state.length !== stateSize ||
          p.steps >= this.config.nStep
        )
          throw new Error('a waiting n-step transition does not fit this run');
    }
    this.agent.importState(state.agent);
    if (state.buffer) this.buffer.importState(state.buffer);
    if (state.probe && this.probeAvailable) this.probe.importState(state.probe);
    this.randomActions.setState(state.random.actions);
    this.explorationRng.setState(state.random.exploration);
    this.samplingRng.setState(state.random.sampling);
    if (this.normalizer) {
      if (!state.normalizer)
        throw new Error('the run normalises observations but the file has no statistics');
      this.normalizer.importState(state.normalizer);
    }
    for (const [k, slot] of this.slots.entries()) {
      const s = saved[k];
      slot.noise.importState(s.noise);
      slot.pending = s.pendingTransitions.map((p) => ({ ...p }));
      slot.env.setState(s.env.state);
      slot.env.setEpisodeState(s.env.episode);
      slot.observation = Float32Array.from(s.observation);
      slot.episodeReturn = s.episodeReturn;
      slot.episodeLength = s.episodeLength;
    }
    this.nextSlot = next;
    this.waiting = waiting.length;
    for (const [j, action] of waiting.entries())
      this.slots[(next + j) % this.slots.length].action.set(action);
    this.step = state.step;
    this.episodes = state.episodes;
    this.snapshot = state.agent;
    this.throughputMark = { time: performance.now(), step: this.step, updates: this.agent.updates };
    // Scheduled settings are a function of the step: set them as the uninterrupted run has them now.
    this.applySchedules();
  }

  /** Whether the overestimation probe can run: it needs an exact setState. */
  get probeAvailable(): boolean {
    return this.env.exactRestore !== false;
  }

  /**
   * One overestimation measurement now, outside the schedule and without emitting a record (to see how much
   * one probe varies from the next); it draws pairs from the probe's random stream like a scheduled one.
   */
  probeNow(): ProbeResult {
    if (!this.probeAvailable) throw new Error(`${this.config.env} cannot restore its state: no probe`);
    const c = this.config;
    return this.probe.measure(this.policy, c.probePairs, c.discount, c.probeTolerance, c.rewardScale);
  }

  /** The action of the last env step (for drawing). */
  get lastAction(): Float32Array {
    return this.slots[0].action;
  }

  getConfig(): Config {
    return { ...this.config };
  }

  get done(): boolean {
    return (this.step >= this.config.totalSteps && this.tasks.length === 0) || this.stoppedReason !== null;
  }

  /** Applies settings that may change mid-run; they take effect from the next env step. */
  setLiveConfig(change: Partial<LiveConfig>): void {
    const next = parseConfig({ ...this.config, ...change });
    const noiseChanged = next.explNoiseType !== this.config.explNoiseType;
    this.config = next;
    const agentConfig: LiveAgentConfig = agentSettings(next);
    this.agent.setConfig(agentConfig);
    for (const slot of this.slots) {
      if (noiseChanged) slot.noise = this.makeNoise(next);
      slot.noise.sigma = next.explNoise;
    }
    this.applySchedules();
  }

  /**
   * The scheduled settings at the current step: exploration σ and both learning rates move from their
   * configured values towards their final ones over the learning steps (src/rl/schedules.ts). With the
   * default constant schedules this changes nothing.
   */
  private applySchedules(): void {
    const c = this.config;
    const ownCritic = c.criticLrSchedule !== 'same';
    const [criticSchedule, criticFinal] = ownCritic
      ? [c.criticLrSchedule, c.criticLrFinalFraction]
      : [c.lrSchedule, c.lrFinalFraction];
    if (c.explNoiseSchedule === 'constant' && c.lrSchedule === 'constant' && criticSchedule === 'constant')
      return;
    const p = learningProgress(this.step, c.startSteps, c.totalSteps);
    const sigma = scheduled(c.explNoiseSchedule as Schedule, c.explNoise, c.explNoiseFinal, p);
    for (const slot of this.slots) slot.noise.sigma = sigma;
    const lr = (schedule: string, start: number, final: number) =>
      scheduled(schedule as Schedule, start, start * final, p);
    this.agent.setConfig({
      actorLr: lr(c.lrSchedule, c.actorLr, c.lrFinalFraction),
      criticLr: lr(criticSchedule, c.criticLr, criticFinal),
    });
  }

  /** The exploration σ and learning rates in force now (scheduled ones move as training goes on). */
  get scheduledValues(): { explNoise: number; actorLr: number; criticLr: number } {
    const { actorLr, criticLr } = this.agent.getConfig();
    return { explNoise: this.slots[0].noise.sigma, actorLr, criticLr };
  }

  /**
   * Runs up to `maxSteps` env steps (stopping early at the end, on divergence or an env error); returns the
   * steps taken. Other errors (a failed tfjs backend) are thrown to the caller. Reads synchronously.
   */
  advance(maxSteps: number): number {
    const updatesBefore = this.agent.updates;
    let taken = 0;
    while (taken < maxSteps && !this.done) taken += readSync(this.work(maxSteps - taken));
    readSync(this.checkParameters(updatesBefore));
    return taken;
  }

  /**
   * Works until `budgetMs` of wall time has passed (at least one unit of work), taking at most `maxSteps` env
   * steps (pending evaluations and probes still run after the last one); returns the env steps taken. Reads
   * synchronously (wasm, cpu).
   */
  runFor(budgetMs: number, maxSteps = Number.POSITIVE_INFINITY): number {
    return readSync(this.runRead(budgetMs, maxSteps));
  }

  /** `runFor`, reading the device asynchronously (webgpu, webgl): the thread is free while the GPU works. */
  runForAsync(budgetMs: number, maxSteps = Number.POSITIVE_INFINITY): Promise<number> {
    return readAsync(this.runRead(budgetMs, maxSteps));
  }

  /** `runFor` as work that reads the device, for a driver of the caller's choice (src/rl/deviceReads.ts). */
  *runRead(budgetMs: number, maxSteps = Number.POSITIVE_INFINITY): Reads<number> {
    const start = performance.now();
    const updatesBefore = this.agent.updates;
    let taken = 0;
    do {
      if (taken >= maxSteps && !this.hasPendingWork) break;
      taken += yield* this.work(maxSteps - taken);
    } while (!this.done && performance.now() - start < budgetMs);
    yield* this.checkParameters(updatesBefore);
    return taken;
  }

  /**
   * The checks after each batch of updates (one `advance` or `runFor`): the losses a GPU backend kept on the
   * device, read at once, then the parameter checksum, which catches what no loss check can see, such as
   * critic 2 going non-finite while twin critics are off (its loss is not the one checked).
   */
  private *checkParameters(updatesBefore: number): Reads<void> {
    if (this.stoppedReason !== null || this.agent.updates === updatesBefore) return;
    const range = `found by the check after updates ${updatesBefore + 1}–${this.agent.updates}`;
    const badLoss = yield* this.agent.firstNonFiniteLossRead();
    if (badLoss !== null) {
      this.halt(lossDiverged(badLoss, `, ${range}`));
      return;
    }
    const bad = yield* this.agent.nonFiniteNetworksRead();
    if (bad.length) this.halt(weightsDiverged(bad, updatesBefore + 1, this.agent.updates));
  }

  /** An evaluation or probe is under way (it finishes before the next env step). */
  get hasPendingWork(): boolean {
    return this.tasks.length > 0;
  }

  /**
   * One unit of work: a slice of the pending evaluation or probe if there is one, else the next env steps of
   * the current group of parallel envs (at most `maxSteps`) with their updates. Returns the env steps taken. Divergence and env
   * errors stop the session; other errors (a failed tfjs backend) are thrown to the caller.
   */
  private *work(maxSteps: number): Reads<number> {
    try {
      const task = this.tasks[0];
      if (task) {
        const start = performance.now();
        for (let i = 0; i < TASK_SLICE && performance.now() - start < TASK_SLICE_MS; i++) {
          if (yield* untilPause(task)) {
            this.tasks.shift();
            break;
          }
        }
        return 0;
      }
      if (maxSteps <= 0 || this.step >= this.config.totalSteps) return 0;
      return yield* this.envSteps(maxSteps);
    } catch (error) {
      if (!(error instanceof TrainingStopped)) throw error;
      this.halt(error);
      return 0;
    }
  }

  /** Ends training on the run's own failure; a divergence is kept with its quantity, step and update. */
  private halt(error: TrainingStopped): void {
    this.tasks = [];
    const { reason, divergence } = stopReason(error, this.step, this.agent.updates);
    this.stoppedReason = reason;
    this.divergence = divergence;
    this.emit({
      type: 'stopped',
      step: this.step,
      reason: this.stoppedReason,
      ...(this.divergence ? { divergence: { ...this.divergence } } : {}),
    });
  }

  /**
   * Rebuilds the agent on the tfjs backend now active, continuing from its current state (or, if the old
   * backend cannot be read any more, from the state at the last evaluation). Returns the update count
   * training continues from.
   */
  async recoverOnCurrentBackend(): Promise<number> {
    let state: AgentState | null = null;
    try {
      // Read where the old tensors are, asynchronously (a synchronous read of a GPU backend may be wrong).
      state = await readAsync(this.agent.stateRead());
    } catch {
      state = this.snapshot;
    }
    if (!state) throw new Error('the agent could not be read back and no snapshot exists yet');
    try {
      this.agent.dispose();
    } catch {
      // The old backend is gone; its memory goes with it.
    }
    this.agent = new TD3(this.env.spec, agentSettings(this.config), this.config.seed);
    this.agent.importState(state);
    this.applySchedules();
    return state.updates;
  }

  /**
   * Env steps of the parallel envs in turn, at most `maxSteps`, each with the action chosen for it when its
   * group began (`chooseActions`): where the caller stops mid-group changes nothing. Returns the steps taken.
   */
  private *envSteps(maxSteps: number): Reads<number> {
    if (this.waiting === 0) yield* this.chooseActions();
    const n = Math.min(this.waiting, maxSteps);
    for (let j = 0; j < n; j++) {
      const slot = this.slots[this.nextSlot];
      this.nextSlot = (this.nextSlot + 1) % this.slots.length;
      this.waiting--;
      yield* this.envStep(slot);
    }
    return n;
  }

  /**
   * The actions of the next m parallel envs in turn (m ≤ K, fewer where an evaluation or probe falls sooner,
   * so that it measures the policy at its own step), the policy's read for all of them at once: uniform
   * random actions before learning starts, then π(s) plus exploration noise, clipped to the bounds.
   */
  private *chooseActions(): Reads<void> {
    const c = this.config;
    const spec = this.env.spec;
    const k = this.slots.length;
    const m = Math.min(
      k,
      c.totalSteps - this.step,
      c.evalEvery - (this.step % c.evalEvery),
      c.probeEvery - (this.step % c.probeEvery),
    );
    const slots = Array.from({ length: m }, (_, j) => this.slots[(this.nextSlot + j) % k]);
    const firstLearned = Math.max(0, c.startSteps - this.step);
    let learned: Float32Array | null = null;
    if (firstLearned < m) {
      const n = m - firstLearned;
      const observations = slots.slice(firstLearned).map((slot) => slot.observation);
      learned = yield* this.policy.actionsRead(observationRows(observations, spec.observationSize), n);
    }
    for (const [j, slot] of slots.entries()) {
      if (learned && j >= firstLearned) {
        const at = (j - firstLearned) * spec.actionSize;
        addNoiseAndClip(
          learned.subarray(at, at + spec.actionSize),
          slot.noise.sample(),
          spec.actionLow,
          spec.actionHigh,
          slot.action,
        );
      } else {
        for (let i = 0; i < spec.actionSize; i++) {
          slot.action[i] = this.randomActions.uniformRange(spec.actionLow[i], spec.actionHigh[i]);
        }
      }
    }
    this.waiting = m;
  }

  /** An env step with the slot's chosen action, then the updates, evaluation and probe it triggers. */
  private *envStep(slot: EnvSlot): Reads<void> {
    const c = this.config;
    // The state the transition starts from, for the probe (getState returns a copy).
    const stateBefore = slot.env.getState();
    const result = slot.env.step(slot.action);
    // Only termination cuts the bootstrap; a time-limit truncation is stored as not done.
    if (c.nStep > 1) this.storeNStep(slot, stateBefore, result);
    else {
      this.probe.recordState(stateBefore);
      this.buffer.add(
        slot.observation,
        slot.action,
        result.reward * c.rewardScale,
        result.observation,
        result.terminated,
      );
    }
    slot.observation = result.observation;
    this.observeStatistics(slot.observation);
    slot.episodeReturn += result.reward;
    slot.episodeLength++;
    this.step++;

    if (this.step > c.startSteps) {
      this.applySchedules();
      for (let u = 0; u < c.updatesPerStep; u++) yield* this.update();
    }

    if (result.terminated || result.truncated) {
      this.episodes++;
      this.emit({
        type: 'episode',
        step: this.step,
        episode: this.episodes,
        return: slot.episodeReturn,
        length: slot.episodeLength,
        terminated: result.terminated,
      });
      slot.observation = slot.env.reset();
      this.observeStatistics(slot.observation);
      slot.noise.reset();
      slot.episodeReturn = 0;
      slot.episodeLength = 0;
    }

    // Evaluation and the probe run as tasks before the next env step, spread over chunks of work.
    if (this.step % c.evalEvery === 0) this.tasks.push(this.evaluationTask(this.step));
    if (
      this.probeAvailable &&
      this.step % c.probeEvery === 0 &&
      this.step > c.startSteps &&
      c.probePairs > 0
    ) {
      this.tasks.push(this.probeTask(this.step));
    }
    if (this.step % THROUGHPUT_EVERY === 0) this.emitThroughput();
  }

  private *evaluationTask(step: number): Reads<void> {
    const c = this.config;
    const { mean, std, returns } = yield* evaluationSteps(
      this.policy,
      this.evalEnv,
      c.evalEpisodes,
      c.seed + 100,
      this.envCopies,
    );
    this.emit({ type: 'eval', step, mean, std, returns });
    this.snapshot = yield* this.agent.stateRead();
  }

  private *probeTask(step: number): Reads<void> {
    const c = this.config;
    const probe = yield* this.probe.measurementSteps(
      this.policy,
      c.probePairs,
      c.discount,
      c.probeTolerance,
      c.rewardScale,
    );
    this.emit({ type: 'probe', step, ...probe });
  }

  /**
   * n-step returns: this step's reward joins every waiting transition's sum, γ^k r for the one k steps back;
   * a transition with n rewards enters the buffer with s′ = this step's observation, and when the episode
   * ends every waiting one does: with no bootstrap if it terminated, else bootstrapping after its k < n
   * steps (weight γ^(k − n) on the update's γ^n).
   */
  private storeNStep(
    slot: EnvSlot,
    stateBefore: number[],
    result: { reward: number; observation: ArrayLike<number>; terminated: boolean; truncated: boolean },
  ): void {
    const { nStep: n, discount: gamma } = this.config;
    const pending = slot.pending;
    pending.push({
      observation: Array.from(slot.observation),
      action: Array.from(slot.action),
      state: stateBefore,
      reward: 0,
      steps: 0,
    });
    for (const p of pending) {
      p.reward += gamma ** p.steps * result.reward * this.config.rewardScale;
      p.steps++;
    }
    const ended = result.terminated || result.truncated;
    while (pending.length && (ended || pending[0].steps >= n)) {
      const p = pending.shift() as PendingTransition;
      const bootstrap = result.terminated ? 0 : gamma ** (p.steps - n);
      this.probe.recordState(p.state);
      this.buffer.addWithBootstrap(p.observation, p.action, p.reward, result.observation, bootstrap);
    }
  }

  /**
   * A training observation into the normaliser's running statistics: every one, or (freezeObservationStats)
   * those of the random steps before learning starts, after which the networks' inputs keep one scale.
   */
  private observeStatistics(observation: ArrayLike<number>): void {
    if (!this.normalizer) return;
    if (this.config.freezeObservationStats && this.step >= this.config.startSteps) return;
    this.normalizer.update(observation);
  }

  /** A sampled batch (the buffer's copy of its rows) with its observations normalised, when the run does. */
  private normalized<B extends Batch>(batch: B): B {
    if (this.normalizer) {
      this.normalizer.normalizeRows(batch.observations);
      this.normalizer.normalizeRows(batch.nextObservations);
    }
    return batch;
  }

  private *update(): Reads<void> {
    const c = this.config;
    const wantStats = (this.agent.updates + 1) % c.logEvery === 0;
    let stats: UpdateStats | null;
    if (c.per) {
      // Prioritized replay: β rises from β₀ to 1 over the learning steps; the rows drawn get new priorities.
      const beta = c.perBeta0 + (1 - c.perBeta0) * learningProgress(this.step, c.startSteps, c.totalSteps);
      const batch = this.buffer.samplePrioritized(c.batchSize, this.samplingRng, beta);
      stats = yield* this.agent.trainRead(this.normalized(batch), wantStats);
      if (this.agent.lastUpdateFinite)
        this.buffer.updatePriorities(batch.rows, this.agent.lastTdErrors, c.perAlpha);
    } else {
      const batch = this.normalized(this.buffer.sample(c.batchSize, this.samplingRng));
      stats = yield* this.agent.trainRead(batch, wantStats);
    }
    // The agent checks the loss of every update where a read-back is cheap, and of every one with statistics.
    if (!this.agent.lastUpdateFinite) {
      // On a GPU backend an earlier update's loss, kept on the device, may have been the first to go.
      const earlier = yield* this.agent.firstNonFiniteLossRead();
      if (earlier !== null) throw lossDiverged(earlier);
      const detail = stats ? `critic loss ${stats.criticLoss}, mean Q1 ${stats.q1}` : 'NaN or infinite';
      throw new Diverged('the critic loss', `the critic loss is not finite (${detail})`);
    }
    if (!stats) return;
    const { update, criticLoss, actorLoss, q1, q2, targetQ } = stats;
    this.emit({ type: 'update', step: this.step, update, criticLoss, actorLoss, q1, q2, targetQ });
  }

  private emitThroughput(): void {
    const now = performance.now();
    const seconds = (now - this.throughputMark.time) / 1000;
    if (seconds <= 0) return;
    this.emit({
      type: 'throughput',
      step: this.step,
      envStepsPerSec: (this.step - this.throughputMark.step) / seconds,
      updatesPerSec: (this.agent.updates - this.throughputMark.updates) / seconds,
    });
    this.throughputMark = { time: now, step: this.step, updates: this.agent.updates };
  }

  dispose(): void {
    this.agent.dispose();
    for (const env of [...this.slots.map((slot) => slot.env), this.evalEnv, ...this.envCopies]) env.close();
  }
}

/** A slot as a checkpoint keeps it. */
function slotState(slot: EnvSlot): SlotState {
  return {
    observation: Array.from(slot.observation),
    episodeReturn: slot.episodeReturn,
    episodeLength: slot.episodeLength,
    noise: slot.noise.exportState(),
    pendingTransitions: slot.pending.map((p) => ({ ...p })),
    env: { state: slot.env.getState(), episode: slot.env.getEpisodeState() },
  };
}

/**
 * Runs `task` up to its next pause (a step of an evaluation or probe), passing its reads on; returns whether
 * the task has finished.
 */
function* untilPause(task: Reads<void>): Reads<boolean> {
  let values: Float32Array[] = [];
  let between = false;
  try {
    for (;;) {
      const next = task.next(values);
      between = true;
      if (next.done) return true;
      if (next.value.length === 0) return false;
      between = false;
      values = yield next.value;
    }
  } finally {
    // Abandoned during a read (the backend failed): the task cannot be resumed there, so it ends.
    if (!between) task.return();
  }
}
