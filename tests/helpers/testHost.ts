/** A TrainingHost on the cpu backend that records what it posts, for tests that drive it by hand. */
import * as tf from '@tensorflow/tfjs';
import type { MetricRecord } from '../../src/train/metrics';
import type { StatusEvent, WorkerEvent } from '../../src/worker/protocol';
import { type HostOptions, TrainingHost } from '../../src/worker/trainingHost';

/** A run that trains and evaluates within a second on the cpu backend (Pendulum, 8-8 networks). */
export const TINY = {
  env: 'Pendulum-v1',
  hidden1: 8,
  hidden2: 8,
  batchSize: 16,
  startSteps: 50,
  bufferSize: 2000,
  evalEvery: 100,
  evalEpisodes: 1,
  probeEvery: 100,
  probePairs: 2,
  logEvery: 10,
  totalSteps: 100_000,
};

let current: TrainingHost | null = null;

/** Stops the last host made (call it in afterEach). */
export function shutdownTestHost(): void {
  current?.shutdown();
  current = null;
}

export function makeHost(options: Partial<HostOptions> = {}) {
  const events: WorkerEvent[] = [];
  const host = new TrainingHost({
    // Copied when posted, as postMessage copies: what the host changes afterwards does not reach the page.
    post: (event) => events.push(structuredClone(event)),
    backends: {
      choose: async () => {
        await tf.setBackend('cpu');
        return { name: 'cpu', reason: 'test' };
      },
      fallback: async () => {
        await tf.setBackend('wasm');
        return { name: 'wasm', reason: 'next in the test' };
      },
    },
    chunkMs: 10,
    ...options,
  });
  current = host;
  host.run();
  const statuses = () => events.filter((e): e is StatusEvent => e.type === 'status');
  const status = () => statuses().at(-1);
  const notices = () =>
    events.filter((e) => e.type === 'notice').map((e) => (e.type === 'notice' ? e.message : ''));
  const records = () => events.flatMap((e) => (e.type === 'metrics' ? e.records : [])) as MetricRecord[];
  return { events, host, status, notices, records };
}

/** Waits until `predicate` holds, polling every 5 ms. */
export const until = async (predicate: () => boolean, timeoutMs = 20_000) => {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};
