/** Command-line flags of `npm run bench`. */
import { BENCH_PARTS, type BenchPart } from './types';

export interface BenchArgs {
  quick: boolean;
  parts: BenchPart[];
  out: string;
  repeats: number | null;
  updates: number | null;
  browserCapS: number | null;
  memoryUpdates: number | null;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [--quick] [--only PART[,PART…]] [--out DIR] [--repeats N] [--updates N]
                       [--browser-cap-s S] [--memory-updates N]
  PART: ${BENCH_PARTS.join(', ')} (default: all)
  --quick           tiny networks and iterations: checks that every part runs, in seconds
  --out DIR         where latest.json and latest.md go (default bench/results for a full run;
                    bench/results/partial for --quick or --only, so the full run's record stays)
  --repeats N       timed repeats per figure (default 3; the median is reported)
  --updates N       timed TD3 updates per repeat on wasm and torch (default 100 and 200)
  --browser-cap-s S time budget per size for a backend in the browser (default 60)
  --memory-updates N  updates of the memory-drift run (default 10000)`;

export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = {
    quick: false,
    parts: [...BENCH_PARTS],
    out: '',
    repeats: null,
    updates: null,
    browserCapS: null,
    memoryUpdates: null,
    help: false,
  };
  const positive = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n <= 0)
      throw new Error(`${flag} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--only': {
        if (!value) throw new Error(`--only needs one of ${BENCH_PARTS.join(', ')}`);
        const parts = value.split(',').map((p) => p.trim());
        for (const p of parts) {
          if (!BENCH_PARTS.includes(p as BenchPart))
            throw new Error(`Unknown part "${p}": the parts are ${BENCH_PARTS.join(', ')}`);
        }
        args.parts = BENCH_PARTS.filter((p) => parts.includes(p));
        i++;
        break;
      }
      case '--out':
        if (!value) throw new Error('--out needs a directory');
        args.out = value;
        i++;
        break;
      case '--repeats':
        args.repeats = Math.max(1, Math.round(positive(flag, value)));
        i++;
        break;
      case '--updates':
        args.updates = Math.round(positive(flag, value));
        i++;
        break;
      case '--browser-cap-s':
        args.browserCapS = positive(flag, value);
        i++;
        break;
      case '--memory-updates':
        args.memoryUpdates = Math.round(positive(flag, value));
        i++;
        break;
      default:
        throw new Error(`Unknown flag "${flag}"\n${USAGE}`);
    }
  }
  // bench/results keeps the latest full run, the one README quotes; a quick or partial run goes beside it.
  const full = !args.quick && args.parts.length === BENCH_PARTS.length;
  args.out ||= full ? 'bench/results' : 'bench/results/partial';
  return args;
}
