/**
 * The whole configuration in the URL hash, so a link reproduces a run: `#preset=quick&env=Pendulum-v1&seed=3`.
 * Only the preset and the fields that differ from it are written. Reading validates every value with the
 * schema; a bad or unknown one is reported and falls back to the preset's value.
 */
import { catalogIds as envIds } from '../envs/catalog';
import { type Config, FIELD_NAMES, FIELDS, type FieldName, validateConfig } from '../rl/hyperparameters';
import { configFromPreset, PRESET_NAMES, type PresetName } from '../rl/presets';

export function configToHash(config: Config, preset: PresetName | 'custom'): string {
  const base = safePreset(preset === 'custom' ? 'author' : preset, config.env);
  const params = new URLSearchParams();
  params.set('preset', preset === 'custom' ? 'author' : preset);
  for (const name of FIELD_NAMES) {
    if (name === 'env' || config[name] !== base[name]) params.set(name, String(config[name]));
  }
  return `#${params.toString()}`;
}

export interface HashReading {
  config: Config;
  preset: PresetName | 'custom';
  problems: string[];
  /** The tfjs backend named by `backend=` (also accepted in the hash). */
  backend?: string;
}

export function configFromHash(hash: string): HashReading {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const problems: string[] = [];
  let preset: PresetName = 'quick';
  const presetText = params.get('preset');
  if (presetText !== null) {
    if (PRESET_NAMES.includes(presetText as PresetName)) preset = presetText as PresetName;
    else problems.push(`unknown preset "${presetText}"; using quick`);
  }
  let env = params.get('env') ?? undefined;
  if (env !== undefined && !envIds.includes(env)) {
    problems.push(`unknown environment "${env}"; using ${envIds[0]}`);
    env = undefined;
  }
  const base = safePreset(preset, env);

  const overrides: Partial<Record<FieldName, unknown>> = {};
  const seen = new Set<string>();
  for (const [key, text] of params) {
    // A key given twice: the first counts (as for preset and env), and the link is said to be odd.
    if (seen.has(key)) {
      problems.push(`"${key}" appears more than once; the first is used`);
      continue;
    }
    seen.add(key);
    if (key === 'preset' || key === 'env' || key === 'backend') continue;
    if (!(FIELD_NAMES as string[]).includes(key)) {
      problems.push(`unknown setting "${key}" ignored`);
      continue;
    }
    const name = key as FieldName;
    const value = parseText(name, text);
    const check = validateConfig({ ...base, [name]: value });
    if (check.ok) overrides[name] = value;
    else problems.push(`${check.errors[0]}; using ${String(base[name])}`);
  }
  const config = { ...base, ...overrides } as Config;
  // The seed is not part of a preset: a link with only a seed is still that preset.
  const changed = Object.keys(overrides).some((name) => name !== 'seed');
  return {
    config,
    preset: changed ? 'custom' : preset,
    problems,
    backend: params.get('backend') ?? undefined,
  };
}

function parseText(name: FieldName, text: string): unknown {
  const kind = FIELDS[name].kind;
  if (kind === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (kind === 'choice') return text;
  // Not a number: keep the text, so the message shows what the link said.
  return text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text);
}

/** The preset's configuration for `env`; an unknown env or a preset without values for it falls back. */
function safePreset(preset: PresetName, env: string | undefined): Config {
  try {
    return configFromPreset(preset, env === undefined ? {} : { env });
  } catch {
    return configFromPreset(preset === 'zoo' ? 'quick' : preset);
  }
}
