/**
 * The worker's side of training: owns one TrainingSession (or one population of runs,
 * src/worker/populationRun.ts), answers commands, and streams metrics, frames and status. Training runs in
 * short chunks on a timer, so a command waits at most one chunk (≈ 30 ms, or one update when a single update
 * is slower than that). On GPU backends a chunk reads the device
 * asynchronously (src/rl/deviceReads.ts) and runs in the command queue, so commands still come between chunks.
 *
 * Pure TypeScript with no Worker globals: the worker entry wires it to postMessage, tests drive it directly.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../common/random';
import { sha256Hex } from '../common/sha256';
import { envIds, makeEnv } from '../envs';
import type { Env } from '../envs/types';
import type { ActionSpace } from '../rl/agentTypes';
import {
  type Reads,
  readAndDispose,
  readAsBackendWants,
  readAsync,
  readSync,
  readsAsynchronously,
} from '../rl/deviceReads';
import { type Config, FIELDS, type FieldName, validateConfig } from '../rl/hyperparameters';
import { exportPolicy, POLICY_FORMAT, WEIGHTS_FILE } from '../rl/policyExport';
import { decodeCheckpoint, encodeCheckpoint } from '../train/checkpointFile';
import type { MetricRecord } from '../train/metrics';
import { populationProblem } from '../train/populationFit';
import { type LiveConfig, TrainingSession } from '../train/session';
import { PopulationRun } from './populationRun';
import {
  type BackendName,
  type Command,
  parseCommand,
  type RunState,
  type StatusEvent,
  type WorkerEvent,
} from './protocol';

/** How the host switches tfjs backends: the worker measures them; tests pass a fixed one. */
export interface BackendChooser {
  choose(requested: BackendName | undefined, config: Config): Promise<{ name: BackendName; reason: string }>;
  /** After `failed` broke mid-run: activates the next backend that works. */
  fallback(failed: BackendName, config: Config): Promise<{ name: BackendName; reason: string }>;
  /** Before a run on the chosen backend: builds what it compiles on first use (src/worker/gpuPrograms.ts). */
  prepare?(config: Config, space: ActionSpace): Promise<void>;
}

export interface HostOptions {
  post: (event: WorkerEvent, transfer?: Transferable[]) => void;
  backends: BackendChooser;
  envFactory?: (id: string) => Promise<Env>;
  /** Wall time of one training chunk. */
  chunkMs?: number;
  /**
   * Runs the next chunk after the messages already queued (commands), and returns a way to cancel it. The
   * default, setTimeout(0), is clamped to 4 ms once nested (a browser rule): 12 % of a 30 ms chunk. The
   * worker passes a MessageChannel-based one instead (src/worker/training.worker.ts).
   */
  yieldToEvents?: Yielder;
}

/** Calls `callback` once the event loop has run what is queued; the returned function cancels it. */
export type Yielder = (callback: () => void) => () => void;

const yieldByTimeout: Yielder = (callback) => {
  const timer = setTimeout(callback, 0);
  return () => clearTimeout(timer);
};

/** Metric batches and frames go out at most this often (≈ 30 per second each). */
const FLUSH_MS = 33;
/** Real-time rate of "watch policy" when an env has no physical time step. */
const WATCH_STEPS_PER_SECOND: Record<string, number> = { 'Pendulum-v1': 20 };
const DEFAULT_WATCH_RATE = 30;

/** The configuration a run can start from, or what is wrong with it (the schema's words, an unknown env). */
function startable(input: Record<string, unknown>): Config | string {
  const validation = validateConfig(input);
  if (!validation.ok) return validation.errors.join('; ');
  const { config } = validation;
  if (!envIds.includes(config.env)) return `unknown environment "${config.env}"; known: ${envIds.join(', ')}`;
  return config;
}

export class TrainingHost {
  private session: TrainingSession | null = null;
  /** Runs trained as one population instead of the session (the lab's, on a GPU backend). */
  private population: PopulationRun | null = null;
  private config: Config | null = null;
  /** The start command's name for the run, echoed in its status and metrics events. */
  private runId: string | null = null;
  /** Whether to post frames of the training env (the lab's runs have no view). */
  private view = true;
  private state: RunState = 'idle';
  private backend: BackendName | null = null;
  private backendReason = '';
  private speed: number | null = null;
  /** Steps still to run for a `step(n)` command, after which the run pauses; null when running freely. */
  private stepsToRun: number | null = null;
  private pending: MetricRecord[] = [];
  /** Every record of the current run, for its checkpoints. */
  private history: MetricRecord[] = [];
  /** Wall time of the run before this session (a run resumed from a checkpoint). */
  private earlierSeconds = 0;
  private sessionStart = 0;
  private autoCheckpointEvery: number | null = null;
  /** Whether automatic checkpoints hold the replay buffer. */
  private autoCheckpointBuffer = true;
  private nextAutoCheckpoint = Number.POSITIVE_INFINITY;
  private lastFlush = 0;
  private lastFrame = 0;
  /** Set by `shutdown`: no further chunk is scheduled. */
  private shut = false;
  /** A chunk awaiting the device (GPU backends) is queued or running. */
  private chunkInFlight = false;
  /** Cancels the next tick while one is scheduled. */
  private cancelTick: (() => void) | null = null;
  private speedMark = { time: 0, step: 0 };
  /** The env "watch policy" runs, and its policy: an exported model's, or (null) the training agent's. */
  private watch: {
    env: Env;
    envId: string;
    observation: ArrayLike<number>;
    last: number;
    action: number[];
    model: tf.LayersModel | null;
  } | null = null;
  private watchWanted = false;
  private readonly envFactory: (id: string) => Promise<Env>;
  private readonly chunkMs: number;
  private readonly yieldToEvents: Yielder;
  /** Commands are handled one at a time, in order (start and restart are asynchronous). */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: HostOptions) {
    this.envFactory = options.envFactory ?? makeEnv;
    this.chunkMs = options.chunkMs ?? 30;
    this.yieldToEvents = options.yieldToEvents ?? yieldByTimeout;
  }

  /** Entry point for every message from the page. */
  receive(data: unknown): Promise<void> {
    const parsed = parseCommand(data);
    if (!parsed.ok) {
      this.notice('error', parsed.error);
      return this.queue;
    }
    this.queue = this.queue
      .then(() => this.handle(parsed.command))
      .catch((error: unknown) => {
        this.notice('error', (error as Error).message);
      });
    return this.queue;
  }

  private async handle(command: Command): Promise<void> {
    switch (command.type) {
      case 'start':
        return this.start(command.config, command.backend, command.runId ?? null, command.view ?? true);
      case 'restart': {
        if (!this.config) return this.notice('warning', 'Nothing to restart: start a run first');
        const seed = command.newSeed
          ? Random.stream(Date.now(), 'new-seed').int(2 ** 31 - 1)
          : this.config.seed;
        return this.start(
          { ...this.config, ...command.config, seed },
          this.backend ?? undefined,
          this.runId,
          this.view,
        );
      }
      case 'startPopulation':
        return this.startPopulation(command.runs, command.backend);
      case 'pause':
        if (this.state === 'running') this.setState('paused');
        return;
      case 'resume':
        if (this.session?.divergence) return this.noticeDiverged();
        if (this.state === 'paused' && this.population && !this.population.done) {
          this.setState('running');
          return;
        }
        if (this.state === 'paused' && this.session && !this.session.done) {
          this.stepsToRun = null;
          this.setState('running');
        }
        return;
      case 'step':
        if (this.session?.divergence) return this.noticeDiverged();
        if (!this.session || this.session.done)
          return this.notice('warning', 'No run to step: start one first');
        this.stepsToRun = command.steps;
        this.setState('running');
        return;
      case 'stop':
        // A population's runs hear that they stopped before it goes.
        if (this.population) this.setState('stopped');
        this.disposeSession();
        this.setState('stopped');
        return;
      case 'setParams':
        return this.setParams(command.params);
      case 'setSpeed':
        this.speed = command.stepsPerSecond;
        this.speedMark = { time: performance.now(), step: this.session?.step ?? 0 };
        this.postStatus();
        return;
      case 'watchPolicy':
        return this.setWatch(command.on);
      case 'landscape':
        return this.postLandscape(command.resolution);
      case 'saveCheckpoint':
        return this.saveCheckpoint('manual', command.buffer ?? true);
      case 'watchExported':
        return this.watchExported(command.modelJson, command.weights, command.envId, command.config);
      case 'exportPolicy':
        return this.postPolicy();
      case 'autoCheckpoint':
        this.autoCheckpointEvery = command.everySteps;
        this.autoCheckpointBuffer = command.buffer ?? true;
        return this.scheduleAutoCheckpoint();
      case 'resumeFrom':
        return this.resumeFrom(command.text, command.runId ?? null);
    }
  }

  private async start(
    input: Record<string, unknown>,
    requested: BackendName | undefined,
    runId: string | null,
    view: boolean,
  ): Promise<void> {
    const config = startable(input);
    // The current run (if any) goes on: a bad configuration loses nothing.
    if (typeof config === 'string') return this.notice('error', `Not started: ${config}`);
    // The previous run's last records and status go out under its own name, before this run's.
    this.disposeSession();
    this.runId = runId;
    this.view = view;
    this.config = config;
    this.setState('starting');
    try {
      const chosen = await this.options.backends.choose(requested, config);
      this.backend = chosen.name;
      this.backendReason = chosen.reason;
      this.history = [];
      this.earlierSeconds = 0;
      this.session = await TrainingSession.create(config, this.record, this.envFactory);
      await this.prepareBackend(config, this.session.env.spec);
    } catch (error) {
      this.session = null;
      this.setState('error');
      this.notice('error', `Could not start: ${(error as Error).message}`);
      return;
    }
    this.stepsToRun = null;
    this.speedMark = { time: performance.now(), step: 0 };
    this.sessionStart = performance.now();
    this.scheduleAutoCheckpoint();
    if (this.watchWanted) await this.setWatch(true);
    this.setState('running');
    this.flush();
  }

  /**
   * Runs trained as one population: every configuration checked as `start` checks one, then whether they
   * can share one loop and one set of weights; a refusal loses nothing (the current run goes on).
   */
  private async startPopulation(
    inputs: { runId: string; config: Record<string, unknown> }[],
    requested: BackendName | undefined,
  ): Promise<void> {
    const runs: { runId: string; config: Config }[] = [];
    for (const { runId, config: input } of inputs) {
      const config = startable(input);
      if (typeof config === 'string') return this.notice('error', `Not started: run ${runId}: ${config}`);
      runs.push({ runId, config });
    }
    const problem = populationProblem(runs.map((r) => r.config));
    if (problem)
      return this.notice('error', `Not started: these runs cannot train as one population: ${problem}`);
    this.disposeSession();
    this.runId = null;
    this.view = false;
    this.config = runs[0].config;
    this.closeWatch();
    this.watchWanted = false;
    try {
      const chosen = await this.options.backends.choose(requested, runs[0].config);
      this.backend = chosen.name;
      this.backendReason = `${chosen.reason}; ${runs.length} runs trained as one population`;
      this.population = await PopulationRun.create(runs, this.envFactory);
    } catch (error) {
      this.population = null;
      this.setState('error');
      return this.notice('error', `Could not start the population: ${(error as Error).message}`);
    }
    this.state = 'idle';
    this.setState('running');
  }

  /** The backend's preparation for a run, with a status every second meanwhile: the page hears the worker. */
  private async prepareBackend(config: Config, space: ActionSpace): Promise<void> {
    if (!this.options.backends.prepare) return;
    const beat = setInterval(() => this.postStatus(), 1000);
    try {
      await this.options.backends.prepare(config, space);
    } finally {
      clearInterval(beat);
    }
  }

  /** What the session emits: sent to the page in batches, and kept for the run's checkpoints. */
  private record = (record: MetricRecord): void => {
    this.pending.push(record);
    this.history.push(record);
  };

  private scheduleAutoCheckpoint(): void {
    const every = this.autoCheckpointEvery;
    this.nextAutoCheckpoint = every === null ? Number.POSITIVE_INFINITY : (this.session?.step ?? 0) + every;
  }

  /**
   * Saves the run: the evaluation or probe under way is finished first (a checkpoint is taken between env
   * steps), then the state is copied at once and encoded; training goes on meanwhile.
   */
  private async saveCheckpoint(reason: 'manual' | 'auto', buffer: boolean): Promise<void> {
    const session = this.session;
    if (!session) return this.notice('warning', 'No run to save: start one first');
    if (session.stoppedReason)
      return this.notice(
        'warning',
        'This run stopped by itself; its last checkpoint before that is the one to keep',
      );
    while (session.hasPendingWork) await readAsBackendWants(session.runRead(this.chunkMs, 0));
    const wallSeconds = this.earlierSeconds + (performance.now() - this.sessionStart) / 1000;
    const state = await readAsBackendWants(session.exportStateRead({ buffer }));
    const checkpoint = { state, records: [...this.history], wallSeconds };
    const text = await encodeCheckpoint(checkpoint);
    this.options.post({
      type: 'checkpoint',
      runId: this.runId,
      envId: session.env.spec.id,
      step: checkpoint.state.step,
      reason,
      buffer,
      text,
    });
  }

  /** The current policy as a LayersModel's files (src/rl/policyExport.ts), its weights transferred. */
  private async postPolicy(): Promise<void> {
    const session = this.session;
    if (!session || !this.config) return this.notice('warning', 'No policy to export: start a run first');
    const policy = await exportPolicy(
      session.agent,
      session.env.spec,
      this.config,
      session.step,
      session.normalizer,
    );
    this.options.post(
      {
        type: 'policy',
        modelJson: policy.modelJson,
        weights: policy.weights,
        weightsFile: WEIGHTS_FILE,
        config: { ...policy.config },
      },
      [policy.weights],
    );
  }

  /** A run continued from a checkpoint, paused at its step; a bad file is refused and nothing else changes. */
  private async resumeFrom(text: string, runId: string | null): Promise<void> {
    const reading = await decodeCheckpoint(text);
    if (!reading.ok) return this.notice('error', `Not resumed: ${reading.error}`);
    const { state, records, wallSeconds } = reading.checkpoint;
    if (!envIds.includes(state.config.env))
      return this.notice(
        'error',
        `Not resumed: the checkpoint is of an unknown environment "${state.config.env}"`,
      );
    let session: TrainingSession;
    try {
      const chosen = await this.options.backends.choose(this.backend ?? undefined, state.config);
      this.backend = chosen.name;
      this.backendReason = chosen.reason;
      session = await TrainingSession.restore(state, this.record, this.envFactory);
      await this.prepareBackend(state.config, session.env.spec);
    } catch (error) {
      // The run on the page (if any) goes on as it was.
      return this.notice('error', `Not resumed: ${(error as Error).message}`);
    }
    this.disposeSession();
    this.runId = runId;
    this.view = true;
    this.session = session;
    this.config = state.config;
    this.history = [...records];
    this.earlierSeconds = wallSeconds;
    this.sessionStart = performance.now();
    this.stepsToRun = null;
    this.speedMark = { time: performance.now(), step: session.step };
    this.scheduleAutoCheckpoint();
    // The page redraws the run's charts from its history.
    this.pending = [...records];
    this.setState('paused');
    this.flush();
    this.notice('info', `Restored the run at env step ${session.step}: press Resume to go on`);
  }

  private setParams(params: Record<string, unknown>): void {
    if (!this.session || !this.config) {
      this.notice('warning', 'No run yet: the change applies when you start one');
      return;
    }
    const live: Record<string, unknown> = {};
    const needRestart: string[] = [];
    for (const [name, value] of Object.entries(params)) {
      const field = FIELDS[name as FieldName];
      if (!field) {
        this.notice('error', `Unknown setting "${name}"`);
        return;
      }
      if (field.live) live[name] = value;
      else if (value !== this.config[name as FieldName]) needRestart.push(name);
    }
    const validation = validateConfig({ ...this.config, ...live });
    if (!validation.ok) {
      this.notice('error', `Not applied: ${validation.errors.join('; ')}`);
      return;
    }
    this.session.setLiveConfig(live as Partial<LiveConfig>);
    this.config = validation.config;
    if (needRestart.length) {
      this.notice(
        'warning',
        `${needRestart.join(', ')} can only change with a restart: press Restart to apply`,
      );
    }
    this.postStatus();
  }

  private async setWatch(on: boolean): Promise<void> {
    this.watchWanted = on;
    this.closeWatch();
    if (on && this.config) {
      const env = await this.envFactory(this.config.env);
      this.watch = {
        env,
        envId: this.config.env,
        observation: env.reset(this.config.seed + 200),
        last: performance.now(),
        action: [],
        model: null,
      };
    }
    this.postStatus();
  }

  private closeWatch(): void {
    this.watch?.env.close();
    this.watch?.model?.dispose();
    this.watch = null;
  }

  /**
   * Runs an exported policy (model.json + weights, src/rl/policyExport.ts) in real time in its env, for the
   * view; training, if any, goes on. A file that is not such a policy, or not for that env, is refused.
   */
  private async watchExported(
    modelJson: string,
    weights: ArrayBuffer,
    envId: string,
    config: Record<string, unknown> | undefined,
  ): Promise<void> {
    const refuse = (why: string) => this.notice('error', `Not watched: ${why}`);
    if (!envIds.includes(envId)) return refuse(`unknown environment "${envId}"`);
    if (config) {
      if (config.format !== POLICY_FORMAT) return refuse(`policy.config.json is not a ${POLICY_FORMAT} file`);
      if (config.env !== envId)
        return refuse(`policy.config.json is for ${String(config.env)}, not ${envId}`);
      if ((await sha256Hex(modelJson)) !== config.modelSha256)
        return refuse(
          "model.json does not match policy.config.json's checksum (damaged, edited or another run's)",
        );
      if ((await sha256Hex(new Uint8Array(weights))) !== config.weightsSha256)
        return refuse(
          "the weights do not match policy.config.json's checksum (damaged, edited or another run's)",
        );
    }
    let model: tf.LayersModel;
    try {
      const parsed = JSON.parse(modelJson) as {
        modelTopology?: unknown;
        weightsManifest?: { weights?: tf.io.WeightsManifestEntry[] }[];
      };
      const weightSpecs = parsed.weightsManifest?.flatMap((group) => group.weights ?? []);
      if (!parsed.modelTopology || !weightSpecs?.length)
        return refuse('model.json has no topology or no weights manifest');
      model = await tf.loadLayersModel(
        tf.io.fromMemory({ modelTopology: parsed.modelTopology as object, weightSpecs, weightData: weights }),
      );
    } catch (error) {
      return refuse(`the model does not load: ${(error as Error).message}`);
    }
    const env = await this.envFactory(envId);
    const input = model.inputs[0]?.shape;
    const output = model.outputs[0]?.shape;
    if (input?.[1] !== env.spec.observationSize || output?.[1] !== env.spec.actionSize) {
      model.dispose();
      env.close();
      return refuse(
        `the model maps ${input?.[1]} numbers to ${output?.[1]}, but ${envId} has ${env.spec.observationSize} observations and ${env.spec.actionSize} actions`,
      );
    }
    this.closeWatch();
    this.watchWanted = false;
    this.watch = { env, envId, observation: env.reset(200), last: performance.now(), action: [], model };
    this.notice(
      'info',
      `Watching the exported policy on ${envId}${config ? '' : ' (without policy.config.json: sizes checked, no checksum)'}`,
    );
    this.schedule();
  }

  private async postLandscape(resolution: number): Promise<void> {
    const session = this.session;
    if (!session || this.config?.env !== 'Pendulum-v1') {
      this.notice('info', 'The Q-landscape is drawn for Pendulum-v1 only');
      return;
    }
    const n = resolution * resolution;
    const thetaRange: [number, number] = [-Math.PI, Math.PI];
    const thetaDotRange: [number, number] = [-8, 8];
    const observations = new Float32Array(n * 3);
    for (let row = 0; row < resolution; row++) {
      const thetaDot = thetaDotRange[0] + ((thetaDotRange[1] - thetaDotRange[0]) * row) / (resolution - 1);
      for (let col = 0; col < resolution; col++) {
        const theta = thetaRange[0] + ((thetaRange[1] - thetaRange[0]) * col) / (resolution - 1);
        observations.set([Math.cos(theta), Math.sin(theta), thetaDot], (row * resolution + col) * 3);
      }
    }
    const action = await readAsBackendWants(session.policy.actionsRead(observations, n));
    const value = (await readAsBackendWants(session.policy.valuesRead(observations, action, n))).q1;
    const event = {
      type: 'landscape' as const,
      resolution,
      thetaRange,
      thetaDotRange,
      value,
      action,
      step: session.step,
    };
    this.options.post(event, [value.buffer as ArrayBuffer, action.buffer as ArrayBuffer]);
  }

  /** One chunk of training, then what is due: metrics, a frame, the watched policy; then the next chunk. */
  private tick = (): void => {
    this.cancelTick = null;
    if (!readsAsynchronously()) {
      try {
        readSync(this.chunk());
      } catch (error) {
        // Not the run's own failure (those stop the session): the backend broke. Move and go on.
        this.queue = this.queue.then(() => this.recover(error as Error));
        return;
      }
      this.afterChunk();
      return;
    }
    // GPU backends: the chunk awaits its reads inside the command queue, so commands wait for it to end, and
    // no other tick starts meanwhile.
    this.cancelTick = () => {};
    this.chunkInFlight = true;
    this.queue = this.queue.then(async () => {
      try {
        await readAsync(this.chunk());
      } catch (error) {
        this.cancelTick = null;
        return this.recover(error as Error);
      } finally {
        this.chunkInFlight = false;
      }
      this.cancelTick = null;
      this.afterChunk();
    });
  };

  /** The training chunk and the watched policy's steps, as work that reads the device. */
  private *chunk(): Reads<void> {
    if (this.population) return yield* this.trainPopulation(this.population);
    yield* this.train(this.session);
    yield* this.stepWatch();
  }

  private afterChunk(): void {
    const session = this.session;
    if (
      session &&
      this.state === 'running' &&
      session.step >= this.nextAutoCheckpoint &&
      !session.hasPendingWork
    ) {
      this.scheduleAutoCheckpoint();
      this.queue = this.queue.then(() => this.saveCheckpoint('auto', this.autoCheckpointBuffer));
    }
    const now = performance.now();
    if (now - this.lastFlush >= FLUSH_MS) this.flush();
    if (session && this.view && now - this.lastFrame >= FLUSH_MS) this.postFrame(session);
    this.schedule();
  }

  private *train(session: TrainingSession | null): Reads<void> {
    if (!session || this.state !== 'running') return;
    let budget = this.stepsToRun ?? Number.POSITIVE_INFINITY;
    if (this.speed !== null) {
      const allowed = Math.floor(((performance.now() - this.speedMark.time) / 1000) * this.speed);
      budget = Math.min(budget, Math.max(0, this.speedMark.step + allowed - session.step));
    }
    if (budget > 0 || session.hasPendingWork) {
      const taken = yield* session.runRead(this.chunkMs, budget);
      if (this.stepsToRun !== null) {
        this.stepsToRun -= taken;
        // Pause once the steps are taken and the evaluation or probe they triggered has finished.
        if (this.stepsToRun <= 0 && !session.hasPendingWork) {
          this.stepsToRun = null;
          this.setState('paused');
        }
      }
    }
    if (session.done && this.state === 'running') {
      // The last records (the final evaluation) go out before the status that says the run is over.
      if (this.pending.length) this.flush();
      // A divergence pauses the run where it is, to be rolled back; an env error ends it.
      this.setState(session.divergence ? 'paused' : session.stoppedReason ? 'stopped' : 'done');
    }
  }

  private *trainPopulation(population: PopulationRun): Reads<void> {
    if (this.state !== 'running') return;
    yield* population.runRead(this.chunkMs);
    if (population.done) {
      this.flush();
      this.setState(population.finalState);
    }
  }

  /** The backend failed mid-run: activate the next one and rebuild the agent there, from where it was. */
  private async recover(error: Error): Promise<void> {
    const session = this.session;
    const config = this.config;
    const failed = this.backend;
    if (!session || !config || !failed) return;
    try {
      const next = await this.options.backends.fallback(failed, config);
      const updates = await session.recoverOnCurrentBackend();
      this.backend = next.name;
      this.backendReason = `fallback after ${failed} failed: ${next.reason}`;
      this.notice(
        'warning',
        `The ${failed} backend failed (${error.message}); training continues on ${next.name} from update ${updates}`,
      );
      this.postStatus();
    } catch (fallbackError) {
      this.setState('error');
      this.notice(
        'error',
        `The ${failed} backend failed (${error.message}) and no other could take over: ${(fallbackError as Error).message}`,
      );
    }
    this.schedule();
  }

  private *stepWatch(): Reads<void> {
    const watch = this.watch;
    const session = this.session;
    if (!watch || (!session && !watch.model)) return;
    const model = watch.model;
    // The exported model's action, read as the training agent's are.
    const predict = (model: tf.LayersModel, rows: Float32Array) =>
      readAndDispose([tf.tidy(() => model.predict(tf.tensor2d(rows, [1, rows.length])) as tf.Tensor)]);
    const rate = WATCH_STEPS_PER_SECOND[watch.envId] ?? DEFAULT_WATCH_RATE;
    const now = performance.now();
    const due = Math.min(10, Math.floor(((now - watch.last) / 1000) * rate));
    if (due <= 0) return;
    watch.last += (due * 1000) / rate;
    for (let i = 0; i < due; i++) {
      const observation = watch.observation;
      const action = model
        ? (yield* predict(model, Float32Array.from(observation)))[0]
        : yield* (session as TrainingSession).policy.actionsRead(observation, 1);
      const result = watch.env.step(action);
      watch.action = Array.from(action);
      watch.observation = result.terminated || result.truncated ? watch.env.reset() : result.observation;
    }
    this.options.post({
      type: 'frame',
      source: 'watch',
      envId: watch.envId,
      state: watch.env.getState(),
      action: watch.action,
      step: session?.step ?? 0,
      scene: watch.env.scene?.(),
      drawing: watch.env.drawing?.(),
    });
  }

  private schedule(): void {
    if (this.cancelTick !== null || this.shut) return;
    const active = this.state === 'running' || this.watch !== null || this.pending.length > 0;
    // Idle: wake up rarely; running: yield to the message queue between chunks.
    if (active) this.cancelTick = this.yieldToEvents(this.tick);
    else {
      const timer = setTimeout(this.tick, 100);
      this.cancelTick = () => clearTimeout(timer);
    }
  }

  /** Starts the chunk timer; the worker entry calls this once. */
  run(): void {
    this.schedule();
  }

  /** Stops the timer (tests; the worker itself lives as long as the page). */
  shutdown(): void {
    this.shut = true;
    this.cancelTick?.();
    this.cancelTick = null;
    // A chunk in flight (GPU backends) finishes first; nothing more is scheduled after it.
    if (this.chunkInFlight) this.queue = this.queue.then(() => this.disposeSession());
    else this.disposeSession();
  }

  private flush(): void {
    this.lastFlush = performance.now();
    for (const event of this.population?.takeMetrics() ?? []) this.options.post(event);
    if (this.pending.length) {
      this.options.post({ type: 'metrics', runId: this.runId, records: this.pending });
      this.pending = [];
    }
    this.postStatus();
  }

  private postFrame(session: TrainingSession): void {
    this.lastFrame = performance.now();
    this.options.post({
      type: 'frame',
      source: 'train',
      envId: session.env.spec.id,
      state: session.env.getState(),
      action: Array.from(session.lastAction),
      step: session.step,
      scene: session.env.scene?.(),
      drawing: session.env.drawing?.(),
    });
  }

  private setState(state: RunState): void {
    if (state === this.state) return;
    this.state = state;
    this.postStatus();
  }

  private postStatus(): void {
    if (this.population) {
      const common = {
        type: 'status' as const,
        state: this.state,
        backend: this.backend,
        backendReason: this.backendReason,
        speed: null,
        stoppedReason: null,
        divergence: null,
        tensors: tf.engine().state.numTensors,
      };
      for (const status of this.population.statuses(common)) this.options.post(status);
      return;
    }
    const s = this.session;
    const status: StatusEvent = {
      type: 'status',
      runId: this.runId,
      state: this.state,
      step: s?.step ?? 0,
      episodes: s?.episodes ?? 0,
      updates: s?.agent.updates ?? 0,
      config: this.config,
      backend: this.backend,
      backendReason: this.backendReason,
      speed: this.speed,
      stoppedReason: s?.stoppedReason ?? null,
      divergence: s?.divergence ?? null,
      // The engine's count, which (unlike tf.memory()) does not start a backend before one is chosen.
      tensors: tf.engine().state.numTensors,
    };
    this.options.post(status);
  }

  /** Why a diverged run cannot go on: its weights or losses are not numbers any more. */
  private noticeDiverged(): void {
    const d = this.session?.divergence;
    if (!d) return;
    this.notice(
      'warning',
      `This run cannot go on: ${d.quantity} became non-finite at update ${d.update}. Roll back to a checkpoint from before step ${d.step}, or restart (perhaps with smaller learning rates).`,
    );
  }

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    this.options.post({ type: 'notice', level, message });
  }

  private disposeSession(): void {
    if (this.session) {
      this.flush();
      this.session.dispose();
    }
    this.session = null;
    if (this.population) {
      this.flush();
      this.population.dispose();
    }
    this.population = null;
    this.closeWatch();
  }
}
