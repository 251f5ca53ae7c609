/**
 * Command-line flags for `npm run train`, generated from the hyperparameter schema: every field is a flag
 * (`--actor-lr 1e-3` or `--actorLr 1e-3`), booleans also take `--no-NAME`, and a few short aliases follow the
 * paper's wording (`--steps`, `--no-twin`, `--delay`, `--no-smoothing`).
 */
import { allowedValues, type Config, FIELD_NAMES, FIELDS, type FieldName } from '../rl/hyperparameters';
import { PRESET_NAMES, type PresetName } from '../rl/presets';

export interface TrainArgs {
  preset: PresetName;
  overrides: Partial<Config>;
  out: string | null;
  backend: string | undefined;
  /** Threads for the wasm products (undefined: every core, up to 4). */
  threads: number | undefined;
  quiet: boolean;
  help: boolean;
  /** The variant this run belongs to in a comparison, written into its summary (the sweep sets it). */
  variant: string | undefined;
  /** Where to write checkpoints (the resumed file itself when only --resume is given). */
  checkpoint: string | null;
  /** Env steps between checkpoints. */
  checkpointEvery: number;
  /** Whether checkpoints keep the replay buffer (needed to continue exactly). */
  checkpointBuffer: boolean;
  /** A checkpoint to continue from. */
  resume: string | null;
  /** A folder to write the trained policy into, as a tfjs LayersModel, at the end. */
  exportPolicy: string | null;
}

/** A command-line mistake: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {}

const ALIASES: Record<string, FieldName> = { steps: 'totalSteps', delay: 'policyDelay' };
const NEGATIONS: Record<string, FieldName> = { twin: 'twinCritics', smoothing: 'targetSmoothing' };

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function fieldOf(flag: string): FieldName | undefined {
  if (flag in ALIASES) return ALIASES[flag];
  const name = camel(flag);
  return (FIELD_NAMES as string[]).includes(name) ? (name as FieldName) : undefined;
}

function parseValue(name: FieldName, text: string): Config[FieldName] {
  const field = FIELDS[name];
  if (field.kind === 'boolean') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    throw new UsageError(`--${kebab(name)} ${text}: expected true or false`);
  }
  if (field.kind === 'choice') return text;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) {
    throw new UsageError(`--${kebab(name)} ${text}: not a number; expected ${allowedValues(field)}`);
  }
  return value;
}

export function parseTrainArgs(argv: string[]): TrainArgs {
  const args: TrainArgs = {
    preset: 'author',
    overrides: {},
    out: null,
    backend: undefined,
    threads: undefined,
    quiet: false,
    help: false,
    variant: undefined,
    checkpoint: null,
    checkpointEvery: 10_000,
    checkpointBuffer: true,
    resume: null,
    exportPolicy: null,
  };
  const overrides = args.overrides as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('--')) throw new UsageError(`Unexpected argument "${token}" (flags start with --)`);
    let flag = token.slice(2);
    let inline: string | undefined;
    const eq = flag.indexOf('=');
    if (eq >= 0) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && Number.isNaN(Number(next)))) {
        throw new UsageError(`--${flag} needs a value`);
      }
      i++;
      return next;
    };

    if (flag === 'help' || flag === 'h') {
      args.help = true;
    } else if (flag === 'quiet') {
      args.quiet = true;
    } else if (flag === 'out') {
      args.out = takeValue();
    } else if (flag === 'variant') {
      args.variant = takeValue();
    } else if (flag === 'checkpoint') {
      args.checkpoint = takeValue();
    } else if (flag === 'resume') {
      args.resume = takeValue();
    } else if (flag === 'export-policy') {
      args.exportPolicy = takeValue();
    } else if (flag === 'no-checkpoint-buffer') {
      args.checkpointBuffer = false;
    } else if (flag === 'checkpoint-every') {
      const text = takeValue();
      const every = Number(text);
      if (!Number.isInteger(every) || every < 1) {
        throw new UsageError(`--checkpoint-every ${text}: expected a positive whole number of env steps`);
      }
      args.checkpointEvery = every;
    } else if (flag === 'backend') {
      args.backend = takeValue();
    } else if (flag === 'threads') {
      const text = takeValue();
      const threads = Number(text);
      if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
        throw new UsageError(`--threads ${text}: expected an integer from 1 to 64`);
      }
      args.threads = threads;
    } else if (flag === 'preset') {
      const preset = takeValue();
      if (!PRESET_NAMES.includes(preset as PresetName)) {
        throw new UsageError(
          `--preset ${preset}: unknown preset; expected one of ${PRESET_NAMES.join(', ')}`,
        );
      }
      args.preset = preset as PresetName;
    } else if (flag.startsWith('no-')) {
      const name = NEGATIONS[flag.slice(3)] ?? fieldOf(flag.slice(3));
      if (!name || FIELDS[name].kind !== 'boolean') {
        throw new UsageError(`Unknown flag --${flag}. Run with --help to list the flags.`);
      }
      overrides[name] = false;
    } else {
      const name = fieldOf(flag);
      if (!name) throw new UsageError(`Unknown flag --${flag}. Run with --help to list the flags.`);
      // A bare boolean flag means true: `--twin-critics`; `--twin-critics false` and `=false` also work.
      const bareBoolean =
        FIELDS[name].kind === 'boolean' &&
        inline === undefined &&
        !/^(true|false|0|1)$/.test(argv[i + 1] ?? '');
      overrides[name] = bareBoolean ? true : parseValue(name, takeValue());
    }
  }
  return args;
}

export function trainUsage(): string {
  const lines = [
    'Usage: npm run train -- --env Pendulum-v1 --steps 20000 --seed 0 [--preset NAME] [flags] [--out runs/NAME.jsonl]',
    '',
    `  --preset NAME         ${PRESET_NAMES.join(' | ')} (default author)`,
    '  --out FILE            write every metric record as one JSON line',
    '  --backend NAME        tfjs backend: wasm (default, fastest on a CPU), cpu, or webgpu (a GPU, through Dawn)',
    '  --threads N           threads for each wasm product (default: every core, up to 4; 1: this thread only)',
    '  --quiet               no progress bar',
    '  --variant NAME        the variant this run belongs to in a comparison (written into its summary)',
    '  --checkpoint FILE     save the whole run (agent, Adam, buffer, random streams, records) to FILE',
    '  --checkpoint-every N  env steps between checkpoints (default 10000; one more at the end)',
    '  --no-checkpoint-buffer  leave the replay buffer out of checkpoints (smaller; no longer exact)',
    '  --resume FILE         continue the run saved in FILE (its settings; --steps may extend it)',
    '  --export-policy DIR   at the end, write the policy as a tfjs LayersModel: DIR/model.json, weights, config',
    '  --steps N             alias of --total-steps;  --delay N: alias of --policy-delay',
    '  --no-twin             one critic (no clipped double Q);  --no-smoothing: no target policy smoothing',
    '',
    'Every hyperparameter (default; allowed values):',
  ];
  for (const name of FIELD_NAMES) {
    const field = FIELDS[name];
    const flag = `--${kebab(name)}${field.kind === 'boolean' ? ` / --no-${kebab(name)}` : ''}`;
    lines.push(
      `  ${flag.padEnd(36)} ${field.description} (${String(field.default)}; ${allowedValues(field)})`,
    );
  }
  return lines.join('\n');
}
