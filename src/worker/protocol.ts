/**
 * The typed message protocol between the page and the training worker. Both sides validate what they
 * receive with these zod schemas, so a malformed message is answered with an error, never acted upon.
 */
import { z } from 'zod';
import type { EnvDrawing, EnvScene } from '../envs/types';
import type { Config } from '../rl/hyperparameters';
import type { Divergence, MetricRecord } from '../train/metrics';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

const configInput = z.record(z.string(), z.unknown());

/** Page → worker. */
export const commandSchema = z.discriminatedUnion('type', [
  /** Build a session from a (partial) configuration and start training. */
  z.object({
    type: z.literal('start'),
    config: configInput,
    backend: z.enum(BACKENDS).optional(),
    /** Names the run in every status and metrics event it causes (the lab tells its runs apart by it). */
    runId: z.string().max(200).optional(),
    /** false: no frames for the env view (the lab draws none); default true. */
    view: z.boolean().optional(),
  }),
  /**
   * Train several runs of one env as one population (src/train/populationSession.ts): one read of all their
   * actions per step, one update call for all; each run's status and metrics come under its own runId. Runs
   * that cannot share one loop or one set of weights are refused with the reason. Pause, resume and stop act
   * on all of them.
   */
  z.object({
    type: z.literal('startPopulation'),
    runs: z
      .array(z.object({ runId: z.string().max(200), config: configInput }))
      .min(1)
      .max(64),
    backend: z.enum(BACKENDS).optional(),
  }),
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  /** Run exactly n env steps, then pause. */
  z.object({ type: z.literal('step'), steps: z.number().int().min(1).max(100_000) }),
  z.object({ type: z.literal('stop') }),
  /**
   * Start over with the run's seed or a new one; `config` (the controls' settings, for changes that need a
   * restart) replaces the current configuration except for the seed.
   */
  z.object({ type: z.literal('restart'), newSeed: z.boolean(), config: configInput.optional() }),
  /** Change live settings; others are refused with the reason (they need a restart). */
  z.object({ type: z.literal('setParams'), params: configInput }),
  /** Cap on env steps per second; null = as fast as possible. */
  z.object({ type: z.literal('setSpeed'), stepsPerSecond: z.number().positive().max(1e6).nullable() }),
  /** Run the current deterministic policy in real time in a separate env, for the view. */
  z.object({ type: z.literal('watchPolicy'), on: z.boolean() }),
  /**
   * Save the whole run now (after the evaluation or probe under way): answered by a `checkpoint` event.
   * `buffer: false` leaves the replay buffer out (much smaller; the run goes on, no longer exactly).
   */
  z.object({ type: z.literal('saveCheckpoint'), buffer: z.boolean().optional() }),
  /** Save the whole run every n env steps (null: never), with the replay buffer unless `buffer` is false. */
  z.object({
    type: z.literal('autoCheckpoint'),
    everySteps: z.number().int().min(100).max(10_000_000).nullable(),
    buffer: z.boolean().optional(),
  }),
  /** Continue a run from a checkpoint file's text; a bad file is refused and the current run goes on. */
  z.object({
    type: z.literal('resumeFrom'),
    text: z.string().max(1_000_000_000),
    runId: z.string().max(200).optional(),
  }),
  /** Run an exported policy (model.json's text and its weights) in real time in `envId`, for the view. */
  z.object({
    type: z.literal('watchExported'),
    modelJson: z.string().max(10_000_000),
    weights: z.instanceof(ArrayBuffer),
    envId: z.string().max(100),
    /** policy.config.json, when given: its checksums are checked against both files. */
    config: z.record(z.string(), z.unknown()).optional(),
  }),
  /** The current policy as a tfjs LayersModel: answered by a `policy` event. */
  z.object({ type: z.literal('exportPolicy') }),
  /** Pendulum only: V(θ, θ̇) = Q1(s, π(s)) and π(θ, θ̇) over a grid. */
  z.object({ type: z.literal('landscape'), resolution: z.number().int().min(4).max(128) }),
]);
export type Command = z.infer<typeof commandSchema>;

export type RunState = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'stopped' | 'error';

export interface StatusEvent {
  type: 'status';
  /** The `runId` of the start command of the run this status is about; null when none was given. */
  runId: string | null;
  state: RunState;
  step: number;
  episodes: number;
  updates: number;
  config: Config | null;
  backend: BackendName | null;
  /** Why this backend runs: the start-up measurement, an override, or a fallback. */
  backendReason: string;
  /** Steps per second cap, null = unlimited. */
  speed: number | null;
  stoppedReason: string | null;
  /** What went non-finite, when a guard paused the run (state 'paused', to be rolled back); else null. */
  divergence: Divergence | null;
  /** tfjs tensors the worker holds (weights, optimizer moments, buffers): flat while a run is healthy. */
  tensors: number;
}
export interface MetricsEvent {
  type: 'metrics';
  /** As in StatusEvent: the run these records belong to. */
  runId: string | null;
  records: MetricRecord[];
}
/** The simulator state to draw, at display rate. */
export interface FrameEvent {
  type: 'frame';
  source: 'train' | 'watch';
  envId: string;
  state: number[];
  action: number[];
  step: number;
  /** Geometry of physics envs (MuJoCo); absent where the state says it all. */
  scene?: EnvScene;
  /** Polygons of 2D physics envs (Box2D). */
  drawing?: EnvDrawing;
}
export interface LandscapeEvent {
  type: 'landscape';
  resolution: number;
  thetaRange: [number, number];
  thetaDotRange: [number, number];
  /** Row-major [thetaDot][theta]. */
  value: Float32Array;
  action: Float32Array;
  step: number;
}
/** A saved run: the text of a checkpoint file (src/train/checkpointFile.ts). */
export interface CheckpointEvent {
  type: 'checkpoint';
  runId: string | null;
  envId: string;
  step: number;
  /** Saved because asked (`saveCheckpoint`) or on the automatic schedule. */
  reason: 'manual' | 'auto';
  /** Whether the replay buffer is in it (resuming then continues exactly). */
  buffer: boolean;
  text: string;
}
/** The policy as model.json + weights + its config (src/rl/policyExport.ts). */
export interface PolicyEvent {
  type: 'policy';
  modelJson: string;
  weights: ArrayBuffer;
  /** The name model.json's manifest gives the weights: save them under it, beside model.json. */
  weightsFile: string;
  config: Record<string, unknown>;
}
/** Something the user should read: a refused parameter, a backend fallback. */
export interface NoticeEvent {
  type: 'notice';
  level: 'info' | 'warning' | 'error';
  message: string;
}
export type WorkerEvent =
  | StatusEvent
  | MetricsEvent
  | FrameEvent
  | LandscapeEvent
  | NoticeEvent
  | CheckpointEvent
  | PolicyEvent;

const finite = z.number();
/** Worker → page, checked on arrival like commands are (shapes, not every number: the worker made them). */
export const eventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('status'),
    runId: z.string().nullable(),
    state: z.enum(['idle', 'starting', 'running', 'paused', 'done', 'stopped', 'error']),
    step: finite,
    episodes: finite,
    updates: finite,
    config: z.record(z.string(), z.unknown()).nullable(),
    backend: z.enum(BACKENDS).nullable(),
    backendReason: z.string(),
    speed: finite.nullable(),
    stoppedReason: z.string().nullable(),
  }),
  z.object({
    type: z.literal('metrics'),
    runId: z.string().nullable(),
    records: z.array(z.looseObject({ type: z.string(), step: finite })),
  }),
  z.object({
    type: z.literal('frame'),
    source: z.enum(['train', 'watch']),
    envId: z.string(),
    state: z.array(finite),
    action: z.array(finite),
    step: finite,
    scene: z.looseObject({ types: z.instanceof(Int32Array), xpos: z.instanceof(Float64Array) }).optional(),
    drawing: z.looseObject({ polygons: z.array(z.unknown()) }).optional(),
  }),
  z.object({
    type: z.literal('landscape'),
    resolution: finite,
    thetaRange: z.tuple([finite, finite]),
    thetaDotRange: z.tuple([finite, finite]),
    value: z.instanceof(Float32Array),
    action: z.instanceof(Float32Array),
    step: finite,
  }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'warning', 'error']), message: z.string() }),
  z.object({
    type: z.literal('checkpoint'),
    runId: z.string().nullable(),
    envId: z.string(),
    step: finite,
    reason: z.enum(['manual', 'auto']),
    buffer: z.boolean(),
    text: z.string(),
  }),
  z.object({
    type: z.literal('policy'),
    modelJson: z.string(),
    weights: z.instanceof(ArrayBuffer),
    weightsFile: z.string(),
    config: z.record(z.string(), z.unknown()),
  }),
]);

/** Parses an event from the worker. */
export function parseEvent(data: unknown): { ok: true; event: WorkerEvent } | { ok: false; error: string } {
  const parsed = eventSchema.safeParse(data);
  if (parsed.success) return { ok: true, event: data as WorkerEvent };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    error: `Malformed message from the worker at ${issue.path.join('.') || 'top'}: ${issue.message}`,
  };
}

/** Parses an incoming command; the error message says what was wrong. */
export function parseCommand(data: unknown): { ok: true; command: Command } | { ok: false; error: string } {
  const parsed = commandSchema.safeParse(data);
  if (parsed.success) return { ok: true, command: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `Malformed command${where}: ${issue.message}` };
}
