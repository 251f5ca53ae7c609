/**
 * `npm run bench`: how fast the TD3 update runs here, on every tfjs backend in Node and in headless Chromium
 * (inside a Web Worker, as the product runs), side by side with the same update in PyTorch on the CPU; plus
 * env steps/s, end-to-end training steps/s and memory drift. Writes bench/results/latest.{json,md} (a quick
 * or partial run: bench/results/partial/) and prints the markdown table.
 *
 *   npm run bench                         everything (about 10 minutes on a 2-core machine)
 *   npm run bench -- --quick              tiny sizes and iterations (a smoke test, not representative)
 *   npm run bench -- --only node,torch    some parts: torch, node, browser, page, envs, session, memory,
 *                                         population
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activateNodeBackend, DEFAULT_THREADS, type NodeBackend, webgpuAdapterInUse } from './backend';
import { type BenchArgs, parseBenchArgs, USAGE } from './bench/args';
import type { BrowserBencher, BrowserPlan } from './bench/browser';
import { benchEnvs } from './bench/envs';
import { benchMemory } from './bench/memory';
import { benchNodeBackends } from './bench/node';
import { benchPopulation, failedPopulation } from './bench/population';
import { chromiumVersion, describeMachine, markdown } from './bench/report';
import { mergeRuns, mergeTorch } from './bench/rounds';
import { benchSession, sessionSizes } from './bench/session';
import { ratio } from './bench/stats';
import { benchTorch, benchTorchPopulation, torchMedian, torchVersion } from './bench/torch';
import { type BackendRun, type BenchPart, type BenchResults, BROWSER_BACKENDS } from './bench/types';
import { type UpdateCase, type UpdatePlan, updateCases } from './bench/updateTiming';
import { CHROMIUM } from './chromium';

const log = (line: string) => console.error(`[bench] ${line}`);

// The browser's parts load playwright-core and vite only when they run: the Node parts also run from a bundle
// on a machine that has neither (bench/device/).
const startBrowserBench = async (say: typeof log) => {
  let browser: typeof import('./bench/browser');
  try {
    browser = await import('./bench/browser');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      `not run: no browser driver here (${(error as Error).message.split(' imported from')[0]})`,
    );
  }
  return browser.startBrowserBench(say);
};

export async function runBench(args: BenchArgs): Promise<BenchResults> {
  const q = args.quick;
  const hidden = q ? 16 : 256;
  const batch = q ? 16 : 256;
  const repeats = args.repeats ?? 3;
  const wasmUpdates = args.updates ?? (q ? 3 : 100);
  // Untimed updates first, the same number for PyTorch and for wasm in Node and in the browser: each Node round
  // starts a fresh agent and fresh helper threads, and wasm's first ≈100 updates run slower while the engine
  // optimises the code and the kernels (measured 115 vs 134 updates/s over updates 30–130 vs 130–230); a
  // training run spends nearly all its time past them.
  const warmup = q ? 1 : 100;
  const browserCapS = args.browserCapS ?? (q ? 5 : 60);
  const cases = updateCases(hidden, batch);
  const has = (part: BenchPart) => args.parts.includes(part);
  const session = q ? { hidden: 64, batch: 128 } : sessionSizes();
  const sessionCase: UpdateCase = { name: 'Pendulum (quick preset)', obs: 3, act: 1, ...session };

  const results: BenchResults = {
    date: new Date().toISOString(),
    quick: q,
    parts: args.parts,
    machine: describeMachine(),
    settings: { hidden, batch, updates: wasmUpdates, warmup, repeats, browserCapS },
    torch: null,
    torchAllCores: null,
    backends: [],
    page: null,
    envs: null,
    session: null,
    memory: null,
    notes: [],
  };

  // PyTorch, the Node backends and wasm in Chromium's worker, one repeat each in turn, `repeats` rounds
  // (src/cli/bench/rounds.ts). The browser's GPU backends (SwiftShader here) follow, outside the rounds.
  const torchPlan = (round: number) => ({
    cases: has('session') && round === 0 ? [...cases, sessionCase] : cases,
    warmup,
    updates: args.updates ? args.updates * 2 : q ? 3 : 200,
    repeats: 1,
  });
  const capMs = browserCapS * 1000;
  const plans: Record<NodeBackend, UpdatePlan> = {
    wasm: { warmup, updates: wasmUpdates, repeats: 1, capMs: null },
    cpu: { warmup: 1, updates: q ? 2 : 5, repeats: 1, capMs: null },
    // On a software adapter (SwiftShader) an update takes seconds: capped, as the browser's GPU backends are.
    webgpu: { warmup: q ? 1 : 10, updates: q ? 3 : 100, repeats: 1, capMs },
  };
  // wasm: one repeat per round; the GPU backends: every repeat at once, after the rounds.
  const browserPlan: BrowserPlan = {
    cases,
    plans: {
      wasm: { warmup, updates: wasmUpdates, repeats: 1, capMs: capMs * 3 },
      webgl: { warmup: 2, updates: q ? 3 : 50, repeats, capMs },
      webgpu: { warmup: 2, updates: q ? 3 : 50, repeats, capMs },
    },
    hardLimitMs: capMs * 3 + 180_000,
  };
  let browser: BrowserBencher | null = null;
  let browserError: string | null = null;
  if (has('browser')) {
    try {
      browser = await startBrowserBench(log);
      results.machine.chromium = browser.chromium;
    } catch (error) {
      browserError = (error as Error).message;
    }
  }
  let browserWasm: BackendRun[] = [];
  for (let round = 0; round < repeats && (has('torch') || has('node') || browser); round++) {
    if (has('torch') && results.torch?.available !== false) {
      log(`round ${round + 1}/${repeats}: timing the PyTorch reference…`);
      results.torch = mergeTorch(results.torch, await benchTorch(torchPlan(round)));
      if (!results.torch.available) log(`torch: ${results.torch.error}`);
      else if (DEFAULT_THREADS > 1) {
        log(`round ${round + 1}/${repeats}: timing PyTorch on ${DEFAULT_THREADS} threads too…`);
        results.torchAllCores = mergeTorch(
          results.torchAllCores,
          await benchTorch({ ...torchPlan(round), cases }, DEFAULT_THREADS),
        );
      }
    }
    if (has('node')) {
      results.backends = mergeRuns(results.backends, await benchNodeBackends(cases, plans, log));
    }
    if (browser) browserWasm = mergeRuns(browserWasm, [await browser.time('wasm', browserPlan, log)]);
  }
  if (
    results.torch?.blas &&
    !results.torch.blas.includes('openblas') &&
    !results.torch.blas.includes('mkl')
  ) {
    results.notes.push(
      `PyTorch used ${results.torch.blas}: the reference BLAS is ~10× slower than OpenBLAS (apt-get install libopenblas0-pthread).`,
    );
  }
  results.machine.torch = results.torch?.version ?? (await torchVersion());
  results.machine.torchBlas = results.torch?.blas ?? null;
  // On a machine with a GPU, PyTorch there too (CUDA): what a GPU backend is compared with. Elsewhere no row.
  if (has('torch') && results.torch?.available) {
    const gpu = await benchTorch({ ...torchPlan(1), repeats }, 1, 'cuda');
    if (gpu.available) {
      log(`PyTorch on the GPU (${gpu.device}): timed`);
      results.torchGpu = gpu;
    }
  }

  if (has('browser')) {
    if (browser) {
      try {
        results.backends.push(...browserWasm);
        for (const backend of ['webgl', 'webgpu'] as const)
          results.backends.push(await browser.time(backend, browserPlan, log));
      } finally {
        await browser.close();
      }
    } else {
      for (const backend of BROWSER_BACKENDS)
        results.backends.push({ where: 'browser', backend, error: browserError, details: '', timings: [] });
    }
    results.notes.push(
      'In the browser, webgl and webgpu run on SwiftShader (the CPU) on this machine: their figures say nothing ' +
        'about a real GPU. The worker starts each backend as the product does (src/worker/backendSelection.ts): ' +
        'wasm with SIMD and helper threads, webgpu and webgl only after a numeric self-check.',
    );
  }
  if (has('page')) {
    const { benchPage } = await import('./bench/page');
    results.page = await benchPage(
      q
        ? { warmupS: 1, windowS: 2, limitMs: 120_000, quick: true }
        : { warmupS: 10, windowS: 30, limitMs: 300_000, quick: false },
      log,
    );
  }
  results.machine.chromium ??= await chromiumVersion(CHROMIUM);

  // The remaining parts run on Node's wasm backend, as the CLI trains.
  if (has('envs') || has('session') || has('memory')) await activateNodeBackend('wasm');
  if (has('envs')) {
    results.envs = await benchEnvs(q ? 50 : 2000, repeats, log);
  }
  if (has('session')) {
    results.session = await benchSession(
      q
        ? {
            stepsPerRepeat: 20,
            repeats,
            overrides: { startSteps: 20, hidden1: 64, hidden2: 64, batchSize: 128 },
          }
        : { stepsPerRepeat: 2000, repeats, overrides: {} },
      log,
    );
  }
  if (has('memory')) {
    const updates = args.memoryUpdates ?? (q ? 200 : 10_000);
    results.memory = benchMemory(updates, session.hidden, session.batch, log);
  }
  if (has('population')) {
    await activateNodeBackend('wasm');
    const plan = q
      ? { sizes: [1, 2], hidden: 16, batch: 16, repeats: 1, minUpdates: 2, minMs: 0 }
      : { sizes: [1, 5, 20], hidden, batch, repeats, minUpdates: 3, minMs: 3000 };
    const population = await benchPopulation(plan, 'wasm', log);
    results.population = population;
    // The same on the GPU backends, each repeat capped: Node's webgpu through Dawn where it finds an adapter (a
    // machine with a GPU; SwiftShader when Vulkan is pointed at it), then the browser's worker on webgl and
    // webgpu, in the product's set-up (SwiftShader here).
    const gpuPlan = { ...plan, repeats: q ? 1 : Math.min(plan.repeats, 2), capMs: q ? 20_000 : 60_000 };
    results.populationGpu = [];
    try {
      await activateNodeBackend('webgpu');
      log(`population webgpu (node, ${webgpuAdapterInUse()}): timing…`);
      const run = await benchPopulation(gpuPlan, 'webgpu', log);
      results.populationGpu.push({ ...run, where: 'node', details: `adapter ${webgpuAdapterInUse()}` });
    } catch (error) {
      log(`population webgpu (node): ${(error as Error).message}`);
      results.populationGpu.push(failedPopulation('webgpu', plan, (error as Error).message, 'node'));
    }
    try {
      const bencher = await startBrowserBench(log);
      results.machine.chromium ??= bencher.chromium;
      try {
        for (const backend of ['webgl', 'webgpu'] as const) {
          log(`population ${backend} (browser): timing…`);
          const run = await bencher.population(backend, gpuPlan, q ? 300_000 : 1_500_000);
          for (const t of run.timings)
            log(`population ${backend} N=${t.members} ${t.mode}: ${t.median.toFixed(2)} updates/s in total`);
          if (run.error) log(`population ${backend}: ${run.error}`);
          results.populationGpu.push(run);
        }
      } finally {
        await bencher.close();
      }
    } catch (error) {
      for (const backend of ['webgl', 'webgpu'])
        results.populationGpu.push(failedPopulation(backend, plan, (error as Error).message, 'browser'));
    }
    if (has('torch')) {
      log('population: timing PyTorch batched…');
      const torchCase = { name: 'Pendulum', obs: 3, act: 1, hidden: plan.hidden, batch: plan.batch };
      const torchPopulationPlan = { warmup: q ? 1 : 10, updates: q ? 2 : 20, repeats };
      const torch = await benchTorchPopulation(torchCase, plan.sizes, torchPopulationPlan);
      population.torch = torch.results;
      population.torchError = torch.error;
      if (results.torchGpu) {
        const gpu = await benchTorchPopulation(torchCase, plan.sizes, torchPopulationPlan, 'cuda');
        population.torchGpu = gpu.results;
        population.torchGpuDevice = gpu.device ?? null;
      }
    }
  }

  // Every figure as a ratio to PyTorch's updates/s.
  for (const run of results.backends) {
    for (const timing of run.timings)
      timing.ratioToTorch = ratio(timing.median, torchMedian(results.torch, timing.case));
  }
  const torchPendulum = torchMedian(results.torch, cases[0]);
  for (const env of results.envs ?? []) env.ratioToTorch = ratio(env.median, torchPendulum);
  if (results.session) {
    results.session.ratioToTorch = ratio(results.session.median, torchMedian(results.torch, sessionCase));
  }
  return results;
}

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const results = await runBench(args);
  const table = markdown(results);
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(args.out, 'latest.md'), table);
  console.log(table);
  log(`wrote ${join(args.out, 'latest.json')} and latest.md`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
