/**
 * The MuJoCo v5 envs' reset noise, from many seeded resets: qpos − init_qpos and qvel − init_qvel follow
 * Gymnasium 1.4's distributions (uniform on [-scale, scale) or scale · N(0, 1)) with its reset_noise_scale.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type MujocoEnv, makeEnv } from '../../src/envs';

const RESETS = 1000;

type Noise = { kind: 'uniform'; scale: number } | { kind: 'normal'; scale: number };
const uniform = (scale: number): Noise => ({ kind: 'uniform', scale });
const normal = (scale: number): Noise => ({ kind: 'normal', scale });

/** [id, qpos noise, qvel noise] from the v5 envs' reset_model and their reset_noise_scale defaults. */
const NOISE: [string, Noise, Noise][] = [
  ['InvertedPendulum-v5', uniform(0.01), uniform(0.01)],
  ['InvertedDoublePendulum-v5', uniform(0.1), normal(0.1)],
  ['HalfCheetah-v5', uniform(0.1), normal(0.1)],
  ['Hopper-v5', uniform(5e-3), uniform(5e-3)],
  ['Walker2d-v5', uniform(5e-3), uniform(5e-3)],
  ['Ant-v5', uniform(0.1), normal(0.1)],
  ['Humanoid-v5', uniform(0.01), uniform(0.01)],
];

function meanStd(xs: number[]): [number, number] {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return [mean, Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length)];
}

/** One component's samples against U(-scale, scale) (n = 1000: the mean's standard error is 1.8% of scale). */
function expectUniform(xs: number[], scale: number): void {
  for (const x of xs) if (!(x >= -scale && x < scale)) throw new Error(`${x} outside [-${scale}, ${scale})`);
  const [mean, std] = meanStd(xs);
  expect(Math.abs(mean)).toBeLessThan(0.08 * scale);
  expect(Math.abs(std / (scale / Math.sqrt(3)) - 1)).toBeLessThan(0.08);
  // Uniform: about 10% of the samples in each tenth of the range.
  const bins = new Array<number>(10).fill(0);
  for (const x of xs) bins[Math.min(9, Math.floor(((x + scale) / (2 * scale)) * 10))]++;
  for (const count of bins) expect(Math.abs(count - xs.length / 10)).toBeLessThan(45);
}

/** One component's samples against scale · N(0, 1). */
function expectNormal(xs: number[], scale: number): void {
  const [mean, std] = meanStd(xs);
  expect(Math.abs(mean)).toBeLessThan(0.12 * scale);
  expect(Math.abs(std / scale - 1)).toBeLessThan(0.08);
  // 68.3% within one σ, 95.4% within two, and tails beyond 2.5σ that a uniform never has.
  const within = (k: number) => xs.filter((x) => Math.abs(x) < k * scale).length / xs.length;
  expect(Math.abs(within(1) - 0.6827)).toBeLessThan(0.045);
  expect(Math.abs(within(2) - 0.9545)).toBeLessThan(0.02);
  expect(xs.some((x) => Math.abs(x) > 2.5 * scale)).toBe(true);
}

function expectNoise(xs: number[], noise: Noise): void {
  if (noise.kind === 'uniform') expectUniform(xs, noise.scale);
  else expectNormal(xs, noise.scale);
}

function resetMany(env: MujocoEnv): { dq: number[][]; dv: number[][] } {
  const dq: number[][] = Array.from({ length: env.nq }, () => []);
  const dv: number[][] = Array.from({ length: env.nv }, () => []);
  for (let seed = 0; seed < RESETS; seed++) {
    env.reset(seed);
    const state = env.getState();
    for (let i = 0; i < env.nq; i++) dq[i].push(state[i] - env.initQpos[i]);
    for (let i = 0; i < env.nv; i++) dv[i].push(state[env.nq + i] - env.initQvel[i]);
  }
  return { dq, dv };
}

const envs: MujocoEnv[] = [];
afterAll(() => {
  for (const env of envs) env.close();
});

async function open(id: string): Promise<MujocoEnv> {
  const env = (await makeEnv(id)) as MujocoEnv;
  envs.push(env);
  return env;
}

describe.each(NOISE)('%s reset', (id, qposNoise, qvelNoise) => {
  it(`adds ${qposNoise.kind}(${qposNoise.scale}) to qpos and ${qvelNoise.kind}(${qvelNoise.scale}) to qvel`, async () => {
    const env = await open(id);
    const { dq, dv } = resetMany(env);
    // Every component gets its own draw (the free joint's quaternion too, left unnormalised as in Gymnasium).
    for (const xs of dq) expectNoise(xs, qposNoise);
    for (const xs of dv) expectNoise(xs, qvelNoise);
  });
});

describe('Reacher-v5 reset', () => {
  it('draws the arm from U(±0.1), a goal uniform in the disc of radius 0.2, arm speeds from U(±0.005)', async () => {
    const env = await open('Reacher-v5');
    const { dq, dv } = resetMany(env);
    expect(Array.from(env.initQpos)).toEqual([0, 0, 0.1, -0.1]); // the target joints' ref
    expectUniform(dq[0], 0.1);
    expectUniform(dq[1], 0.1);
    expectUniform(dv[0], 0.005);
    expectUniform(dv[1], 0.005);
    for (const v of [...dv[2], ...dv[3]]) expect(v).toBe(0);
    // qpos[2:] is the goal itself (not init + goal).
    const goals = dq[2].map((_, k) => [dq[2][k] + env.initQpos[2], dq[3][k] + env.initQpos[3]]);
    const r2 = goals.map(([x, y]) => x * x + y * y);
    for (const r of r2) expect(r).toBeLessThan(0.04);
    // Uniform in a disc of radius R: E[x] = E[y] = 0, E[r²] = R²/2, and a quarter of the points within R/2.
    const [mx] = meanStd(goals.map((g) => g[0]));
    const [my] = meanStd(goals.map((g) => g[1]));
    expect(Math.abs(mx)).toBeLessThan(0.01);
    expect(Math.abs(my)).toBeLessThan(0.01);
    expect(Math.abs(meanStd(r2)[0] / 0.02 - 1)).toBeLessThan(0.06);
    expect(Math.abs(r2.filter((r) => r < 0.01).length / RESETS - 0.25)).toBeLessThan(0.04);
    // The goal lands on the target body: its world x, y equal the goal.
    env.reset(5);
    const state = env.getState();
    const target = env.bodyNames().indexOf('target');
    const xpos = env.bodyPositions();
    expect(xpos[3 * target]).toBeCloseTo(state[2], 12);
    expect(xpos[3 * target + 1]).toBeCloseTo(state[3], 12);
  });
});
