/**
 * Device reads written once (src/rl/deviceReads.ts): the two drivers give the same results, fresh tensors
 * are freed also when work is abandoned, and a whole training session driven asynchronously (as on a GPU
 * backend) records exactly what the synchronous one does, on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  pause,
  type Reads,
  read,
  readAndDispose,
  readAsync,
  readNothing,
  readSync,
  readsAsynchronously,
} from '../../src/rl/deviceReads';
import type { Config } from '../../src/rl/hyperparameters';
import type { MetricRecord } from '../../src/train/metrics';
import { TrainingSession } from '../../src/train/session';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Two reads and a pause: the sum of a variable's values and of a fresh tensor's. */
function* sums(v: tf.Variable): Reads<number> {
  const [mine] = yield* read([v]);
  yield* pause();
  const [fresh] = yield* readAndDispose([tf.mul(v, 2)]);
  return mine.reduce((a, b) => a + b, 0) + fresh.reduce((a, b) => a + b, 0);
}

describe('device reads', () => {
  it('the synchronous and asynchronous drivers give the same values; nothing fresh is left behind', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const before = tf.memory().numTensors;
    expect(readSync(sums(v))).toBe(18);
    expect(await readAsync(sums(v))).toBe(18);
    // Reading nothing: zeros of the right sizes.
    expect(readNothing(sums(v))).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    v.dispose();
  });

  it('frees a fresh tensor when its read fails (a lost device), and passes the error on', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const before = tf.memory().numTensors;
    function* failing(): Reads<number> {
      const fresh = tf.add(v, 1);
      fresh.dataSync = () => {
        throw new Error('device lost');
      };
      const [values] = yield* readAndDispose([fresh]);
      return values[0];
    }
    expect(() => readSync(failing())).toThrow('device lost');
    expect(tf.memory().numTensors).toBe(before);
    v.dispose();
  });

  it('names the GPU backends as the ones read asynchronously', () => {
    expect(['webgpu', 'webgl', 'wasm', 'cpu'].map((b) => readsAsynchronously(b))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('a session driven asynchronously records exactly what the synchronous one does', async () => {
    const config: Partial<Config> = {
      env: 'Pendulum-v1',
      seed: 3,
      hidden1: 8,
      hidden2: 8,
      batchSize: 16,
      startSteps: 50,
      totalSteps: 300,
      bufferSize: 1000,
      evalEvery: 100,
      evalEpisodes: 2,
      probeEvery: 100,
      probePairs: 4,
      logEvery: 10,
    };
    const run = async (asynchronous: boolean) => {
      const records: MetricRecord[] = [];
      const session = await TrainingSession.create(config, (r) => records.push(r));
      while (!session.done) {
        if (asynchronous) await session.runForAsync(5);
        else session.runFor(5);
      }
      const weights = session.agent.getWeights();
      session.dispose();
      return { records: records.filter((r) => r.type !== 'throughput'), weights };
    };
    const synchronous = await run(false);
    const asynchronous = await run(true);
    const kinds = new Set<string>(synchronous.records.map((r) => r.type));
    for (const kind of ['eval', 'probe', 'update', 'episode']) expect(kinds.has(kind)).toBe(true);
    expect(asynchronous.records).toEqual(synchronous.records);
    expect(asynchronous.weights).toEqual(synchronous.weights);
  });
});
