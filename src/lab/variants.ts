/**
 * What the lab compares: variants, each a set of settings on top of one base configuration. The ablation's
 * variants (the paper's Table 2 rows, plus clipped double Q alone, its Figure 1) set all three tricks, so
 * "TD3 − twin critics" means exactly one trick removed whatever the base preset says; a sensitivity sweep
 * makes one variant per value of one hyperparameter; the extensions are TD3 with one option beyond the paper
 * (docs/extensions.md); a custom variant is any set of settings.
 */
import { type Config, FIELD_NAMES, FIELDS, type FieldName, validateConfig } from '../rl/hyperparameters';

export interface Variant {
  /** Short name, used in file names, the CLI and the URL: "td3", "no-twin", "policyDelay=3". */
  id: string;
  /** In words, for the page and the tables. */
  label: string;
  overrides: Partial<Config>;
}

const TD3_TRICKS = { twinCritics: true, policyDelay: 2, targetSmoothing: true } as const;

export const ABLATION_VARIANTS = {
  td3: { id: 'td3', label: 'TD3', overrides: { ...TD3_TRICKS } },
  'no-twin': {
    id: 'no-twin',
    label: 'TD3 − twin critics',
    overrides: { ...TD3_TRICKS, twinCritics: false },
  },
  'no-delay': { id: 'no-delay', label: 'TD3 − delayed policy', overrides: { ...TD3_TRICKS, policyDelay: 1 } },
  'no-smoothing': {
    id: 'no-smoothing',
    label: 'TD3 − target smoothing',
    overrides: { ...TD3_TRICKS, targetSmoothing: false },
  },
  /** DDPG with clipped double Q alone: the paper's "CDQ" of Figure 1. */
  cdq: {
    id: 'cdq',
    label: 'DDPG + clipped double Q',
    overrides: { twinCritics: true, policyDelay: 1, targetSmoothing: false },
  },
  ddpg: {
    id: 'ddpg',
    label: 'DDPG (all three off)',
    overrides: { twinCritics: false, policyDelay: 1, targetSmoothing: false },
  },
} as const satisfies Record<string, Variant>;

export type AblationVariantId = keyof typeof ABLATION_VARIANTS;
export const ABLATION_VARIANT_IDS = Object.keys(ABLATION_VARIANTS) as AblationVariantId[];

/** The paper's Table 2 rows, in its order. */
export const TABLE2_VARIANTS: AblationVariantId[] = ['td3', 'no-delay', 'no-smoothing', 'no-twin', 'ddpg'];
/** The paper's Figure 1: one critic (DDPG) against clipped double Q. */
export const FIGURE1_VARIANTS: AblationVariantId[] = ['ddpg', 'cdq'];

/** TD3 with one option beyond the paper, as README's "Beyond the paper" table measures them. */
export interface ExtensionVariant extends Variant {
  /** What the option does, in a sentence, for the page. */
  about: string;
  /** Its settings beyond the three tricks (its overrides are TD3's tricks and these). */
  options: Partial<Config>;
}

const extension = (id: string, label: string, about: string, options: Partial<Config>): ExtensionVariant => ({
  id,
  label,
  about,
  options,
  overrides: { ...TD3_TRICKS, ...options },
});

export const EXTENSION_VARIANTS = {
  'n-step-3': extension(
    'n-step-3',
    'TD3 + 3-step returns',
    'The target sums three real rewards before bootstrapping with γ³: faster credit, some bias.',
    { nStep: 3 },
  ),
  per: extension(
    'per',
    'TD3 + prioritized replay',
    'Transitions with larger TD errors are replayed more often, importance-weighted (α 0.6, β → 1).',
    { per: true },
  ),
  'per-n-step-3': extension(
    'per-n-step-3',
    'TD3 + prioritized replay + 3-step',
    'Both of the above together.',
    { per: true, nStep: 3 },
  ),
  'layer-norm': extension(
    'layer-norm',
    'TD3 + LayerNorm critics',
    'Each hidden layer of the critics normalised over its units before the ReLU.',
    { criticNorm: 'layer' },
  ),
  'batch-norm': extension(
    'batch-norm',
    'TD3 + BatchNorm critics',
    'Each hidden layer of the critics normalised over the batch; beside target networks it tends to fail.',
    { criticNorm: 'batch' },
  ),
  'min-q-actor': extension(
    'min-q-actor',
    'TD3 + actor on min(Q1, Q2)',
    'The actor ascends the smaller of the two critics instead of Q1.',
    { actorMinQ: true },
  ),
  orthogonal: extension(
    'orthogonal',
    'TD3 + orthogonal init',
    'Weights start as (seeded) orthogonal matrices instead of PyTorch’s uniform initialisation.',
    { init: 'orthogonal' },
  ),
  'normalized-obs': extension(
    'normalized-obs',
    'TD3 + normalised observations',
    'Observations scaled by running mean and variance before the networks see them.',
    { normalizeObservations: true },
  ),
  'normalized-obs-frozen': extension(
    'normalized-obs-frozen',
    'TD3 + normalised observations, frozen',
    'The same, with the mean and variance of the random steps kept fixed once learning starts.',
    { normalizeObservations: true, freezeObservationStats: true },
  ),
  'grad-clip': extension(
    'grad-clip',
    'TD3 + gradient clipping',
    'Gradient norms clipped: the actor’s to 1, the critics’ (together) to 10.',
    { actorGradClip: 1, criticGradClip: 10 },
  ),
  'noise-decay': extension(
    'noise-decay',
    'TD3 + decaying exploration',
    'Exploration σ falls linearly from its start value to 0.01 over the run.',
    { explNoiseSchedule: 'linear', explNoiseFinal: 0.01 },
  ),
  'cosine-lr': extension(
    'cosine-lr',
    'TD3 + cosine learning rates',
    'Both learning rates follow a cosine from their value to a tenth of it over the run.',
    { lrSchedule: 'cosine', lrFinalFraction: 0.1 },
  ),
} as const satisfies Record<string, ExtensionVariant>;

export type ExtensionVariantId = keyof typeof EXTENSION_VARIANTS;
export const EXTENSION_VARIANT_IDS = Object.keys(EXTENSION_VARIANTS) as ExtensionVariantId[];

/** Every variant with an id of its own (the ablation's rows and the extensions), for the CLI and file names. */
export const NAMED_VARIANTS: Record<string, Variant> = { ...ABLATION_VARIANTS, ...EXTENSION_VARIANTS };

/** Flags for `npm run train` that apply a variant's settings (`--policy-delay=1`). */
export function variantFlags(variant: Variant): string[] {
  return Object.entries(variant.overrides).map(
    ([name, value]) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${String(value)}`,
  );
}

/** The variant's full configuration for one seed; throws with the schema's message if a setting is invalid. */
export function variantConfig(base: Config, variant: Variant, seed: number): Config {
  const result = validateConfig({ ...base, ...variant.overrides, seed });
  if (!result.ok) throw new Error(`${variant.label}: ${result.errors.join('; ')}`);
  return result.config;
}

/**
 * One variant per value of one numeric hyperparameter: "policyDelay over 1, 2, 3, 5". Every value is
 * checked against the schema, so a bad list is refused whole with the reason.
 */
export function sensitivityVariants(
  field: string,
  valuesText: string,
  base: Config,
): { ok: true; variants: Variant[] } | { ok: false; error: string } {
  if (!(FIELD_NAMES as string[]).includes(field)) return { ok: false, error: `unknown setting "${field}"` };
  const name = field as FieldName;
  const kind = FIELDS[name].kind;
  if (kind !== 'number' && kind !== 'integer')
    return { ok: false, error: `${field} is not a number; choose a numeric setting` };
  const parts = valuesText
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  if (parts.length < 2) return { ok: false, error: 'give at least two values, separated by commas' };
  if (parts.length > 12) return { ok: false, error: 'at most 12 values' };
  const variants: Variant[] = [];
  for (const text of parts) {
    const value = Number(text);
    const check = validateConfig({ ...base, [name]: Number.isNaN(value) ? text : value });
    if (!check.ok) return { ok: false, error: check.errors[0] };
    if (variants.some((v) => v.overrides[name] === value))
      return { ok: false, error: `${text} is listed twice` };
    variants.push({ id: `${name}=${value}`, label: `${name} = ${value}`, overrides: { [name]: value } });
  }
  return { ok: true, variants };
}

/**
 * A custom variant from a name and settings written as `policyDelay=3 tau=0.01` (spaces or commas between),
 * validated against the schema.
 */
export function customVariant(
  name: string,
  settingsText: string,
  base: Config,
): { ok: true; variant: Variant } | { ok: false; error: string } {
  const label = name.trim();
  if (!label) return { ok: false, error: 'give the variant a name' };
  if (label.length > 60) return { ok: false, error: 'a name of at most 60 characters' };
  const overrides: Record<string, unknown> = {};
  for (const part of settingsText.split(/[\s,]+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, error: `"${part}": write settings as name=value` };
    const key = part.slice(0, eq);
    const text = part.slice(eq + 1);
    if (!(FIELD_NAMES as string[]).includes(key) || key === 'seed' || key === 'env')
      return {
        ok: false,
        error: `unknown setting "${key}" (seed and env are chosen for the whole comparison)`,
      };
    const kind = FIELDS[key as FieldName].kind;
    overrides[key] =
      kind === 'boolean'
        ? text === 'true'
          ? true
          : text === 'false'
            ? false
            : text
        : kind === 'choice'
          ? text
          : text === '' || Number.isNaN(Number(text))
            ? text
            : Number(text);
  }
  const check = validateConfig({ ...base, ...overrides });
  if (!check.ok) return { ok: false, error: check.errors[0] };
  return {
    ok: true,
    variant: { id: label.replace(/[^A-Za-z0-9_.=-]+/g, '-'), label, overrides: overrides as Partial<Config> },
  };
}
