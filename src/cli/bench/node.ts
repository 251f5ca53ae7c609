/** The TD3 update on each tfjs backend that works in Node (wasm, cpu). */
import * as tf from '@tensorflow/tfjs';
import { fastKernels, hasRelaxedSimd } from '../../rl/wasmKernels';
import { activateNodeBackend, type NODE_BACKENDS } from '../backend';
import type { BackendRun } from './types';
import { timeUpdates, type UpdateCase, type UpdatePlan } from './updateTiming';

export async function benchNodeBackends(
  cases: UpdateCase[],
  plans: Record<(typeof NODE_BACKENDS)[number], UpdatePlan>,
  log: (line: string) => void,
): Promise<BackendRun[]> {
  const runs: BackendRun[] = [];
  const previous = tf.getBackend();
  // wasm twice: with the TD3 update's own WASM kernels (src/rl/wasmKernels.ts, the default) and with tfjs's.
  const variants: { backend: (typeof NODE_BACKENDS)[number]; ownKernels: boolean }[] = [
    { backend: 'wasm', ownKernels: true },
    { backend: 'wasm', ownKernels: false },
    { backend: 'cpu', ownKernels: false },
  ];
  for (const { backend, ownKernels } of variants) {
    const label = backend === 'wasm' && !ownKernels ? 'wasm, tfjs kernels only' : backend;
    const run: BackendRun = { where: 'node', backend: label, error: null, details: '', timings: [] };
    runs.push(run);
    try {
      await activateNodeBackend(backend);
    } catch (error) {
      run.error = (error as Error).message;
      continue;
    }
    tf.env().set('TD3_WASM_KERNELS', ownKernels);
    run.details = await describeBackend(backend);
    try {
      for (const c of cases) {
        log(`node ${label} ${c.name}: timing…`);
        const timing = timeUpdates(c, plans[backend]);
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
  if (backend !== 'wasm') return 'pure JavaScript';
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const own = fastKernels()
    ? `TD3 WASM kernels${hasRelaxedSimd() ? ' with relaxed-SIMD FMA' : ' (no FMA)'}`
    : "tfjs's kernels";
  return `SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}, ${own}`;
}
