/**
 * tfjs backend for Node. tfjs-node would be fastest but downloads a binary from outside the npm registry,
 * so the choice is between wasm (SIMD, measured ≈25× faster than cpu on the TD3 update), the pure-JS cpu, and,
 * when asked for, webgpu on Dawn (src/cli/webgpu.ts) for a machine with a GPU.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  disableKernelThreads,
  enableKernelThreads,
  hasRelaxedSimd,
  resetRelaxedSimdProbe,
} from '../compute/wasmKernels';
import { sharedMemoryBinary } from '../compute/wasmSharedMemory';
import type { HelperSpawner } from '../compute/wasmThreads';
import { startNodeWebgpu } from './webgpu';

// The TD3 update's own wasm kernels (src/compute/wasmKernels.ts) use relaxed SIMD's fused multiply-add where the
// engine has it (≈1.4× faster products). Chromium and Node ≥ 22 have it; Node 20 has it behind a V8 flag,
// which applies to modules compiled after it is set. Set before any kernel is compiled.
if (!hasRelaxedSimd()) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  resetRelaxedSimdProbe();
}

export const NODE_BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/** Tried in this order when no backend is asked for; webgpu only when asked (a GPU pays at large sizes only). */
const AUTOMATIC: NodeBackend[] = ['wasm', 'cpu'];

/** Threads for the wasm kernels when not asked: every core, up to 4 (more gain little at these sizes). */
export const DEFAULT_THREADS = Math.min(4, availableParallelism());

/**
 * Points tfjs-wasm at a copy of its SIMD build with a shared memory (src/compute/wasmSharedMemory.ts), written
 * once to the temporary folder, so that helper threads can run the kernels too. Before the backend starts.
 */
function shareWasmMemory(): void {
  const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  const original = readFileSync(join(dist, 'tfjs-backend-wasm-simd.wasm'));
  const shared = sharedMemoryBinary(original);
  const digest = createHash('sha256').update(shared).digest('hex').slice(0, 16);
  const path = join(tmpdir(), 'td3-playground', `tfjs-backend-wasm-simd-shared-${digest}.wasm`);
  try {
    readFileSync(path);
  } catch {
    mkdirSync(dirname(path), { recursive: true });
    // Written under another name, then renamed: processes started together never read a partial file.
    const partial = `${path}.${process.pid}`;
    writeFileSync(partial, shared);
    renameSync(partial, path);
  }
  setWasmPaths({
    'tfjs-backend-wasm.wasm': join(dist, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': path,
    'tfjs-backend-wasm-threaded-simd.wasm': join(dist, 'tfjs-backend-wasm-threaded-simd.wasm'),
  });
}

/** A helper thread for the wasm kernels, as a Node worker thread that does not keep the process alive. */
export const spawnHelperThread: HelperSpawner = (source, init) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true });
    worker.once('error', reject);
    worker.once('message', () => {
      worker.unref();
      resolve({ terminate: () => void worker.terminate() });
    });
    worker.postMessage(init);
  });

/** Helpers for the wasm kernels; on failure the products stay on one thread, with a warning. */
async function startKernelThreads(threads: number): Promise<void> {
  if (!sharedMemory || threads <= 1) {
    disableKernelThreads();
    return;
  }
  try {
    await enableKernelThreads(threads - 1, spawnHelperThread);
  } catch (error) {
    console.error(`wasm helper threads did not start (${(error as Error).message}): one thread`);
  }
}

let wasmStarted = false;
let sharedMemory = false;

/**
 * Activates the requested backend, or the fastest that initialises; returns the one in use. On wasm, each
 * product of the TD3 update runs on `threads` threads (this one and helpers) where the memory can be shared.
 * The first start of wasm in the process decides whether its memory is shared (threads > 1).
 */
export async function activateNodeBackend(
  requested?: string,
  threads = DEFAULT_THREADS,
): Promise<NodeBackend> {
  if (requested !== undefined && !NODE_BACKENDS.includes(requested as NodeBackend)) {
    throw new Error(`Unknown backend "${requested}": in Node the choices are ${NODE_BACKENDS.join(', ')}`);
  }
  const order: NodeBackend[] = requested ? [requested as NodeBackend] : AUTOMATIC;
  const problems: string[] = [];
  for (const name of order) {
    try {
      if (name === 'webgpu') {
        const { adapter, software } = await startNodeWebgpu();
        webgpuNote = software ? `${adapter}: a software adapter, WebGPU on the CPU` : adapter;
      }
      if (name === 'wasm' && !wasmStarted) {
        wasmStarted = true;
        if (threads > 1) {
          shareWasmMemory();
          sharedMemory = true;
        }
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        if (name === 'wasm') await startKernelThreads(threads);
        return name;
      }
      problems.push(`${name} did not initialise`);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`No tfjs backend could start (${problems.join('; ')})`);
}

let webgpuNote = '';

/** What webgpu runs on in this process (the adapter); empty before it has started. */
export function webgpuAdapterInUse(): string {
  return webgpuNote;
}
