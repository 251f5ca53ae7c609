/**
 * The one hyperparameter schema. Each field has a default, an allowed range and a one-line description;
 * the same table drives validation, the CLI flags, the URL and the sliders.
 *
 * `live` fields may change while training runs; the others need a restart (new networks, buffer or env).
 */
import { z } from 'zod';

interface FieldBase {
  description: string;
  /** Can change during a run without restarting it. */
  live: boolean;
  group: 'run' | 'network' | 'optimizer' | 'tricks' | 'exploration' | 'evaluation';
}
export interface NumberField extends FieldBase {
  kind: 'number' | 'integer';
  default: number;
  min: number;
  max: number;
  /** How a slider should move over the range. */
  scale: 'linear' | 'log';
}
export interface BooleanField extends FieldBase {
  kind: 'boolean';
  default: boolean;
}
export interface ChoiceField extends FieldBase {
  kind: 'choice';
  default: string;
  options: readonly string[];
}
export type Field = NumberField | BooleanField | ChoiceField;

const num = (
  kind: 'number' | 'integer',
  def: number,
  min: number,
  max: number,
  scale: 'linear' | 'log',
  group: FieldBase['group'],
  live: boolean,
  description: string,
): NumberField => ({ kind, default: def, min, max, scale, group, live, description });

/** Every field, in the order a form should show them. Defaults are the authors' repository (sfujim/TD3). */
export const FIELDS = {
  env: {
    kind: 'choice',
    default: 'Pendulum-v1',
    options: [] as readonly string[], // any id the env registry knows; checked by makeEnv
    group: 'run',
    live: false,
    description: 'Environment id (Gymnasium naming)',
  } as ChoiceField,
  seed: num('integer', 0, 0, 2 ** 31 - 1, 'linear', 'run', false, 'Seed of every random stream in the run'),
  totalSteps: num('integer', 1_000_000, 1, 10_000_000, 'log', 'run', true, 'Environment steps to train for'),

  hidden1: num(
    'integer',
    256,
    1,
    1024,
    'log',
    'network',
    false,
    'Units in the first hidden layer (actor and critics)',
  ),
  hidden2: num(
    'integer',
    256,
    1,
    1024,
    'log',
    'network',
    false,
    'Units in the second hidden layer (actor and critics)',
  ),
  actorLr: num('number', 3e-4, 1e-6, 1e-2, 'log', 'optimizer', true, 'Adam learning rate of the actor'),
  criticLr: num('number', 3e-4, 1e-6, 1e-2, 'log', 'optimizer', true, 'Adam learning rate of the critics'),
  batchSize: num(
    'integer',
    256,
    2,
    4096,
    'log',
    'optimizer',
    true,
    'Transitions sampled from the buffer per update',
  ),
  discount: num('number', 0.99, 0.8, 0.9999, 'linear', 'optimizer', true, 'Discount factor γ'),
  tau: num(
    'number',
    0.005,
    1e-4,
    1,
    'log',
    'optimizer',
    true,
    'Polyak rate τ of the target networks (1 = copy)',
  ),
  updatesPerStep: num(
    'integer',
    1,
    1,
    16,
    'linear',
    'optimizer',
    true,
    'Gradient updates per environment step',
  ),
  bufferSize: num('integer', 1_000_000, 100, 1_000_000, 'log', 'optimizer', false, 'Replay buffer capacity'),

  twinCritics: {
    kind: 'boolean',
    default: true,
    group: 'tricks',
    live: true,
    description: 'Clipped double Q: the target takes min(Q1′, Q2′); off = one critic',
  } as BooleanField,
  policyDelay: num(
    'integer',
    2,
    1,
    10,
    'linear',
    'tricks',
    true,
    'Actor and targets update every d critic updates (1 = no delay)',
  ),
  targetSmoothing: {
    kind: 'boolean',
    default: true,
    group: 'tricks',
    live: true,
    description: 'Target policy smoothing: clipped Gaussian noise on the target action',
  } as BooleanField,
  policyNoise: num(
    'number',
    0.2,
    0,
    1,
    'linear',
    'tricks',
    true,
    'Smoothing noise σ, in units of half the action range',
  ),
  noiseClip: num(
    'number',
    0.5,
    0,
    1,
    'linear',
    'tricks',
    true,
    'Smoothing noise clip c, in units of half the action range',
  ),

  startSteps: num(
    'integer',
    25_000,
    0,
    1_000_000,
    'log',
    'exploration',
    false,
    'Uniform random actions before the policy acts (and learning starts)',
  ),
  explNoise: num(
    'number',
    0.1,
    0,
    1,
    'linear',
    'exploration',
    true,
    'Exploration noise σ, in units of half the action range',
  ),
  explNoiseType: {
    kind: 'choice',
    default: 'gaussian',
    options: ['gaussian', 'ou'],
    group: 'exploration',
    live: true,
    description: 'Exploration noise: independent Gaussian, or Ornstein–Uhlenbeck (θ 0.15, dt 0.01)',
  } as ChoiceField,

  evalEvery: num(
    'integer',
    5000,
    100,
    1_000_000,
    'log',
    'evaluation',
    true,
    'Env steps between deterministic evaluations',
  ),
  evalEpisodes: num('integer', 10, 1, 100, 'linear', 'evaluation', true, 'Episodes per evaluation'),
  probeEvery: num(
    'integer',
    5000,
    100,
    1_000_000,
    'log',
    'evaluation',
    true,
    'Env steps between overestimation probes',
  ),
  probePairs: num(
    'integer',
    32,
    0,
    1000,
    'linear',
    'evaluation',
    true,
    'Buffer (s, a) pairs per probe (0 = off)',
  ),
  probeTolerance: num(
    'number',
    1e-3,
    1e-6,
    0.1,
    'log',
    'evaluation',
    true,
    'Probe rollouts stop when γ^t falls below this',
  ),
  logEvery: num(
    'integer',
    250,
    1,
    100_000,
    'log',
    'evaluation',
    true,
    'Updates between update-statistics records',
  ),
} as const satisfies Record<string, Field>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

type ValueOf<F> = F extends BooleanField ? boolean : F extends ChoiceField ? string : number;
/** A complete, validated configuration. */
export type Config = { [K in FieldName]: ValueOf<(typeof FIELDS)[K]> };

/** Human description of a field's allowed values. */
export function allowedValues(field: Field): string {
  if (field.kind === 'boolean') return 'true or false';
  if (field.kind === 'choice')
    return field.options.length ? `one of ${field.options.join(', ')}` : 'a non-empty id';
  return `${field.kind === 'integer' ? 'an integer' : 'a number'} in [${field.min}, ${field.max}]`;
}

function fieldSchema(name: string, field: Field): z.ZodType {
  const message = (value: unknown) =>
    `${name} = ${formatValue(value)} is not allowed: expected ${allowedValues(field)}`;
  if (field.kind === 'boolean') return z.boolean({ error: (iss) => message(iss.input) });
  if (field.kind === 'choice') {
    const base = z.string({ error: (iss) => message(iss.input) });
    const options = field.options;
    return options.length
      ? base.refine((v) => options.includes(v), { error: (iss) => message(iss.input) })
      : base.min(1, { error: (iss) => message(iss.input) });
  }
  return z
    .number({ error: (iss) => message(iss.input) })
    .refine(
      (v) =>
        Number.isFinite(v) &&
        v >= field.min &&
        v <= field.max &&
        (field.kind === 'number' || Number.isInteger(v)),
      { error: (iss) => message(iss.input) },
    );
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

/** The zod schema of a full configuration: unknown keys are errors, missing keys take their default. */
export const configSchema = z
  .object(
    Object.fromEntries(
      FIELD_NAMES.map((name) => [
        name,
        fieldSchema(name, FIELDS[name]).default(FIELDS[name].default as never),
      ]),
    ),
  )
  .strict();

export const DEFAULT_CONFIG = Object.fromEntries(FIELD_NAMES.map((n) => [n, FIELDS[n].default])) as Config;

export type ValidationResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Validates a (partial) configuration; every problem is reported with the field, the value and the range. */
export function validateConfig(input: unknown): ValidationResult {
  const parsed = configSchema.safeParse(input);
  if (parsed.success) return { ok: true, config: parsed.data as Config };
  const errors = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}: known fields are ${FIELD_NAMES.join(', ')}`;
    }
    if (issue.path.length === 0) return `configuration must be an object, got ${formatValue(input)}`;
    return issue.message;
  });
  return { ok: false, errors };
}

/** Like validateConfig, but throws one Error listing every problem. */
export function parseConfig(input: unknown): Config {
  const result = validateConfig(input);
  if (!result.ok) throw new Error(`Invalid configuration:\n  ${result.errors.join('\n  ')}`);
  return result.config;
}
