/** Tensor count and JS heap over many updates on the active backend: a leak shows as a steady climb. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { TD3 } from '../../rl/td3';
import type { MemoryCheckpoint, MemoryRun } from './types';
import { benchAgentConfig, benchSpace, randomBatches } from './updateTiming';

/** `gc()` without starting node with --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return () => gc?.();
}

export function benchMemory(
  updates: number,
  hidden: number,
  batch: number,
  log: (line: string) => void,
): MemoryRun {
  const gc = collector();
  const space = benchSpace(3, 1);
  const agent = new TD3(space, benchAgentConfig(hidden), 3);
  const batches = randomBatches(space, batch, 8, 4);
  const checkpoints: MemoryCheckpoint[] = [];
  const mark = (done: number) => {
    gc();
    const m = tf.memory();
    checkpoints.push({
      updates: done,
      numTensors: m.numTensors,
      numBytes: m.numBytes,
      heapUsedBytes: process.memoryUsage().heapUsed,
    });
  };
  // A short warm-up so one-time allocations (kernels, caches) are not counted as drift.
  const warmup = Math.min(100, Math.max(1, Math.floor(updates / 10)));
  for (let k = 0; k < warmup; k++) agent.train(batches[k % batches.length], k % 25 === 0);
  const every = Math.max(1, Math.floor(updates / 10));
  mark(0);
  for (let k = 1; k <= updates; k++) {
    // Statistics every 25th update, as the session's default logEvery does.
    agent.train(batches[k % batches.length], k % 25 === 0);
    if (k % every === 0 || k === updates) {
      mark(k);
      if (k % (every * 5) === 0) log(`memory: ${k}/${updates} updates`);
    }
  }
  agent.dispose();
  const first = checkpoints[0];
  const last = checkpoints[checkpoints.length - 1];
  const heapDriftBytes = last.heapUsedBytes - first.heapUsedBytes;
  return {
    backend: tf.getBackend(),
    hidden,
    batch,
    updates,
    checkpoints,
    tensorDrift: last.numTensors - first.numTensors,
    heapDriftBytes,
    heapDriftPer1kBytes: updates > 0 ? (heapDriftBytes / updates) * 1000 : 0,
  };
}
