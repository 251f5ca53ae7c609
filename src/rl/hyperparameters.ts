/**
 * The one hyperparameter schema. Each field has a label in words, a default, an allowed range and a one-line
 * description; the same table drives validation, the CLI flags, the URL and the sliders.
 *
 * `live` fields may change while training runs; the others need a restart (new networks, buffer or env).
 */
import { z } from 'zod';

interface FieldBase {
  /** What the page calls it, in words; the field name stays for the CLI, the URL and files. */
  label: string;
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

type Spec<F extends Field> = Omit<F, 'kind'>;
const integer = (spec: Spec<NumberField>): NumberField => ({ kind: 'integer', ...spec });
const real = (spec: Spec<NumberField>): NumberField => ({ kind: 'number', ...spec });
const flag = (spec: Spec<BooleanField>): BooleanField => ({ kind: 'boolean', ...spec });
const choice = (spec: Spec<ChoiceField>): ChoiceField => ({ kind: 'choice', ...spec });

/** Every field, in the order a form should show them. Defaults are the authors' repository (sfujim/TD3). */
export const FIELDS = {
  // Any id the env registry knows (makeEnv checks it), so no fixed options here.
  env: choice({
    label: 'Environment',
    default: 'Pendulum-v1',
    options: [],
    group: 'run',
    live: false,
    description: 'Environment id (Gymnasium naming)',
  }),
  seed: integer({
    label: 'Random seed',
    default: 0,
    min: 0,
    max: 2_147_483_647,
    scale: 'linear',
    group: 'run',
    live: false,
    description: 'Seed of every random stream in the run',
  }),
  totalSteps: integer({
    label: 'Training steps',
    default: 1_000_000,
    min: 1,
    max: 10_000_000,
    scale: 'log',
    group: 'run',
    live: true,
    description: 'Environment steps to train for',
  }),
  parallelEnvs: integer({
    label: 'Parallel environments',
    default: 1,
    min: 1,
    max: 64,
    scale: 'log',
    group: 'run',
    live: false,
    description:
      'Envs stepped side by side: the policy’s actions for all of them come in one read (fewer waits on a GPU), and each of their steps is followed by its updates as usual; 1 = the paper',
  }),

  hidden1: integer({
    label: 'First hidden layer (units)',
    default: 256,
    min: 1,
    max: 1024,
    scale: 'log',
    group: 'network',
    live: false,
    description: 'Units in the first hidden layer (actor and critics)',
  }),
  hidden2: integer({
    label: 'Second hidden layer (units)',
    default: 256,
    min: 1,
    max: 1024,
    scale: 'log',
    group: 'network',
    live: false,
    description: 'Units in the second hidden layer (actor and critics)',
  }),

  init: choice({
    label: 'Weight initialisation',
    default: 'pytorch',
    options: ['pytorch', 'orthogonal'],
    group: 'network',
    live: false,
    description:
      "pytorch: U(±1/√fan_in), the authors' (nn.Linear); orthogonal: seeded orthogonal weights, gain √2 for the hidden layers and 1 for the outputs, biases 0",
  }),
  criticNorm: choice({
    label: "Critics' normalisation",
    default: 'none',
    options: ['none', 'layer', 'batch'],
    group: 'network',
    live: false,
    description:
      "LayerNorm or BatchNorm between each hidden layer's product and its ReLU, in the critics (none = the paper); BatchNorm uses its batch's statistics in the update and running averages in the probe",
  }),
  normalizeObservations: flag({
    label: 'Normalise observations',
    default: false,
    group: 'network',
    live: false,
    description:
      'The networks see (s − running mean) / running std of the observations seen in training (frozen in evaluation; saved in checkpoints and folded into an exported policy)',
  }),
  freezeObservationStats: flag({
    label: 'Freeze the observation statistics when learning starts',
    default: false,
    group: 'network',
    live: false,
    description:
      'With normalised observations: the running mean and std stop changing after the random steps, so that the critics chase no moving inputs (measured on Pendulum: underestimation as plain TD3’s instead of 4–5× it)',
  }),
  smallActorOutput: flag({
    label: "Small init of the actor's last layer",
    default: false,
    group: 'network',
    live: false,
    description:
      "The actor's output layer drawn from U(±3·10⁻³), as DDPG's paper does, so the first actions are near the centre",
  }),
  actorLr: real({
    label: 'Actor learning rate',
    default: 3e-4,
    min: 1e-6,
    max: 0.01,
    scale: 'log',
    group: 'optimizer',
    live: true,
    description: 'Adam learning rate of the actor',
  }),
  criticLr: real({
    label: 'Critic learning rate',
    default: 3e-4,
    min: 1e-6,
    max: 0.01,
    scale: 'log',
    group: 'optimizer',
    live: true,
    description: 'Adam learning rate of the critics',
  }),
  lrSchedule: choice({
    label: 'Learning-rate schedule',
    default: 'constant',
    options: ['constant', 'linear', 'cosine'],
    group: 'optimizer',
    live: true,
    description:
      "How the learning rates move to their final fraction over the learning steps: constant (the paper), linear or cosine; the critics' too unless they have a schedule of their own",
  }),
  lrFinalFraction: real({
    label: 'Final learning rate (fraction)',
    default: 0,
    min: 0,
    max: 1,
    scale: 'linear',
    group: 'optimizer',
    live: true,
    description: 'Each learning rate at the end of the run, as a fraction of its value, when scheduled',
  }),
  criticLrSchedule: choice({
    label: "Critics' own learning-rate schedule",
    default: 'same',
    options: ['same', 'constant', 'linear', 'cosine'],
    group: 'optimizer',
    live: true,
    description:
      "The critics' learning rate on a schedule of its own (same = the schedule above, for both networks)",
  }),
  criticLrFinalFraction: real({
    label: "Critics' final learning rate (fraction)",
    default: 0,
    min: 0,
    max: 1,
    scale: 'linear',
    group: 'optimizer',
    live: true,
    description:
      "The critics' learning rate at the end of the run, as a fraction of its value, on their own schedule",
  }),
  batchSize: integer({
    label: 'Batch size',
    default: 256,
    min: 2,
    max: 4096,
    scale: 'log',
    group: 'optimizer',
    live: true,
    description: 'Transitions sampled from the buffer per update',
  }),
  discount: real({
    label: 'Discount factor γ',
    default: 0.99,
    min: 0.8,
    max: 0.9999,
    scale: 'linear',
    group: 'optimizer',
    live: true,
    description: 'Discount factor γ',
  }),
  actorGradClip: real({
    label: "Actor's gradient-norm clip",
    default: 0,
    min: 0,
    max: 1000,
    scale: 'linear',
    group: 'optimizer',
    live: true,
    description:
      "The actor's gradient scaled down to this global L2 norm when larger, as torch's clip_grad_norm_ (0 = off, the paper)",
  }),
  criticGradClip: real({
    label: "Critics' gradient-norm clip",
    default: 0,
    min: 0,
    max: 1000,
    scale: 'linear',
    group: 'optimizer',
    live: true,
    description:
      "Both critics' gradient, together, scaled down to this global L2 norm when larger (0 = off, the paper)",
  }),
  actorMinQ: flag({
    label: 'Actor on min(Q1, Q2)',
    default: false,
    group: 'optimizer',
    live: true,
    description:
      'The actor ascends min(Q1, Q2)(s, π(s)) instead of Q1 (with twin critics on; off = Q1, the paper)',
  }),
  per: flag({
    label: 'Prioritized replay',
    default: false,
    group: 'optimizer',
    live: false,
    description:
      'Draw transitions in proportion to (|TD error| + ε)^α, with importance weights annealed to 1 (Schaul et al. 2016); off = uniform, the paper',
  }),
  perAlpha: real({
    label: 'Priority exponent α',
    default: 0.6,
    min: 0,
    max: 1,
    scale: 'linear',
    group: 'optimizer',
    live: false,
    description: 'How much priorities count: 0 = uniform, 1 = in proportion to |TD error|',
  }),
  perBeta0: real({
    label: 'Importance-weight exponent β at the start',
    default: 0.4,
    min: 0,
    max: 1,
    scale: 'linear',
    group: 'optimizer',
    live: false,
    description: 'β of the weights (N·P(i))^−β, raised linearly to 1 over the learning steps',
  }),
  rewardScale: real({
    label: 'Reward scale',
    default: 1,
    min: 1e-4,
    max: 1e4,
    scale: 'log',
    group: 'optimizer',
    live: false,
    description:
      'Rewards are multiplied by this before they are stored and learned from (1 = the paper); returns and the probe stay in the env’s units',
  }),
  nStep: integer({
    label: 'Reward steps per target (n-step)',
    default: 1,
    min: 1,
    max: 20,
    scale: 'linear',
    group: 'optimizer',
    live: false,
    description:
      'Steps of real reward before bootstrapping: y = Σ γ^k r_k (k < n) + γ^n Q′(s_n, ã′); 1 = the paper',
  }),
  tau: real({
    label: 'Target update rate τ',
    default: 0.005,
    min: 1e-4,
    max: 1,
    scale: 'log',
    group: 'optimizer',
    live: true,
    description: 'Polyak rate τ of the target networks (1 = copy)',
  }),
  updatesPerStep: integer({
    label: 'Updates per env step',
    default: 1,
    min: 1,
    max: 16,
    scale: 'linear',
    group: 'optimizer',
    live: true,
    description: 'Gradient updates per environment step',
  }),
  bufferSize: integer({
    label: 'Replay buffer size',
    default: 1_000_000,
    min: 100,
    max: 1_000_000,
    scale: 'log',
    group: 'optimizer',
    live: false,
    description: 'Replay buffer capacity',
  }),

  twinCritics: flag({
    label: 'Twin critics (clipped double Q)',
    default: true,
    group: 'tricks',
    live: true,
    description: 'Clipped double Q: the target takes min(Q1′, Q2′); off = one critic',
  }),
  policyDelay: integer({
    label: 'Policy delay d',
    default: 2,
    min: 1,
    max: 10,
    scale: 'linear',
    group: 'tricks',
    live: true,
    description: 'Actor and targets update every d critic updates (1 = no delay)',
  }),
  targetSmoothing: flag({
    label: 'Target policy smoothing',
    default: true,
    group: 'tricks',
    live: true,
    description: 'Target policy smoothing: clipped Gaussian noise on the target action',
  }),
  policyNoise: real({
    label: 'Smoothing noise σ',
    default: 0.2,
    min: 0,
    max: 1,
    scale: 'linear',
    group: 'tricks',
    live: true,
    description: 'Smoothing noise σ, in units of half the action range',
  }),
  noiseClip: real({
    label: 'Smoothing noise clip c',
    default: 0.5,
    min: 0,
    max: 1,
    scale: 'linear',
    group: 'tricks',
    live: true,
    description: 'Smoothing noise clip c, in units of half the action range',
  }),

  startSteps: integer({
    label: 'Random steps before learning',
    default: 25_000,
    min: 0,
    max: 1_000_000,
    scale: 'log',
    group: 'exploration',
    live: false,
    description: 'Uniform random actions before the policy acts (and learning starts)',
  }),
  explNoise: real({
    label: 'Exploration noise σ',
    default: 0.1,
    min: 0,
    max: 1,
    scale: 'linear',
    group: 'exploration',
    live: true,
    description: 'Exploration noise σ, in units of half the action range',
  }),
  explNoiseType: choice({
    label: 'Exploration noise kind',
    default: 'gaussian',
    options: ['gaussian', 'ou'],
    group: 'exploration',
    live: true,
    description: 'Exploration noise: independent Gaussian, or Ornstein–Uhlenbeck (θ 0.15, dt 0.01)',
  }),
  explNoiseSchedule: choice({
    label: 'Exploration noise schedule',
    default: 'constant',
    options: ['constant', 'linear', 'exponential'],
    group: 'exploration',
    live: true,
    description:
      'How σ moves from its value to the final one over the learning steps: constant (the paper), linear or exponential decay',
  }),
  explNoiseFinal: real({
    label: 'Final exploration noise σ',
    default: 0.01,
    min: 1e-4,
    max: 1,
    scale: 'log',
    group: 'exploration',
    live: true,
    description:
      'σ at the end of the run, when the schedule is not constant (units of half the action range)',
  }),

  evalEvery: integer({
    label: 'Evaluate every (env steps)',
    default: 5000,
    min: 100,
    max: 1_000_000,
    scale: 'log',
    group: 'evaluation',
    live: true,
    description: 'Env steps between deterministic evaluations',
  }),
  evalEpisodes: integer({
    label: 'Episodes per evaluation',
    default: 10,
    min: 1,
    max: 100,
    scale: 'linear',
    group: 'evaluation',
    live: true,
    description: 'Episodes per evaluation',
  }),
  // More pairs, less often: 256 pairs give a standard error of 0.8 on a trained Pendulum agent (32 gave
  // 1.9); every 20k steps keeps the rollouts (12 s per probe on HalfCheetah) near 6 % of a run's time.
  probeEvery: integer({
    label: 'Probe every (env steps)',
    default: 20_000,
    min: 100,
    max: 1_000_000,
    scale: 'log',
    group: 'evaluation',
    live: true,
    description: 'Env steps between overestimation probes',
  }),
  probePairs: integer({
    label: 'Pairs per probe',
    default: 256,
    min: 0,
    max: 1000,
    scale: 'linear',
    group: 'evaluation',
    live: true,
    description: 'Buffer (s, a) pairs per probe (0 = off)',
  }),
  probeTolerance: real({
    label: 'Probe rollout cut-off (γᵗ below)',
    default: 0.001,
    min: 1e-6,
    max: 0.1,
    scale: 'log',
    group: 'evaluation',
    live: true,
    description: 'Probe rollouts stop when γ^t falls below this',
  }),
  logEvery: integer({
    label: 'Statistics every (updates)',
    default: 250,
    min: 1,
    max: 100_000,
    scale: 'log',
    group: 'evaluation',
    live: true,
    description: 'Updates between update-statistics records',
  }),
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
