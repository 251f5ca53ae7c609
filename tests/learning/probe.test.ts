/**
 * The overestimation probe measures enough: with the default number of pairs, the bias it reports for a
 * trained Pendulum-v1 agent varies from one probe to the next by less than a stated bound, and the standard
 * error it reports agrees with that spread. Preset 'quick' (256 pairs, the schema's default), seed 0, wasm.
 *
 * The bound: a standard error below 1.5 return units after 20k steps, so the 95 % interval (±3) of one
 * probe separates one critic from two in the lab's Figure 1 on Pendulum (about +8 against −5 there).
 * Measured here: 0.80 at 20k steps, a spread of 0.78 over 8 more probes; on the CLI's path (seeds 0–2)
 * 0.69, 0.67, 0.75. With the former default of 32 pairs it was 1.90. While the agent is learning (4k–12k
 * steps) the bias differs much from state to state and the standard error reaches 4–6 even with 256
 * pairs: the page draws it as a band around the bias, so nobody reads more into it than is there.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/rl/hyperparameters';
import { configFromPreset } from '../../src/rl/presets';
import type { MetricRecord, ProbeRecord } from '../../src/train/metrics';
import { std } from '../../src/train/metrics';
import { TrainingSession } from '../../src/train/session';

const BOUND = 1.5;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

it(`reports the Pendulum bias with a standard error below ${BOUND} at the default number of pairs`, async () => {
  const records: MetricRecord[] = [];
  const config = configFromPreset('quick', { env: 'Pendulum-v1', seed: 0, totalSteps: 20_000 });
  expect(config.probePairs).toBe(DEFAULT_CONFIG.probePairs);
  const session = await TrainingSession.create(config, (r) => records.push(r));
  while (!session.done) session.advance(500);

  const probes = records.filter((r): r is ProbeRecord => r.type === 'probe');
  expect(probes.map((p) => p.step)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 2000));
  for (const p of probes) {
    expect(p.pairs).toBe(config.probePairs);
    expect(Number.isFinite(p.biasStdError) && p.biasStdError > 0).toBe(true);
    // Every pair's rollout takes its first step, and none more than the horizon.
    expect(p.envSteps).toBeGreaterThanOrEqual(p.pairs);
    expect(p.envSteps).toBeLessThanOrEqual(p.pairs * p.horizon);
  }
  expect(probes[probes.length - 1].biasStdError).toBeLessThan(BOUND);

  // Eight more probes of the same agent, each of other pairs: their spread is the standard error seen.
  const repeats = Array.from({ length: 8 }, () => session.probeNow());
  session.dispose();
  const spread = std(repeats.map((r) => r.bias)) * Math.sqrt(8 / 7);
  const reported = repeats.map((r) => r.biasStdError);
  console.log(
    `probe standard errors ${probes.map((p) => p.biasStdError.toFixed(2)).join(', ')}; ` +
      `spread over 8 repeats ${spread.toFixed(2)}, reported ${Math.min(...reported).toFixed(2)}–${Math.max(...reported).toFixed(2)}`,
  );
  expect(spread).toBeLessThan(BOUND);
  // The reported standard error is an honest one: within a factor of two of the spread actually seen.
  for (const se of reported) {
    expect(se).toBeLessThan(2 * spread);
    expect(se).toBeGreaterThan(spread / 2);
  }
}, 300_000);
