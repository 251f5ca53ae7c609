/** The machine description and the markdown report of a bench run. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, type as osType, release } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { PopulationRun } from './population';
import type { Summary } from './stats';
import type { BenchResults, Machine, TorchRun } from './types';

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function chromiumVersion(path: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(path, ['--version'], { timeout: 30_000 }, (error, stdout) =>
      resolve(error ? null : (/\d+(\.\d+)+/.exec(stdout)?.[0] ?? null)),
    );
  });
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    os: `${osType()} ${release()}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    torch: null,
    torchBlas: null,
    chromium: null,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** 3 significant figures or so: 1234 → "1234", 56.78 → "56.8", 1.234 → "1.23", 0.0123 → "0.012". */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

const spread = (s: Summary) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
const times = (r: number | null) => (r === null ? '–' : `${r < 10 ? r.toFixed(2) : fmt(r)}×`);

/** '…/libopenblasp-r0.3.21.so' → 'OpenBLAS 0.3.21'; Debian's reference libblas → 'reference BLAS'. */
export function blasName(paths: string | null): string | null {
  if (!paths) return null;
  const openblas = /libopenblas\w*-r([\d.]+[\d])/.exec(paths);
  if (openblas) return `OpenBLAS ${openblas[1]}`;
  if (/openblas/i.test(paths)) return 'OpenBLAS';
  if (/mkl/i.test(paths)) return 'MKL';
  if (/blis/i.test(paths)) return 'BLIS';
  return 'reference BLAS (slow)';
}
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function markdown(results: BenchResults): string {
  const m = results.machine;
  const s = results.settings;
  const out: string[] = [];
  out.push('# TD3 update benchmark (`npm run bench`)', '');
  out.push(
    `${results.date}${results.quick ? ' — **quick run (tiny sizes, not representative)**' : ''}; parts: ${results.parts.join(', ')}.`,
    '',
  );
  out.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.os}; Node ${m.node}; tfjs ${m.tfjs}; ` +
      `torch ${m.torch ?? 'not available'}${m.torchBlas ? ` (${blasName(m.torchBlas)})` : ''}; ` +
      `Chromium ${m.chromium ?? 'not found'}. Load average at start ${m.loadAverage.join(', ')}.`,
    '',
  );
  out.push(
    'Figures were taken on a shared, noisy machine (other processes compete for its cores): compare ratios ' +
      'taken in the same run rather than absolute numbers across runs.',
    '',
  );

  out.push('## TD3 updates per second', '');
  out.push(
    `One update = target actor + both target critics, both critics' MSE + Adam, and every 2nd update the ` +
      `actor + Adam + Polyak on three targets; batch ${s.batch}, ${s.hidden}-${s.hidden} nets. ` +
      `Median of ${s.repeats} repeats (min–max) after ${s.warmup} untimed updates; × torch = ratio to ` +
      "PyTorch's median for the same sizes. " +
      'PyTorch, the Node backends and wasm in the browser are timed in rounds, one repeat of each in turn, so ' +
      "that a change in the machine's load falls on all of them alike. " +
      `GPU backends in the browser are capped at ${s.browserCapS} s per size (what they reach in that time).`,
    '',
  );
  const cases = ['Pendulum', 'HalfCheetah'];
  out.push(
    '| where | backend | runs on | Pendulum (obs 3, act 1) | × torch | HalfCheetah (obs 17, act 6) | × torch | first update |',
    '|---|---|---|---|---|---|---|---|',
  );
  const t = results.torch;
  if (t) {
    const cells = cases.map((name) => {
      const r = t.results.find((x) => x.name === name && x.hidden === s.hidden && x.batch === s.batch);
      return r ? [spread(r), '1.00×'] : ['–', '–'];
    });
    const runsOn = t.available ? `${t.threads} thread, ${blasName(t.blas) ?? 'BLAS unknown'}` : '';
    out.push(
      `| PyTorch CPU | torch ${t.version ?? ''} | ${t.available ? runsOn : `not available: ${t.error}`} | ${cells.flat().join(' | ')} | – |`,
    );
  }
  // For comparison only, as ratios to the one-thread reference: PyTorch on every core, and on the GPU (CUDA).
  const comparison = (run: TorchRun | null | undefined, where: string, runsOn: (run: TorchRun) => string) => {
    if (!t || !run?.available) return;
    const cells = cases.map((name) => {
      const r = run.results.find((x) => x.name === name && x.hidden === s.hidden && x.batch === s.batch);
      const ref = t.results.find((x) => x.name === name && x.hidden === s.hidden && x.batch === s.batch);
      return r ? [spread(r), ref ? times(r.median / ref.median) : '–'] : ['–', '–'];
    });
    out.push(
      `| ${where} | torch ${run.version ?? ''} | ${runsOn(run)} (comparison, not the reference) | ${cells.flat().join(' | ')} | – |`,
    );
  };
  comparison(
    results.torchAllCores,
    'PyTorch CPU',
    (all) => `${all.threads} threads, ${blasName(all.blas) ?? 'BLAS unknown'}`,
  );
  comparison(results.torchGpu, 'PyTorch GPU', (gpu) => `CUDA, ${gpu.device ?? 'GPU'}`);
  for (const run of results.backends) {
    const cells = cases.map((name) => {
      const timing = run.timings.find((x) => x.case.name === name);
      if (!timing) return ['–', '–'];
      const capped = timing.capped ? ` capped, ${timing.updatesTimed.join('/')} updates` : '';
      return [`${spread(timing)}${capped}`, times(timing.ratioToTorch)];
    });
    const first = run.timings.map((x) => `${fmt(x.firstUpdateMs)} ms`).join(' / ') || '–';
    const where = run.where === 'node' ? 'Node' : 'Chromium worker';
    const detail = run.error ? `${run.details ? `${run.details}; ` : ''}**${run.error}**` : run.details;
    out.push(`| ${where} | ${run.backend} | ${detail} | ${cells.flat().join(' | ')} | ${first} |`);
  }
  out.push('');

  if (results.page) {
    out.push('## The page while training', '');
    out.push(
      'Production build in headless Chromium, a run started with Start; after learning begins and a warm-up, ' +
        'frame intervals (requestAnimationFrame) and main-thread long tasks (over 50 ms) over a window, and ' +
        "the worker's env steps/s from the page's step counter over the same window.",
      '',
    );
    out.push(
      '| run | backend | env steps/s | frames | frame time p50 | frame time p95 | long tasks (longest) |',
      '|---|---|---|---|---|---|---|',
    );
    for (const r of results.page) {
      if (r.error) {
        out.push(`| ${r.name} | **failed: ${r.error}** | – | – | – | – | – |`);
        continue;
      }
      out.push(
        `| ${r.name} | ${r.backend} | ${fmt(r.stepsPerSec)} | ${r.frames} in ${r.seconds.toFixed(0)} s | ` +
          `${r.p50.toFixed(1)} ms | ${r.p95.toFixed(1)} ms | ${r.longTasks} (${r.longestTask.toFixed(0)} ms) |`,
      );
    }
    out.push('');
  }

  if (results.envs) {
    out.push('## Env steps per second', '');
    out.push(
      'Uniform random actions, reset at episode ends; median of repeats (min–max). × torch update = env steps ' +
        "per PyTorch Pendulum-size update: how many env steps fit in one update's time.",
      '',
    );
    out.push('| env | steps/s | × torch update |', '|---|---|---|');
    for (const e of results.envs) {
      out.push(`| ${e.id} | ${e.error ? `failed: ${e.error}` : spread(e)} | ${times(e.ratioToTorch)} |`);
    }
    out.push('');
  }

  if (results.session) {
    const x = results.session;
    out.push('## End-to-end training', '');
    out.push(
      `TrainingSession, preset ${x.preset} on ${x.env} (${x.hidden}-${x.hidden} nets, batch ${x.batch}, one update ` +
        `per env step, its evaluations and probe included), timed after learning starts in repeats of ` +
        `${x.stepsPerRepeat} steps. × torch = against PyTorch's bare update at the same sizes (an upper bound).`,
      '',
    );
    out.push('| backend | env steps/s | × torch update |', '|---|---|---|');
    out.push(`| Node ${x.backend} | ${spread(x)} | ${times(x.ratioToTorch)} |`, '');
  }

  if (results.memory) {
    const x = results.memory;
    const first = x.checkpoints[0];
    const last = x.checkpoints[x.checkpoints.length - 1];
    out.push('## Memory over many updates', '');
    out.push(
      `TD3 on Node ${x.backend}, Pendulum sizes, ${x.hidden}-${x.hidden} nets, batch ${x.batch}, ${x.updates} ` +
        'updates (statistics every 25th); heap measured after a forced GC.',
      '',
    );
    out.push(
      '| updates | tensors start → end | tensor drift | tensor bytes | JS heap start → end | heap drift per 1k updates |',
      '|---|---|---|---|---|---|',
    );
    out.push(
      `| ${x.updates} | ${first.numTensors} → ${last.numTensors} | ${x.tensorDrift} | ${mib(first.numBytes)} → ${mib(last.numBytes)} | ` +
        `${mib(first.heapUsedBytes)} → ${mib(last.heapUsedBytes)} | ${(x.heapDriftPer1kBytes / 1024).toFixed(1)} KiB |`,
      '',
    );
  }

  if (results.population) {
    const x = results.population;
    const torchOne = x.torch.find((t) => t.members === 1)?.median ?? null;
    out.push('## Many agents at once', '');
    out.push(
      `N agents of the four ablation variants × seeds, Pendulum sizes, ${x.hidden}-${x.hidden} nets, batch ` +
        `${x.batch}, on Node ${x.backend}: as separate agents one after another, and as one batched population ` +
        '(src/rl/population.ts: one update call for all N). Updates/s in total and per agent, median of repeats ' +
        '(min–max). PyTorch, one thread, in the same run: batched (torch.baddbmm, `bench/torch_td3.py ' +
        "--population`) and one after another (its one-agent figure). The GPU rows time the same on Node's " +
        "webgpu (Dawn) and in the product's worker on webgl and webgpu (the goal on a real GPU: batched ≥ 5× " +
        'one after another, WebGPU ≥ 3× the best CPU backend).',
      '',
    );
    out.push('| agents | how | updates/s in total | per agent | PyTorch in total | PyTorch per agent |');
    out.push('|---|---|---|---|---|---|');
    for (const t of x.timings) {
      const torch = t.mode === 'batched' ? x.torch.find((r) => r.members === t.members) : null;
      const total = torch ? spread(torch) : torchOne ? fmt(torchOne) : '–';
      const each = torch ? fmt(torch.median / t.members) : torchOne ? fmt(torchOne / t.members) : '–';
      out.push(`| ${t.members} | ${t.mode} | ${spread(t)} | ${fmt(t.perAgent)} | ${total} | ${each} |`);
    }
    if (x.torchError) out.push(`| – | PyTorch | **${x.torchError}** | – | – | – |`);
    for (const r of x.torchGpu ?? [])
      out.push(
        `| ${r.members} | PyTorch on the GPU (CUDA, ${x.torchGpuDevice ?? 'GPU'}), batched | ${spread(r)} | ${fmt(r.median / r.members)} | – | – |`,
      );
    const gpuRuns = results.populationGpu ?? [];
    const label = (run: PopulationRun) => `${run.backend} (${run.where ?? 'browser'})`;
    for (const run of gpuRuns) {
      if (run.error) out.push(`| – | ${label(run)} | **${run.error}** | – | – | – |`);
      for (const t of run.timings)
        out.push(
          `| ${t.members} | ${label(run)}, ${t.mode}${t.capped ? ' (time cap)' : ''} | ${spread(t)} | ${fmt(t.perAgent)} | – | – |`,
        );
    }
    const adapters = gpuRuns.filter((r) => r.details);
    out.push('');
    if (adapters.length)
      out.push(
        `GPU backends ran on: ${adapters.map((r) => `${label(r)}: ${r.details}`).join('; ')}. A SwiftShader ` +
          'adapter or renderer is the CPU pretending to be a GPU: its figures say nothing about a real GPU.',
        '',
      );
  }

  if (results.notes.length) {
    out.push('## Notes', '');
    for (const note of results.notes) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}
