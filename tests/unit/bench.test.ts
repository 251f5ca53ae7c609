/**
 * `npm run bench` at tiny size (`--quick --only node,envs`) in a child process: it must finish and write a
 * well-formed JSON and markdown table. No timed assertions: the figures depend on the machine and its load.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THREADS } from '../../src/cli/backend';
import { parseBenchArgs } from '../../src/cli/bench/args';
import { PAGE_RUNS } from '../../src/cli/bench/page';
import { blasName, markdown } from '../../src/cli/bench/report';
import { ratio, summarize } from '../../src/cli/bench/stats';
import type { BenchResults } from '../../src/cli/bench/types';
import { SWIFTSHADER_VULKAN } from '../../src/cli/webgpu';
import { envIds } from '../../src/envs';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

describe('bench flags and summaries', () => {
  it('parses --quick, --only (comma list, in canonical order) and --out; rejects unknown parts', () => {
    const args = parseBenchArgs(['--quick', '--only', 'envs,node', '--out', '/tmp/x', '--repeats', '5']);
    expect(args).toMatchObject({ quick: true, parts: ['node', 'envs'], out: '/tmp/x', repeats: 5 });
    expect(parseBenchArgs([]).parts).toEqual([
      'torch',
      'node',
      'browser',
      'page',
      'envs',
      'session',
      'memory',
      'population',
    ]);
    // The full run's record stays where README quotes it from; quick and partial runs go beside it.
    expect(parseBenchArgs([]).out).toBe('bench/results');
    expect(parseBenchArgs(['--only', 'node']).out).toBe('bench/results/partial');
    expect(parseBenchArgs(['--quick']).out).toBe('bench/results/partial');
    expect(() => parseBenchArgs(['--only', 'gpu'])).toThrow(/Unknown part "gpu"/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/Unknown flag/);
    expect(() => parseBenchArgs(['--repeats', '0'])).toThrow(/positive/);
  });

  it('median, min and max of repeats; ratios only when both figures exist', () => {
    expect(summarize([3, 1, 2])).toEqual({ values: [3, 1, 2], median: 2, min: 1, max: 3 });
    expect(blasName('/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so')).toBe(
      'OpenBLAS 0.3.21',
    );
    expect(blasName('/usr/lib/x86_64-linux-gnu/blas/libblas.so.3')).toBe('reference BLAS (slow)');
    expect(summarize([4, 1, 2, 3]).median).toBe(2.5);
    expect(ratio(50, 100)).toBe(0.5);
    expect(ratio(50, null)).toBeNull();
    expect(ratio(Number.NaN, 100)).toBeNull();
  });

  it('the table puts PyTorch first and every backend figure beside its ratio to it', () => {
    const timing = (name: string, obs: number, act: number, median: number) => ({
      values: [median],
      median,
      min: median,
      max: median,
      case: { name, obs, act, hidden: 256, batch: 256 },
      updatesTimed: [10],
      firstUpdateMs: 100,
      capped: false,
      tensorDrift: 0,
      ratioToTorch: median / 100,
    });
    const results: BenchResults = {
      date: '2026-01-01T00:00:00.000Z',
      quick: false,
      parts: ['torch', 'node'],
      machine: {
        cpu: 'Test CPU',
        cores: 2,
        os: 'Linux',
        node: 'v20',
        tfjs: '4.22.0',
        torch: '1.13',
        torchBlas: 'openblas',
        chromium: null,
        loadAverage: [1, 1, 1],
      },
      settings: { hidden: 256, batch: 256, updates: 100, warmup: 100, repeats: 1, browserCapS: 60 },
      torch: {
        available: true,
        error: null,
        version: '1.13',
        blas: 'openblas',
        threads: 1,
        results: [
          {
            name: 'Pendulum',
            obs: 3,
            act: 1,
            hidden: 256,
            batch: 256,
            values: [100],
            median: 100,
            min: 100,
            max: 100,
          },
          {
            name: 'HalfCheetah',
            obs: 17,
            act: 6,
            hidden: 256,
            batch: 256,
            values: [100],
            median: 100,
            min: 100,
            max: 100,
          },
        ],
      },
      torchAllCores: null,
      backends: [
        {
          where: 'node',
          backend: 'wasm',
          error: null,
          details: 'SIMD on',
          timings: [timing('Pendulum', 3, 1, 40), timing('HalfCheetah', 17, 6, 25)],
        },
      ],
      page: null,
      envs: null,
      session: null,
      memory: null,
      notes: [],
    };
    const lines = markdown(results).split('\n');
    const torchRow = lines.findIndex((l) => l.startsWith('| PyTorch CPU'));
    const wasmRow = lines.findIndex((l) => l.startsWith('| Node | wasm'));
    expect(torchRow).toBeGreaterThan(0);
    expect(wasmRow).toBeGreaterThan(torchRow);
    expect(lines[wasmRow]).toContain('40.0 (40.0–40.0) | 0.40×');
    expect(lines[wasmRow]).toContain('25.0 (25.0–25.0) | 0.25×');
    expect(lines.join('\n')).toContain('Test CPU, 2 cores');
    expect(lines.join('\n')).toContain('Median of 1 repeats (min–max) after 100 untimed updates');
    expect(lines.some((l) => l.includes('2 threads'))).toBe(false);

    // PyTorch on both cores: a comparison row, as a ratio to the one-thread reference, which stays the reference.
    const reference = results.torch;
    if (!reference) throw new Error('fixture has torch');
    results.torchAllCores = {
      ...reference,
      threads: 2,
      results: reference.results.map((r) => ({ ...r, values: [150], median: 150, min: 150, max: 150 })),
    };
    const withAllCores = markdown(results).split('\n');
    const allCoresRow = withAllCores.find((l) => l.includes('2 threads'));
    expect(allCoresRow).toContain('150 (150–150) | 1.50×');
    expect(withAllCores.find((l) => l.startsWith('| Node | wasm'))).toContain('40.0 (40.0–40.0) | 0.40×');
    expect(withAllCores.some((l) => l.startsWith('## The page while training'))).toBe(false);
    expect(withAllCores.some((l) => l.startsWith('| PyTorch GPU'))).toBe(false);

    // PyTorch on a GPU (CUDA, where the machine has one): a comparison row as a ratio to the CPU reference; in
    // the population table, its batched populations.
    results.torchGpu = {
      ...reference,
      device: 'NVIDIA H100 80GB HBM3',
      results: reference.results.map((r) => ({ ...r, values: [900], median: 900, min: 900, max: 900 })),
    };
    const summary = (median: number) => ({ values: [median], median, min: median, max: median });
    results.population = {
      backend: 'wasm',
      hidden: 256,
      batch: 256,
      timings: [{ ...summary(150), members: 5, mode: 'batched', perAgent: 30 }],
      torch: [{ ...summary(140), members: 5 }],
      torchError: null,
      torchGpu: [{ ...summary(2000), members: 5 }],
      torchGpuDevice: 'NVIDIA H100 80GB HBM3',
    };
    const withGpu = markdown(results).split('\n');
    expect(withGpu.find((l) => l.startsWith('| PyTorch GPU'))).toBe(
      '| PyTorch GPU | torch 1.13 | CUDA, NVIDIA H100 80GB HBM3 (comparison, not the reference) | 900 (900–900) | 9.00× | 900 (900–900) | 9.00× | – |',
    );
    expect(withGpu).toContain(
      '| 5 | PyTorch on the GPU (CUDA, NVIDIA H100 80GB HBM3), batched | 2000 (2000–2000) | 400 | – | – |',
    );
    results.torchGpu = null;
    results.population = null;

    // The page part: one row per run, a failed run says why.
    const page = {
      seconds: 30,
      frames: 1790,
      p50: 16.7,
      p95: 16.8,
      longTasks: 1,
      longestTask: 61,
      stepsPerSec: 480,
      backend: 'wasm (fastest)',
      error: null,
    };
    results.page = [
      { name: 'Light', ...page },
      { name: 'Heavy', ...page, error: 'learning did not start within 300 s' },
    ];
    const withPage = markdown(results);
    expect(withPage).toContain(
      '| Light | wasm (fastest) | 480 | 1790 in 30 s | 16.7 ms | 16.8 ms | 1 (61 ms) |',
    );
    expect(withPage).toContain('| Heavy | **failed: learning did not start within 300 s** |');
  });
});

describe('npm run bench -- --quick', () => {
  it('runs the Node backends, every env and the population, and writes a well-formed JSON and markdown table', () => {
    const out = mkdtempSync(join(tmpdir(), 'td3-bench-'));
    const result = spawnSync(
      TSX,
      ['src/cli/bench.ts', '--quick', '--only', 'node,envs,population', '--repeats', '3', '--out', out],
      // Node's webgpu (Dawn) on SwiftShader's Vulkan driver, which Debian's chromium ships.
      { encoding: 'utf8', timeout: 300_000, env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_VULKAN } },
    );
    expect(result.status, result.stderr).toBe(0);

    const json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
    expect(json.quick).toBe(true);
    expect(json.settings.warmup).toBe(1);
    expect(json.parts).toEqual(['node', 'envs', 'population']);
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.machine.cpu).not.toBe('');
    expect(json.machine.node).toBe(process.version);
    expect(json.machine.tfjs).toMatch(/^\d+\.\d+\.\d+/);
    expect(json.torch).toBeNull();

    // wasm on every core (the default), then on one thread, then with tfjs's kernels; cpu; webgpu on Dawn.
    const cores = DEFAULT_THREADS;
    expect(json.backends.map((b) => `${b.where}/${b.backend}`)).toEqual([
      ...(cores > 1 ? [`node/wasm, ${cores} threads`] : []),
      'node/wasm, 1 thread',
      'node/wasm, tfjs kernels only',
      'node/cpu',
      'node/webgpu',
    ]);
    expect(json.backends[0].details).toContain(`products on ${cores} thread(s)`);
    expect(json.backends.at(-1)?.details).toMatch(/^Dawn, adapter google swiftshader/);
    for (const run of json.backends) {
      expect(run.error).toBeNull();
      expect(run.timings.map((t) => [t.case.name, t.case.obs, t.case.act])).toEqual([
        ['Pendulum', 3, 1],
        ['HalfCheetah', 17, 6],
      ]);
      for (const t of run.timings) {
        expect(t.values).toHaveLength(3);
        expect(t.min).toBeGreaterThan(0);
        expect(t.min).toBeLessThanOrEqual(t.median);
        expect(t.median).toBeLessThanOrEqual(t.max);
        expect(t.ratioToTorch).toBeNull(); // torch was not run
        expect(t.tensorDrift).toBe(0);
      }
    }

    expect(json.envs?.map((e) => e.id)).toEqual([...envIds]);
    for (const env of json.envs ?? []) {
      expect(env.error).toBeNull();
      expect(env.median).toBeGreaterThan(0);
    }

    // Many agents: each size one after another and batched, updates/s in total and per agent.
    expect(json.population?.timings.map((t) => `${t.members} ${t.mode}`)).toEqual([
      '1 one after another',
      '1 batched',
      '2 one after another',
      '2 batched',
    ]);
    for (const t of json.population?.timings ?? []) {
      expect(t.median).toBeGreaterThan(0);
      expect(t.perAgent).toBeCloseTo(t.median / t.members, 9);
    }

    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(result.stdout.trim()).toBe(md.trim());
    expect(md).toContain('## TD3 updates per second');
    expect(md).toContain('## Env steps per second');
    expect(md).toContain('## Many agents at once');
    // The same on the GPU backends (SwiftShader here): Node's webgpu, then the browser's worker on webgl and
    // webgpu, with what each ran on.
    expect(json.populationGpu?.map((r) => `${r.backend} (${r.where})`)).toEqual([
      'webgpu (node)',
      'webgl (browser)',
      'webgpu (browser)',
    ]);
    for (const run of json.populationGpu ?? []) {
      const label = `${run.backend} (${run.where})`;
      expect(run.error ?? null, label).toBeNull();
      expect(run.details).toMatch(/renderer|adapter/);
      expect(run.timings.map((t) => `${t.members} ${t.mode}`)).toEqual([
        '1 one after another',
        '1 batched',
        '2 one after another',
        '2 batched',
      ]);
      for (const t of run.timings) expect(t.median).toBeGreaterThan(0);
      expect(md).toContain(`| 2 | ${label}, batched |`);
    }
    expect(md).toMatch(/\| Node \| wasm, 1 thread \| SIMD on, TD3 WASM kernels.*products on 1 thread/);
    expect(md).toMatch(/\| Node \| wasm, tfjs kernels only \| SIMD on, tfjs's kernels, one thread/);
    for (const id of envIds) expect(md).toContain(`| ${id} |`);
    // Every table row has the same number of cells as its header.
    const tables = md.split('\n\n').filter((block) => block.startsWith('|'));
    expect(tables.length).toBeGreaterThanOrEqual(2);
    for (const table of tables) {
      const rows = table.trim().split('\n');
      const cells = (row: string) => row.split('|').length;
      for (const row of rows) expect(cells(row), row).toBe(cells(rows[0]));
    }
  }, 300_000);
});

describe('npm run bench -- --quick --only page', () => {
  it('trains in the production page in Chromium and reports frame times and env steps/s per run', () => {
    const out = mkdtempSync(join(tmpdir(), 'td3-bench-page-'));
    const result = spawnSync(TSX, ['src/cli/bench.ts', '--quick', '--only', 'page', '--out', out], {
      encoding: 'utf8',
      timeout: 400_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
    // A quick run leaves out webgpu's (minutes on SwiftShader); webgl's run with one env and with 8.
    const quickRuns = PAGE_RUNS.filter((r) => !r.fullOnly).map((r) => r.name);
    expect(quickRuns).toContain('Pendulum-v1, quick, webgl, 8 parallel envs');
    expect(json.page?.map((r) => r.name)).toEqual(quickRuns);
    for (const run of json.page ?? []) {
      expect(run.error).toBeNull();
      expect(run.frames).toBeGreaterThan(0);
      expect(run.p95).toBeGreaterThanOrEqual(run.p50);
      expect(run.stepsPerSec).toBeGreaterThan(0);
      expect(run.backend).toMatch(/^(wasm|webgl|webgpu|cpu) \(/);
    }
    expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('## The page while training');
  }, 420_000);
});
