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
import { evaluationSteps } from './evaluate';
import type { Divergence, MetricRecord } from './metrics';
import {
  OverestimationProbe,
  PROBE_ENV_COPIES,
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
  private noise: ExplorationNoise;
  private readonly randomActions: Random;
  private readonly explorationRng: Random;
  private readonly samplingRng: Random;
  private readonly halfRange: number[];
  private readonly action: Float32Array;
  private observation: Float32Array | number[];
  private episodeReturn = 0;
  private pending: PendingTransition[] = [];
  /** Observation normalisation, when the run asks for it: updated by training steps only. */
  readonly normalizer: ObservationNormalizer | null;
  /**
   * The agent as the env's observations reach it: normalised first when the run normalises them. Acting,
   * evaluation, the probe and the page's views go through this; the update gets normalised batches.
   */
  readonly policy: PolicyAccess;
  private episodeLength = 0;
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
    private readonly evalEnv: Env,
    private readonly probeEnvs: Env[],
    private emit: (record: MetricRecord) => void,
  ) {
    this.config = config;
    const spec = env.spec;
    this.observation = env.reset(config.seed);
    this.normalizer = config.normalizeObservations ? new ObservationNormalizer(spec.observationSize) : null;
    this.observeStatistics(this.observation);
    const norm = this.normalizer;
    const rows = (o: Float32Array) => (norm ? norm.normalizeRows(Float32Array.from(o)) : o);
    // One observation (an env step's) is normalised from its own numbers, rows (a batch) from float32 copies.
    const observations = (o: ArrayLike<number>, n: number) =>
      norm && n === 1 ? norm.normalize(o) : rows(o instanceof Float32Array ? o : Float32Array.from(o));
    this.policy = {
      space: spec,
      getConfig: () => this.agent.getConfig(),
      actionsRead: (o, n) => this.agent.actionsRead(observations(o, n), n),
      valuesRead: (o, a, n) => this.agent.valuesRead(rows(o), a, n),
    };
    this.agent = new TD3(spec, agentSettings(config), config.seed);
    this.buffer = new ReplayBuffer(config.bufferSize, spec.observationSize, spec.actionSize);
    if (config.per) this.buffer.enablePriorities();
    this.probe = new OverestimationProbe(
      this.buffer,
      env.getState().length,
      probeEnvs,
      Random.stream(config.seed, 'overestimation-probe'),
    );
    this.halfRange = spec.actionHigh.map((h, i) => (h - spec.actionLow[i]) / 2);
    this.explorationRng = Random.stream(config.seed, 'exploration-noise');
    this.noise = makeExplorationNoise(
      config.explNoiseType as 'gaussian' | 'ou',
      this.halfRange,
      config.explNoise,
      this.explorationRng,
    );
    this.randomActions = Random.stream(config.seed, 'random-actions');
    this.samplingRng = Random.stream(config.seed, 'batch-sampling');
    this.action = new Float32Array(spec.actionSize);
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
    const evalEnv = await make();
    const probeCount =
      env.exactRestore === false ? 0 : Math.min(PROBE_ENV_COPIES, Math.max(1, config.probePairs));
    const probeEnvs = await Promise.all(Array.from({ length: probeCount }, make));
    return new TrainingSession(config, env, evalEnv, probeEnvs, emit);
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
    return {
      config: { ...this.config },
      step: this.step,
      episodes: this.episodes,
      episodeReturn: this.episodeReturn,
      episodeLength: this.episodeLength,
      observation: Array.from(this.observation),
      agent,
      buffer: keepBuffer ? this.buffer.exportState() : null,
      probe: keepBuffer && this.probeAvailable ? this.probe.exportState(this.buffer.size) : null,
      pendingTransitions: this.pending.map((p) => ({ ...p })),
      ...(this.normalizer ? { normalizer: this.normalizer.exportState() } : {}),
      random: {
        actions: this.randomActions.getState(),
        exploration: this.explorationRng.getState(),
        sampling: this.samplingRng.getState(),
      },
      noise: this.noise.exportState(),
      env: { state: this.env.getState(), episode: this.env.getEpisodeState() },
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
    if (state.observation.length !== spec.observationSize)
      throw new Error(
        `the saved observation has ${state.observation.length} values, ${spec.id} has ${spec.observationSize}`,
      );
    this.agent.importState(state.agent);
    if (state.buffer) this.buffer.importState(state.buffer);
    if (state.probe && this.probeAvailable) this.probe.importState(state.probe);
    this.randomActions.setState(state.random.actions);
    this.explorationRng.setState(state.random.exploration);
    this.samplingRng.setState(state.random.sampling);
    this.noise.importState(state.noise);
    this.pending = (state.pendingTransitions ?? []).map((p) => ({ ...p }));
    if (this.normalizer) {
      if (!state.normalizer)
        throw new Error('the run normalises observations but the file has no statistics');
      this.normalizer.importState(state.normalizer);
    }
    const stateSize = this.env.getState().length;
    for (const p of this.pending)
      if (
        p.observation.length !== spec.observationSize ||
        p.action.length !== spec.actionSize ||
        p.state.length !== stateSize ||
        p.steps >= this.config.nStep
      )
        throw new Error('a waiting n-step transition does not fit this run');
    this.env.setState(state.env.state);
    this.env.setEpisodeState(state.env.episode);
    this.observation = Float32Array.from(state.observation);
    this.step = state.step;
    this.episodes = state.episodes;
    this.episodeReturn = state.episodeReturn;
    this.episodeLength = state.episodeLength;
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
    return this.action;
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
    if (noiseChanged) {
      this.noise = makeExplorationNoise(
        next.explNoiseType as 'gaussian' | 'ou',
        this.halfRange,
        next.explNoise,
        this.explorationRng,
      );
    }
    this.noise.sigma = next.explNoise;
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
    this.noise.sigma = scheduled(c.explNoiseSchedule as Schedule, c.explNoise, c.explNoiseFinal, p);
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
    return { explNoise: this.noise.sigma, actorLr, criticLr };
  }

  /**
   * Runs up to `maxSteps` env steps (stopping early at the end, on divergence or an env error); returns the
   * steps taken. Other errors (a failed tfjs backend) are thrown to the caller. Reads synchronously.
   */
  advance(maxSteps: number): number {
    const updatesBefore = this.agent.updates;
    let taken = 0;
    while (taken < maxSteps && !this.done) {
      if (readSync(this.work())) taken++;
    }
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
      if (yield* this.work(taken < maxSteps)) taken++;
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
   * One unit of work: a slice of the pending evaluation or probe if there is one, else one env step with its
   * updates. Returns whether an env step was taken. Divergence and env errors stop the session; other errors
   * (a failed tfjs backend) are thrown to the caller.
   */
  private *work(mayStep = true): Reads<boolean> {
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
        return false;
      }
      if (!mayStep || this.step >= this.config.totalSteps) return false;
      yield* this.envStep();
      return true;
    } catch (error) {
      if (!(error instanceof TrainingStopped)) throw error;
      this.halt(error);
      return false;
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

  /** One env step of the authors' loop, then the updates, evaluation and probe it triggers. */
  private *envStep(): Reads<void> {
    const c = this.config;
    const spec = this.env.spec;

    // Uniform random actions before learning starts; then π(s) plus exploration noise, clipped to the bounds.
    if (this.step < c.startSteps) {
      for (let i = 0; i < spec.actionSize; i++) {
        this.action[i] = this.randomActions.uniformRange(spec.actionLow[i], spec.actionHigh[i]);
      }
    } else {
      addNoiseAndClip(
        yield* this.policy.actionsRead(this.observation, 1),
        this.noise.sample(),
        spec.actionLow,
        spec.actionHigh,
        this.action,
      );
    }

    // The state the transition starts from, for the probe (getState returns a copy).
    const stateBefore = this.env.getState();
    const result = this.env.step(this.action);
    // Only termination cuts the bootstrap; a time-limit truncation is stored as not done.
    if (c.nStep > 1) this.storeNStep(stateBefore, result);
    else {
      this.probe.recordState(stateBefore);
      this.buffer.add(
        this.observation,
        this.action,
        result.reward * c.rewardScale,
        result.observation,
        result.terminated,
      );
    }
    this.observation = result.observation;
    this.observeStatistics(this.observation);
    this.episodeReturn += result.reward;
    this.episodeLength++;
    this.step++;

    if (this.step > c.startSteps) {
      this.applySchedules();
      for (let k = 0; k < c.updatesPerStep; k++) yield* this.update();
    }

    if (result.terminated || result.truncated) {
      this.episodes++;
      this.emit({
        type: 'episode',
        step: this.step,
        episode: this.episodes,
        return: this.episodeReturn,
        length: this.episodeLength,
        terminated: result.terminated,
      });
      this.observation = this.env.reset();
      this.observeStatistics(this.observation);
      this.noise.reset();
      this.episodeReturn = 0;
      this.episodeLength = 0;
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
    stateBefore: number[],
    result: { reward: number; observation: ArrayLike<number>; terminated: boolean; truncated: boolean },
  ): void {
    const { nStep: n, discount: gamma } = this.config;
    this.pending.push({
      observation: Array.from(this.observation),
      action: Array.from(this.action),
      state: stateBefore,
      reward: 0,
      steps: 0,
    });
    for (const p of this.pending) {
      p.reward += gamma ** p.steps * result.reward * this.config.rewardScale;
      p.steps++;
    }
    const ended = result.terminated || result.truncated;
    while (this.pending.length && (ended || this.pending[0].steps >= n)) {
      const p = this.pending.shift() as PendingTransition;
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
    for (const env of [this.env, this.evalEnv, ...this.probeEnvs]) env.close();
  }
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
