/**
 * A checkpoint as a file: one header line (format, version, length and SHA-256 of what follows), then the
 * session's state and its metric history as JSON, with the large arrays (replay buffer, simulator states) as
 * base64 of their bytes. Reading checks everything before anything is used: a truncated, damaged, foreign or
 * edited file is refused with the reason, and the caller's session is never touched.
 */
import { z } from 'zod';
import { sha256Hex } from '../common/sha256';
import { validateConfig } from '../rl/hyperparameters';
import type { MetricRecord } from './metrics';
import type { SessionState } from './session';

export const CHECKPOINT_FORMAT = 'td3-playground-checkpoint';
const VERSION = 1;

export interface Checkpoint {
  state: SessionState;
  /** Every metric record of the run so far, in order. */
  records: MetricRecord[];
  /** Wall time the run has trained so far, over all its sessions. */
  wallSeconds: number;
}

/** Node's Buffer where there is one (≈15× faster on a replay buffer of hundreds of MB), else btoa. */
const NodeBuffer = (
  globalThis as { Buffer?: { from(data: ArrayBufferView | string, encoding?: string): Uint8Array } }
).Buffer;

function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer)
    return (NodeBuffer.from(bytes) as unknown as { toString(encoding: string): string }).toString('base64');
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 0x8000)
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]));
  return btoa(parts.join(''));
}

function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) throw new Error('an array that is not base64');
  if (NodeBuffer) return Uint8Array.from(NodeBuffer.from(text, 'base64'));
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Typed arrays as `{ f32: base64 }` / `{ f64: base64 }`, lists of float32 values as `{ f32list }`: exact to the bit. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Float32Array)
    return { f32: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  if (value instanceof Float64Array)
    return { f64: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  if (typeof value === 'number' && !Number.isFinite(value)) return { number: String(value) };
  // Weights and Adam moments are float32 values held in plain arrays: their bytes are a third of their digits.
  if (Array.isArray(value) && value.length >= 16 && value.every(isFloat32)) {
    const bytes = Float32Array.from(value as number[]);
    return { f32list: toBase64(new Uint8Array(bytes.buffer)) };
  }
  return value;
}

const isFloat32 = (v: unknown) => typeof v === 'number' && Math.fround(v) === v;

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const v = value as Record<string, unknown>;
      if (typeof v.f32 === 'string') {
        const bytes = fromBase64(v.f32);
        if (bytes.length % 4) throw new Error('a float32 array whose length is not a multiple of 4 bytes');
        return new Float32Array(bytes.buffer, 0, bytes.length / 4);
      }
      if (typeof v.f64 === 'string') {
        const bytes = fromBase64(v.f64);
        if (bytes.length % 8) throw new Error('a float64 array whose length is not a multiple of 8 bytes');
        return new Float64Array(bytes.buffer, 0, bytes.length / 8);
      }
      if (typeof v.f32list === 'string') {
        const bytes = fromBase64(v.f32list);
        if (bytes.length % 4) throw new Error('a float32 list whose length is not a multiple of 4 bytes');
        return Array.from(new Float32Array(bytes.buffer, 0, bytes.length / 4));
      }
      if (v.number === 'NaN' || v.number === 'Infinity' || v.number === '-Infinity') return Number(v.number);
    }
  }
  return value;
}

export async function encodeCheckpoint(checkpoint: Checkpoint): Promise<string> {
  const body = JSON.stringify(checkpoint, replacer);
  const header = {
    format: CHECKPOINT_FORMAT,
    version: VERSION,
    length: body.length,
    sha256: await sha256Hex(body),
  };
  return `${JSON.stringify(header)}\n${body}`;
}

const numbers = z.array(z.number());
/** A random stream's state (src/common/random.ts): four words and a spare normal. */
const rngState = z.array(z.union([z.number(), z.nan()])).length(5);
const float32 = z.instanceof(Float32Array);
const adam = z.object({ m: z.array(numbers), v: z.array(numbers), steps: numbers });
const normWeights = z.object({
  scale: numbers,
  shift: numbers,
  runningMean: numbers.optional(),
  runningVariance: numbers.optional(),
});
const weights = z.array(z.object({ weight: z.array(numbers), bias: numbers, norm: normWeights.optional() }));
/** n-step transitions still summing their rewards (at most n − 1 < 20 of them). */
const pendingTransitions = z
  .array(
    z.object({
      observation: numbers,
      action: numbers,
      state: numbers,
      reward: z.number(),
      steps: z.number().int().positive(),
    }),
  )
  .max(20);
const envState = z.object({
  state: numbers,
  episode: z.object({ rng: rngState, elapsedSteps: z.number().int().nonnegative(), underWay: z.boolean() }),
});
const stateSchema = z.object({
  config: z.record(z.string(), z.unknown()),
  step: z.number().int().nonnegative(),
  episodes: z.number().int().nonnegative(),
  episodeReturn: z.number(),
  episodeLength: z.number().int().nonnegative(),
  observation: numbers,
  agent: z.object({
    weights: z.object({
      actor: weights,
      actorTarget: weights,
      critic1: weights,
      critic2: weights,
      critic1Target: weights,
      critic2Target: weights,
    }),
    actorOptimizer: adam,
    criticOptimizer: adam,
    updates: z.number().int().nonnegative(),
    /** NaN before the first actor update. */
    lastActorLoss: z.union([z.number(), z.nan()]),
    smoothingRng: rngState,
  }),
  buffer: z
    .object({
      pointer: z.number().int().nonnegative(),
      size: z.number().int().nonnegative(),
      observations: float32,
      actions: float32,
      rewards: float32,
      nextObservations: float32,
      notDone: float32,
      priorities: z.instanceof(Float64Array).optional(),
      maxPriority: z.number().positive().optional(),
    })
    .nullable(),
  probe: z.object({ states: z.instanceof(Float64Array), rng: rngState }).nullable(),
  normalizer: z.object({ mean: numbers, variance: numbers, count: z.number().positive() }).optional(),
  pendingTransitions: pendingTransitions.optional(),
  random: z.object({ actions: rngState, exploration: rngState, sampling: rngState }),
  noise: numbers,
  env: envState,
  parallel: z
    .object({
      next: z.number().int().nonnegative(),
      waiting: z.array(numbers).max(64),
      envs: z
        .array(
          z.object({
            observation: numbers,
            episodeReturn: z.number(),
            episodeLength: z.number().int().nonnegative(),
            noise: numbers,
            pendingTransitions,
            env: envState,
          }),
        )
        .max(63),
    })
    .optional(),
});
const checkpointSchema = z.object({
  state: stateSchema,
  records: z.array(z.looseObject({ type: z.string(), step: z.number() })),
  wallSeconds: z.number().nonnegative(),
});

export type CheckpointReading = { ok: true; checkpoint: Checkpoint } | { ok: false; error: string };

/** Reads a checkpoint file; `ok: false` says what is wrong, and nothing is half read. */
export async function decodeCheckpoint(text: string): Promise<CheckpointReading> {
  const fail = (error: string): CheckpointReading => ({
    ok: false,
    error: `Not a usable checkpoint: ${error}`,
  });
  const newline = text.indexOf('\n');
  if (newline < 0) return fail('no header line (is this a checkpoint of npm run train?)');
  let header: { format?: unknown; version?: unknown; length?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(text.slice(0, newline));
  } catch {
    return fail('its first line is not the JSON header of a checkpoint');
  }
  if (header?.format !== CHECKPOINT_FORMAT) return fail(`not a ${CHECKPOINT_FORMAT} file`);
  if (header.version !== VERSION)
    return fail(`version ${String(header.version)} is not known (${VERSION} is)`);
  const body = text.slice(newline + 1);
  if (body.length !== header.length)
    return fail(
      `the file is cut short or has extra bytes (${body.length} characters, the header says ${String(header.length)})`,
    );
  if ((await sha256Hex(body)) !== header.sha256)
    return fail('it is damaged: its SHA-256 does not match the header');
  let value: unknown;
  try {
    value = JSON.parse(body, reviver);
  } catch (error) {
    return fail(`its content does not parse: ${(error as Error).message}`);
  }
  const parsed = checkpointSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`${issue.path.join('.') || 'the content'}: ${issue.message}`);
  }
  const config = validateConfig(parsed.data.state.config);
  if (!config.ok) return fail(`its configuration is invalid: ${config.errors[0]}`);
  const checkpoint = parsed.data as unknown as Checkpoint;
  checkpoint.state.config = config.config;
  return { ok: true, checkpoint };
}
