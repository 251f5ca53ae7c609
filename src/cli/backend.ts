/**
 * tfjs backend for Node. tfjs-node would be fastest but downloads a binary from outside the npm registry,
 * so the choice is between wasm (SIMD, measured ≈25× faster than cpu on the TD3 update) and the pure-JS cpu.
 */
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { hasRelaxedSimd, resetRelaxedSimdProbe } from '../rl/wasmKernels';

// The TD3 update's own wasm kernels (src/rl/wasmKernels.ts) use relaxed SIMD's fused multiply-add where the
// engine has it (≈1.4× faster products). Chromium and Node ≥ 22 have it; Node 20 has it behind a V8 flag,
// which applies to modules compiled after it is set. Set before any kernel is compiled.
if (!hasRelaxedSimd()) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  resetRelaxedSimdProbe();
}

export const NODE_BACKENDS = ['wasm', 'cpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/** Activates the requested backend, or the fastest that initialises; returns the one in use. */
export async function activateNodeBackend(requested?: string): Promise<NodeBackend> {
  if (requested !== undefined && !NODE_BACKENDS.includes(requested as NodeBackend)) {
    throw new Error(`Unknown backend "${requested}": in Node the choices are ${NODE_BACKENDS.join(', ')}`);
  }
  const order: NodeBackend[] = requested ? [requested as NodeBackend] : [...NODE_BACKENDS];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // try the next one
    }
  }
  throw new Error(`No tfjs backend could start (tried ${order.join(', ')})`);
}
