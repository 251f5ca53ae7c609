/** The TD3 update on each tfjs backend that works in Node (wasm, cpu, and webgpu where Dawn finds an adapter). */
import * as tf from '@tensorflow/tfjs';
import { fastKernels, hasRelaxedSimd, kernelThreadCount } from '../../compute/wasmKernels';
import { activateNodeBackend, DEFAULT_THREADS, type NODE_BACKENDS, webgpuAdapterInUse } from '../backend';
import type { BackendRun } from './types';
import { timeUpdates, type UpdateCase, type UpdatePlan } from './updateTiming';

export async function benchNodeBackends(
  cases: UpdateCase[],
  plans: Record<(typeof NODE_BACKENDS)[number], UpdatePlan>,
  log: (line: string) => void,
): Promise<BackendRun[]> {
  const runs: BackendRun[] = [];
  const previous = tf.getBackend();
  // wasm three times: with the TD3 update's own WASM kernels (src/compute/wasmKernels.ts) on every core (the
  // default), on one thread, and with tfjs's kernels.
  const variants: { backend: (typeof NODE_BACKENDS)[number]; ownKernels: boolean; threads: number }[] = [
    { backend: 'wasm', ownKernels: true, threads: DEFAULT_THREADS },
    ...(DEFAULT_THREADS > 1 ? [{ backend: 'wasm' as const, ownKernels: true, threads: 1 }] : []),
    { backend: 'wasm', ownKernels: false, threads: 1 },
    { backend: 'cpu', ownKernels: false, threads: 1 },
    { backend: 'webgpu', ownKernels: false, threads: 1 },
  ];
  for (const { backend, ownKernels, threads } of variants) {
    const label =
      backend !== 'wasm'
        ? backend
        : !ownKernels
          ? 'wasm, tfjs kernels only'
          : `wasm, ${threads} thread${threads > 1 ? 's' : ''}`;
    const run: BackendRun = { where: 'node', backend: label, error: null, details: '', timings: [] };
    runs.push(run);
    try {
      await activateNodeBackend(backend, threads);
    } catch (error) {
      run.error = (error as Error).message;
      continue;
    }
    tf.env().set('TD3_WASM_KERNELS', ownKernels);
    run.details = await describeBackend(backend);
    try {
      for (const c of cases) {
        log(`node ${label} ${c.name}: timing…`);
        const timing = await timeUpdates(c, plans[backend]);
        run.timings.push({ ...timing, ratioToTorch: null });
        log(`node ${label} ${c.name}: ${timing.median.toFixed(1)} updates/s`);
      }
    } finally {
      tf.env().set('TD3_WASM_KERNELS', true);
    }
  }
  if (previous) await tf.setBackend(previous);
  return runs;
}

/** What the active backend runs on (wasm features, whether the TD3 update uses its own kernels). */
export async function describeBackend(backend: string): Promise<string> {
  if (backend === 'webgpu') return `Dawn, adapter ${webgpuAdapterInUse()}`;
  if (backend !== 'wasm') return 'pure JavaScript';
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const own = fastKernels()
    ? `TD3 WASM kernels${hasRelaxedSimd() ? ' with relaxed-SIMD FMA' : ' (no FMA)'}, products on ${kernelThreadCount()} thread(s)`
    : "tfjs's kernels, one thread";
  return `SIMD ${simd ? 'on' : 'off'}, ${own}`;
}
