/**
 * More than one core for one agent (src/compute/wasmThreads.ts): tfjs-wasm's build with a shared memory, products'
 * column panels drawn by this thread and a helper thread, bit for bit the results of one thread, a job the
 * helper has not begun taken back by the caller, and the fall-back to one thread when a helper fails.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateNodeBackend, spawnHelperThread } from '../../src/cli/backend';
import { Random } from '../../src/common/random';
import {
  disableKernelThreads,
  enableKernelThreads,
  type FastKernels,
  fastKernels,
  kernelThreadCount,
  setProductSharing,
} from '../../src/compute/wasmKernels';
import { sharedMemoryBinary } from '../../src/compute/wasmSharedMemory';
import { type HelperSpawner, KernelThreads } from '../../src/compute/wasmThreads';
import { TD3 } from '../../src/rl/td3';
import { agentConfig, randomBatch, wideSpace } from '../helpers/td3Fixtures';

const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

beforeAll(async () => {
  await activateNodeBackend('wasm', 2);
  // Every large product through the helpers, whatever the machine's load (normally chosen by measurement).
  setProductSharing('always');
});
afterAll(() => {
  setProductSharing('measured');
  disableKernelThreads();
});

/**
 * A kernel that stores one int at the address it is given, importing the shared memory:
 * (func (param i32 ×7) local.get 0  i32.const 7  i32.store)
 */
const STORE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 11, 1, 96, 7, 127, 127, 127, 127, 127, 127, 127, 0, 2, 18, 1, 3, 101, 110,
  118, 6, 109, 101, 109, 111, 114, 121, 2, 3, 0, 128, 128, 4, 3, 2, 1, 0, 7, 7, 1, 3, 114, 117, 110, 0, 0, 10,
  11, 1, 9, 0, 32, 0, 65, 7, 54, 2, 0, 11,
]);
const alignUp = (address: number, to: number) => Math.ceil(address / to) * to;

/** A one-page shared memory whose allocator hands out bytes from 256 on and never frees. */
function smallSharedHeap() {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
  let top = 256;
  const heap = {
    memory,
    malloc: (bytes: number) => {
      const at = top;
      top += bytes;
      return at;
    },
    free: () => {},
  };
  return { memory, heap };
}

/** Weights after `updates` updates of a fresh agent (seed 3) on fixed batches, with 256-256 networks. */
function trainedWeights(updates: number): Float32Array[] {
  const config = agentConfig({ hidden1: 256, hidden2: 256, policyDelay: 2 });
  const agent = new TD3(wideSpace, config, 3);
  for (let u = 0; u < updates; u++) agent.train(randomBatch(wideSpace, 256, 10 + u));
  const weights = [agent.actor, agent.critic1, agent.critic2, agent.critic1Target].flatMap((net) =>
    net.variables().map((v) => v.dataSync() as Float32Array),
  );
  agent.dispose();
  return weights;
}

describe('tfjs-wasm with a shared memory', () => {
  it('the patched SIMD build declares its memory shared, at most 1 GiB, and still validates', () => {
    const original = readFileSync(join(dist, 'tfjs-backend-wasm-simd.wasm'));
    const shared = sharedMemoryBinary(original);
    expect(shared.length).toBe(original.length);
    expect(WebAssembly.validate(shared)).toBe(true);
    // The limits' flag byte (0x01 → 0x03) and the last byte of the maximum (65536 → 16384 pages).
    const differing = Array.from(shared.keys()).filter((i) => shared[i] !== original[i]);
    expect(differing.map((i) => [original[i], shared[i]])).toEqual([
      [0x01, 0x03],
      [0x04, 0x01],
    ]);
    expect(sharedMemoryBinary(shared)).toEqual(shared);
    const memory = WebAssembly.Module.exports(new WebAssembly.Module(shared)).find(
      (e) => e.kind === 'memory',
    );
    expect(memory?.name).toBe('memory');
  });

  it('refuses what it cannot patch', () => {
    expect(() => sharedMemoryBinary(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a WebAssembly/);
    // A module with no memory at all: magic and version only.
    expect(() => sharedMemoryBinary(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))).toThrow(/no memory/);
    // One memory without a maximum: section 5, size 3, count 1, flags 0, min 1.
    const unbounded = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1]);
    expect(() => sharedMemoryBinary(unbounded)).toThrow(/no maximum/);
  });

  it('the Node backend starts on it with a helper thread', () => {
    const memory = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm
      .memory;
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(kernelThreadCount()).toBe(2);
  });
});

describe('products on two threads', () => {
  it('train to exactly the weights of one thread', async () => {
    expect(await enableKernelThreads(1, spawnHelperThread)).toBe(2);
    const twoThreads = trainedWeights(4);
    disableKernelThreads();
    expect(kernelThreadCount()).toBe(1);
    const oneThread = trainedWeights(4);
    expect(twoThreads.length).toBe(oneThread.length);
    twoThreads.forEach((w, i) => {
      expect(Array.from(w)).toEqual(Array.from(oneThread[i]));
    });
    // Not a trivial agreement: training moved the weights.
    expect(await enableKernelThreads(1, spawnHelperThread)).toBe(2);
    const fresh = trainedWeights(0);
    expect(Array.from(fresh[0])).not.toEqual(Array.from(twoThreads[0]));
  });

  it('a helper that never begins its jobs delays nothing: the caller takes each back and does it', async () => {
    // The real helper, except that it leaves every kernel run it is given to the caller (it still compiles).
    const claim = 'if (Atomics.compareExchange(ctrl';
    let patched = 0;
    const lazy: HelperSpawner = (source, init) => {
      if (source.includes(claim)) patched++;
      return spawnHelperThread(source.replace(claim, `if (op === 0) continue;\n    ${claim}`), init);
    };
    expect(await enableKernelThreads(1, lazy)).toBe(2);
    expect(patched).toBe(1);
    const lazyHelper = trainedWeights(4);
    // Still two threads: no job failed or timed out (a wait for the helper would have, and stopped it).
    expect(kernelThreadCount()).toBe(2);
    disableKernelThreads();
    const oneThread = trainedWeights(4);
    lazyHelper.forEach((w, i) => {
      expect(Array.from(w)).toEqual(Array.from(oneThread[i]));
    });
    await enableKernelThreads(1, spawnHelperThread);
  });

  it('share out the column panels of every form and remainder shape to exactly the one-thread product', async () => {
    const rng = new Random(9);
    const rand = (rows: number, cols: number) =>
      tf.tensor2d(
        Float32Array.from({ length: rows * cols }, () => rng.uniformRange(-1, 1)),
        [rows, cols],
      );
    // Each over 2^20 multiply-adds (shared out); odd rows, columns past the last 16-wide panel (4-wide and
    // single), Aᵀ read in place (m < 64) and through a transpose, C written transposed, a ReLU mask.
    const products: [string, (fast: FastKernels) => tf.Tensor | tf.Tensor[]][] = [];
    const x = rand(129, 37);
    const w = rand(37, 263);
    const bias = tf.tensor1d(Float32Array.from({ length: 263 }, () => rng.uniformRange(-1, 1)));
    products.push(['x·W + b, ReLU', (fast) => fast.linear(x, w, bias, true)]);
    const a = rand(101, 40);
    const y = rand(101, 260);
    products.push(['aᵀ·b, m < 64', (fast) => fast.matMulTN(a, y)]);
    const tall = rand(61, 130);
    const wide = rand(61, 132);
    products.push(['aᵀ·b, transposed first', (fast) => fast.matMulTN(tall, wide)]);
    const deep = rand(700, 260);
    const six = rand(700, 6);
    products.push(['aᵀ·b written transposed', (fast) => fast.matMulTN(deep, six)]);
    const d = rand(257, 41);
    const v = rand(103, 41);
    const mask = tf.relu(rand(257, 103)) as tf.Tensor2D;
    products.push(['a·bᵀ ⊙ mask', (fast) => fast.matMulNT(d, v, mask)]);
    // Two products of one shape in one call, their panels drawn from one list (the twin critics' layers).
    const x2 = rand(129, 37);
    const mask2 = tf.relu(rand(257, 103)) as tf.Tensor2D;
    const w2 = rand(37, 263);
    products.push(['two x·W + b at once', (fast) => fast.linearEach([x, x2], [w, w2], [bias, bias], false)]);
    products.push(['two a·bᵀ ⊙ mask at once', (fast) => fast.matMulNTEach([d, d], [v, v], [mask, mask2])]);
    const results = () =>
      products.flatMap(([label, product]) => {
        const fast = fastKernels();
        if (!fast) throw new Error('no wasm kernels');
        const outs = product(fast);
        return (Array.isArray(outs) ? outs : [outs]).map((out) => {
          const values = { label, shape: out.shape, values: Array.from(out.dataSync()) };
          out.dispose();
          return values;
        });
      });
    expect(await enableKernelThreads(1, spawnHelperThread)).toBe(2);
    const shared = results();
    disableKernelThreads();
    const alone = results();
    expect(shared).toEqual(alone);
    // Not trivially equal: every product has nonzero entries.
    for (const { label, values } of alone)
      expect(
        values.some((value) => value !== 0),
        label,
      ).toBe(true);
    expect(alone.map(({ shape }) => shape)).toEqual([
      [129, 263],
      [40, 260],
      [130, 132],
      [260, 6],
      [257, 103],
      [129, 263],
      [129, 263],
      [257, 103],
      [257, 103],
    ]);
    await enableKernelThreads(1, spawnHelperThread);
  });

  it('a helper that never starts fails the start within its time limit, and the started ones are stopped', async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    const heap = { memory, malloc: () => 1024, free: () => {} };
    let stopped = 0;
    let calls = 0;
    const sometimes: HelperSpawner = (source, init) => {
      calls++;
      if (calls === 1)
        return spawnHelperThread(source, init).then((handle) => ({
          terminate: () => {
            stopped++;
            handle.terminate();
          },
        }));
      return new Promise(() => {});
    };
    await expect(KernelThreads.start(heap, 2, sometimes, { timeoutMs: 2000 })).rejects.toThrow(
      /did not start within 2000 ms/,
    );
    await expect.poll(() => stopped).toBe(1);
  });

  it('a helper asleep after its spin time is woken by the next job', async () => {
    const { memory, heap } = smallSharedHeap();
    const threads = await KernelThreads.start(heap, 1, spawnHelperThread, { spinMs: 0.1 });
    const view = new Int32Array(memory.buffer);
    const control = new Int32Array(memory.buffer, alignUp(256, 64), 16);
    const started = performance.now();
    for (let round = 1; round <= 3; round++) {
      // Asleep: it says so in its control block (slot 6) once it has stopped spinning.
      await expect.poll(() => Atomics.load(control, 6), { interval: 5 }).toBe(1);
      expect(threads.tryPost(0, 'store', () => STORE, [4096 + 4 * round, 0, 0, 0, 0, 0, 0])).toBe(true);
      expect(threads.tryWait(0)).toBe(true);
      expect(view[1024 + round]).toBe(7);
    }
    // Without the wake-up each job would wait out the helper's 1 s sleep.
    expect(performance.now() - started).toBeLessThan(2500);
    threads.stop();
  });

  it('a failing helper is given up and the caller does the work itself', async () => {
    const { memory, heap } = smallSharedHeap();
    const threads = await KernelThreads.start(heap, 1, spawnHelperThread);
    expect(threads.helpers).toBe(1);
    const store = STORE;
    expect(WebAssembly.validate(store)).toBe(true);
    const view = new Int32Array(memory.buffer);
    expect(threads.tryPost(0, 'store', () => store, [4096, 0, 0, 0, 0, 0, 0])).toBe(true);
    expect(threads.tryWait(0)).toBe(true);
    expect(view[1024]).toBe(7);
    // Past the end of the memory: the helper's kernel traps, so the job fails and the helpers are stopped.
    expect(threads.tryPost(0, 'store', () => store, [1 << 20, 0, 0, 0, 0, 0, 0])).toBe(true);
    expect(threads.tryWait(0)).toBe(false);
    expect(threads.helpers).toBe(0);
    expect(threads.tryPost(0, 'store', () => store, [4096, 0, 0, 0, 0, 0, 0])).toBe(false);
  });
});
