/**
 * The PyTorch reference: runs bench/torch_td3.py with Debian's Python (which has python3-torch), or the Python
 * named by TD3_BENCH_PYTHON (a machine whose torch lives elsewhere, such as bench/device/'s GPU machine).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Summary } from './stats';
import type { TorchRun } from './types';
import type { UpdateCase } from './updateTiming';

export const SYSTEM_PYTHON = process.env.TD3_BENCH_PYTHON || '/usr/bin/python3';
export const TORCH_SCRIPT = 'bench/torch_td3.py';

/** BLAS and intra-op threads: one for the single-thread reference every ratio is taken to. */
const threadEnv = (threads: number) => {
  const n = String(threads);
  return { OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n };
};

export interface TorchPlan {
  cases: UpdateCase[];
  warmup: number;
  updates: number;
  repeats: number;
}

function run(args: string[], timeoutMs: number, threads = 1): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      SYSTEM_PYTHON,
      args,
      { env: { ...process.env, ...threadEnv(threads) }, timeout: timeoutMs, maxBuffer: 1 << 24 },
      (error, stdout, stderr) =>
        error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr }),
    );
  });
}

const unavailable = (error: string): TorchRun => ({
  available: false,
  error,
  version: null,
  blas: null,
  threads: null,
  results: [],
});

/** The update in PyTorch on `threads` threads (1: the reference), or on the GPU with device 'cuda'. */
export async function benchTorch(plan: TorchPlan, threads = 1, device = 'cpu'): Promise<TorchRun> {
  if (!existsSync(SYSTEM_PYTHON)) return unavailable(`${SYSTEM_PYTHON} not found`);
  const cases = plan.cases.map((c) => `${c.obs}x${c.act}x${c.hidden}x${c.batch}`).join(',');
  let out: { stdout: string };
  try {
    out = await run(
      [
        TORCH_SCRIPT,
        '--cases',
        cases,
        '--warmup',
        String(plan.warmup),
        '--updates',
        String(plan.updates),
        '--repeats',
        String(plan.repeats),
        '--threads',
        String(threads),
        '--device',
        device,
      ],
      20 * 60_000,
      threads,
    );
  } catch (error) {
    const e = error as Error & { stderr?: string };
    return unavailable(`${TORCH_SCRIPT} failed: ${(e.stderr || e.message).trim().split('\n').pop()}`);
  }
  const parsed = JSON.parse(out.stdout) as {
    available: boolean;
    error?: string;
    torch?: string;
    blas?: string;
    threads?: number;
    device?: string;
    results?: (Omit<TorchRun['results'][number], 'name' | 'values'> & { updatesPerSec: number[] })[];
  };
  if (!parsed.available) return unavailable(parsed.error ?? 'torch is not available');
  return {
    available: true,
    error: null,
    version: parsed.torch ?? null,
    blas: parsed.blas ?? null,
    threads: parsed.threads ?? null,
    device: parsed.device ?? null,
    results: (parsed.results ?? []).map((r, i) => ({
      name: plan.cases[i]?.name ?? `${r.obs}x${r.act}`,
      obs: r.obs,
      act: r.act,
      hidden: r.hidden,
      batch: r.batch,
      values: r.updatesPerSec,
      median: r.median,
      min: r.min,
      max: r.max,
    })),
  };
}

/** PyTorch's batched population (bench/torch_td3.py --population): updates/s in total for each size. */
export async function benchTorchPopulation(
  c: UpdateCase,
  sizes: number[],
  plan: { warmup: number; updates: number; repeats: number },
  device = 'cpu',
): Promise<{ results: (Summary & { members: number })[]; error: string | null; device?: string | null }> {
  if (!existsSync(SYSTEM_PYTHON)) return { results: [], error: `${SYSTEM_PYTHON} not found` };
  try {
    const out = await run(
      [
        TORCH_SCRIPT,
        '--cases',
        `${c.obs}x${c.act}x${c.hidden}x${c.batch}`,
        '--population',
        sizes.join(','),
        '--warmup',
        String(plan.warmup),
        '--updates',
        String(plan.updates),
        '--repeats',
        String(plan.repeats),
        '--device',
        device,
      ],
      20 * 60_000,
    );
    const parsed = JSON.parse(out.stdout) as {
      available: boolean;
      error?: string;
      device?: string;
      population?: { members: number; updatesPerSec: number[]; median: number; min: number; max: number }[];
    };
    if (!parsed.available) return { results: [], error: parsed.error ?? 'torch is not available' };
    return {
      results: (parsed.population ?? []).map((p) => ({ ...p, values: p.updatesPerSec })),
      error: null,
      device: parsed.device ?? null,
    };
  } catch (error) {
    const e = error as Error & { stderr?: string };
    return {
      results: [],
      error: `${TORCH_SCRIPT} failed: ${(e.stderr || e.message).trim().split('\n').pop()}`,
    };
  }
}

/** torch's version without running the benchmark (for the machine line when the torch part is skipped). */
export async function torchVersion(): Promise<string | null> {
  if (!existsSync(SYSTEM_PYTHON)) return null;
  try {
    const { stdout } = await run(['-c', 'import torch; print(torch.__version__)'], 60_000);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/** PyTorch's median updates/s for a case of these sizes, if it was measured. */
export function torchMedian(torch: TorchRun | null, c: UpdateCase | null): number | null {
  if (!torch?.available || !c) return null;
  const hit = torch.results.find(
    (r) => r.obs === c.obs && r.act === c.act && r.hidden === c.hidden && r.batch === c.batch,
  );
  return hit ? hit.median : null;
}
