/**
 * Learning test: TD3 learns Pendulum-v1 on this 2-core CPU machine in a couple of minutes.
 * Preset 'quick' (64-64 nets, lr 1e-3, γ 0.98, batch 128, 1k random steps), seed 0, wasm backend.
 * Measured (seed 0): eval −237.3 at 7k steps, −233.9 at 8k, −217.0 at 9k, −511.7 at 10k (one evaluation's
 * dip). Threshold from the issue: ≥ −250. With 8 parallel envs (8 actions per read, an update after every
 * env step): −235.3 at 7k, −282.4 at 8k, −215.1 at 9k, −205.8 at 10k.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, expect, it } from 'vitest';
import type { Config } from '../../src/rl/hyperparameters';
import { configFromPreset } from '../../src/rl/presets';
import type { EvalRecord, MetricRecord } from '../../src/train/metrics';
import { TrainingSession } from '../../src/train/session';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

/** Trains quick Pendulum, seed 0, for 10k env steps with `overrides`; logs and returns the evaluations. */
async function trainQuick(label: string, overrides: Partial<Config>) {
  const records: MetricRecord[] = [];
  const config = configFromPreset('quick', { env: 'Pendulum-v1', seed: 0, totalSteps: 10_000, ...overrides });
  const session = await TrainingSession.create(config, (r) => records.push(r));
  while (!session.done) session.advance(500);
  session.dispose();
  const evals = records.filter((r): r is EvalRecord => r.type === 'eval');
  const curve = evals.map((e) => `${e.step}: ${e.mean.toFixed(1)}`).join(', ');
  console.log(`Pendulum-v1 quick seed 0${label} eval curve: ${curve}`);
  expect(records.some((r) => r.type === 'stopped')).toBe(false);
  expect(evals.map((e) => e.step)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1000));
  return { records, evals };
}

it('reaches a mean eval return of at least −250 on Pendulum-v1 within 10k env steps (preset quick, seed 0)', async () => {
  const { evals } = await trainQuick('', { probePairs: 8 });
  // Random policies score about −1200 here; the learned one must swing up and balance.
  expect(evals[0].mean).toBeLessThan(-600);
  expect(Math.max(...evals.map((e) => e.mean))).toBeGreaterThanOrEqual(-250);
}, 600_000);

it('learns as well with 8 parallel envs: at least −250 within 10k env steps (preset quick, seed 0)', async () => {
  const { records, evals } = await trainQuick(', 8 parallel envs', { parallelEnvs: 8 });
  // Each of the 8 envs ends six 200-step episodes in its 1,250 steps.
  expect(records.filter((r) => r.type === 'episode')).toHaveLength(48);
  expect(evals[0].mean).toBeLessThan(-600);
  expect(Math.max(...evals.map((e) => e.mean))).toBeGreaterThanOrEqual(-250);
}, 600_000);
