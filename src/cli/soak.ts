/**
 * `npm run soak -- [--env Pendulum-v1] [--preset quick] [--steps 1000000]`: one long training session in Node
 * that samples the process's memory, the tfjs tensor count and the wasm backend's heap every `--every` env
 * steps, then says whether they stayed flat. Not part of the test suite (it takes minutes); its figures are
 * in README. Exit code 1 when tensors or memory grew.
 */
import * as tf from '@tensorflow/tfjs';
import { configFromPreset, PRESET_NAMES, type PresetName } from '../rl/presets';
import { TrainingSession } from '../train/session';
import { activateNodeBackend } from './backend';
import { isScript } from './script';

interface Sample {
  step: number;
  seconds: number;
  tensors: number;
  tensorMiB: number;
  heapMiB: number;
  rssMiB: number;
  lastEval: number | null;
}

/** Memory may move this much after the warm-up (the buffer fills, V8 resizes its heap) and still count as flat. */
const SLACK_MIB = 64;

async function main(argv: string[]): Promise<number> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) flags.set(argv[i].replace(/^--/, ''), argv[i + 1] ?? '');
  const env = flags.get('env') ?? 'Pendulum-v1';
  const preset = (flags.get('preset') ?? 'quick') as PresetName;
  const steps = Number(flags.get('steps') ?? 1_000_000);
  const every = Number(flags.get('every') ?? 50_000);
  if (
    !PRESET_NAMES.includes(preset) ||
    !Number.isInteger(steps) ||
    steps < every ||
    !Number.isInteger(every)
  ) {
    console.error('Usage: npm run soak -- [--env ID] [--preset NAME] [--steps N] [--every N]');
    return 2;
  }
  const backend = await activateNodeBackend(undefined, 1);
  const config = configFromPreset(preset, { env, totalSteps: steps, evalEvery: 10_000, probeEvery: 50_000 });
  let lastEval: number | null = null;
  let records = 0;
  const session = await TrainingSession.create(config, (r) => {
    records++;
    if (r.type === 'eval') lastEval = r.mean;
  });
  const start = performance.now();
  const samples: Sample[] = [];
  // With --expose-gc (npm run soak sets it), garbage is collected before each sample: what remains is held.
  const collect = (globalThis as { gc?: () => void }).gc;
  const sample = () => {
    collect?.();
    const memory = tf.memory();
    const usage = process.memoryUsage();
    samples.push({
      step: session.step,
      seconds: (performance.now() - start) / 1000,
      tensors: memory.numTensors,
      tensorMiB: memory.numBytes / 2 ** 20,
      heapMiB: usage.heapUsed / 2 ** 20,
      rssMiB: usage.rss / 2 ** 20,
      lastEval,
    });
    const s = samples.at(-1) as Sample;
    console.error(
      `step ${s.step}: ${s.tensors} tensors (${s.tensorMiB.toFixed(1)} MiB), JS heap ${s.heapMiB.toFixed(0)} MiB, RSS ${s.rssMiB.toFixed(0)} MiB, eval ${s.lastEval?.toFixed(1) ?? '—'}, ${s.seconds.toFixed(0)} s`,
    );
  };
  sample();
  while (!session.done) {
    const target = Math.min(steps, (Math.floor(session.step / every) + 1) * every);
    session.advance(target - session.step);
    while (session.hasPendingWork) session.runFor(50, 0);
    sample();
  }
  session.dispose();
  // Flat: after the first sample past warm-up, no tensor is gained, and memory stays within the slack.
  const warm = samples[1];
  const last = samples.at(-1) as Sample;
  const tensorGrowth = Math.max(...samples.slice(1).map((s) => s.tensors)) - warm.tensors;
  const rssGrowth = Math.max(...samples.slice(1).map((s) => s.rssMiB)) - warm.rssMiB;
  const heapGrowth = Math.max(...samples.slice(1).map((s) => s.heapMiB)) - warm.heapMiB;
  const flat = tensorGrowth === 0 && rssGrowth < SLACK_MIB && heapGrowth < SLACK_MIB;
  console.log(
    JSON.stringify({
      env,
      preset,
      backend,
      steps: last.step,
      records,
      seconds: last.seconds,
      tensorsAtWarmup: warm.tensors,
      tensorGrowth,
      heapGrowthMiB: heapGrowth,
      rssGrowthMiB: rssGrowth,
      lastEval: last.lastEval,
      flat,
    }),
  );
  return flat ? 0 : 1;
}

if (isScript(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
