import { describe, expect, it } from 'vitest';
import {
  type Env,
  envIds,
  envSpec,
  MountainCarContinuous,
  makeEnv,
  Pendulum,
  TimeLimit,
} from '../../src/envs';

const ids = ['Pendulum-v1', 'MountainCarContinuous-v0'] as const;

describe('registry', () => {
  it('lists the ids in registry order', () => {
    expect(envIds).toEqual([
      'Pendulum-v1',
      'MountainCarContinuous-v0',
      'Reacher-v5',
      'InvertedPendulum-v5',
      'InvertedDoublePendulum-v5',
      'HalfCheetah-v5',
      'Hopper-v5',
      'Walker2d-v5',
      'Ant-v5',
      'Humanoid-v5',
      'LunarLanderContinuous-v3',
      'BipedalWalker-v3',
    ]);
  });

  it('builds each env with the right spec', async () => {
    const pendulum = await makeEnv('Pendulum-v1');
    expect(pendulum).toBeInstanceOf(Pendulum);
    expect(pendulum.spec).toEqual({
      id: 'Pendulum-v1',
      observationSize: 3,
      actionSize: 1,
      actionLow: [-2],
      actionHigh: [2],
      maxEpisodeSteps: 200,
    });
    const car = await makeEnv('MountainCarContinuous-v0');
    expect(car).toBeInstanceOf(MountainCarContinuous);
    expect(car.spec).toEqual({
      id: 'MountainCarContinuous-v0',
      observationSize: 2,
      actionSize: 1,
      actionLow: [-1],
      actionHigh: [1],
      maxEpisodeSteps: 999,
    });
    for (const id of ids) expect(envSpec(id)).toEqual((await makeEnv(id)).spec);
  });

  it('gives observations of the spec size, as Float32Array', async () => {
    for (const id of ids) {
      const env = await makeEnv(id);
      const obs = env.reset(1);
      expect(obs).toBeInstanceOf(Float32Array);
      expect(obs).toHaveLength(env.spec.observationSize);
      expect(env.step([0]).observation).toHaveLength(env.spec.observationSize);
      expect(env.observe()).toHaveLength(env.spec.observationSize);
    }
  });

  it('hands out specs that callers cannot corrupt', async () => {
    const spec = envSpec('Pendulum-v1');
    spec.actionHigh[0] = 99;
    (await makeEnv('Pendulum-v1')).spec.actionLow[0] = -99;
    expect(envSpec('Pendulum-v1').actionHigh).toEqual([2]);
    expect((await makeEnv('Pendulum-v1')).spec.actionLow).toEqual([-2]);
  });

  it('rejects an unknown id with a message naming it and the known ids', async () => {
    await expect(makeEnv('Nope-v0')).rejects.toThrow(/'Nope-v0'.*Pendulum-v1, MountainCarContinuous-v0/);
    expect(() => envSpec('Nope-v0')).toThrow(/Nope-v0/);
  });
});

describe.each(ids)('%s time limit', (id) => {
  it('truncates exactly at maxEpisodeSteps, stays truncated beyond, and reset zeroes the counter', async () => {
    const env = await makeEnv(id);
    const max = env.spec.maxEpisodeSteps;
    env.reset(0);
    for (let i = 1; i < max; i++) {
      const r = env.step([0]);
      if (r.truncated) throw new Error(`truncated early, at step ${i}`);
    }
    expect(env.step([0]).truncated).toBe(true);
    expect(env.step([0]).truncated).toBe(true);
    env.reset();
    expect(env.step([0]).truncated).toBe(false);
  });

  it('setState leaves the counter alone', async () => {
    const env = (await makeEnv(id)) as Pendulum | MountainCarContinuous;
    const max = env.spec.maxEpisodeSteps;
    env.reset(2);
    const saved = env.getState();
    for (let i = 0; i < max - 10; i++) env.step([0.1]);
    env.setState(saved);
    expect(env.elapsedSteps).toBe(max - 10);
    for (let i = 0; i < 9; i++) expect(env.step([0.1]).truncated).toBe(false);
    expect(env.step([0.1]).truncated).toBe(true);
  });
});

describe('TimeLimit', () => {
  it('counts to its limit', () => {
    const limit = new TimeLimit(3);
    expect([limit.tick(), limit.tick(), limit.tick(), limit.tick()]).toEqual([false, false, true, true]);
    expect(limit.elapsedSteps).toBe(4);
    limit.reset();
    expect(limit.elapsedSteps).toBe(0);
    expect(() => new TimeLimit(0)).toThrow();
  });
});

describe.each(ids)('%s state save and restore', (id) => {
  it('round-trips getState / setState exactly, and the continuation is identical', async () => {
    for (const stepsBefore of [0, 1, 37]) {
      const a = await makeEnv(id);
      const b = await makeEnv(id);
      a.reset(123);
      b.reset(456);
      for (let i = 0; i < stepsBefore; i++) a.step([Math.sin(i) * 1.5]);
      const state = a.getState();
      b.setState(state);
      expect(b.getState()).toEqual(state);
      expect(Array.from(b.observe())).toEqual(Array.from(a.observe()));
      for (let i = 0; i < 50; i++) {
        const action = [Math.cos(i * 0.7) * 2.5];
        const ra = a.step(action);
        const rb = b.step(action);
        expect(Array.from(rb.observation)).toEqual(Array.from(ra.observation));
        expect(rb.reward).toBe(ra.reward);
        expect(rb.terminated).toBe(ra.terminated);
      }
      expect(b.getState()).toEqual(a.getState());
    }
  });
});

describe.each(ids)('%s argument checks', (id) => {
  it('throws on NaN, infinite and wrong-length actions without changing anything', async () => {
    const env = (await makeEnv(id)) as Pendulum | MountainCarContinuous;
    env.reset(9);
    env.step([0.5]);
    const state = env.getState();
    expect(() => env.step([Number.NaN])).toThrow(/NaN/);
    expect(() => env.step([Number.POSITIVE_INFINITY])).toThrow(/Infinity/);
    expect(() => env.step(Float32Array.of(Number.NEGATIVE_INFINITY))).toThrow(/finite/);
    expect(() => env.step([])).toThrow(/length 1/);
    expect(() => env.step([0, 0])).toThrow(/length 1/);
    expect(env.getState()).toEqual(state);
    expect(env.elapsedSteps).toBe(1);
    expect(env.step(Float32Array.of(0.25)).observation).toHaveLength(env.spec.observationSize);
  });

  it('throws on bad seeds and bad states, and on stepping before reset', async () => {
    const env = await makeEnv(id);
    expect(() => env.step([0])).toThrow(/reset/);
    expect(() => env.reset(1.5)).toThrow(/seed/);
    expect(() => env.reset(-1)).toThrow(/seed/);
    expect(() => env.reset(2 ** 32)).toThrow(/seed/);
    expect(() => env.setState([0])).toThrow(/length 2/);
    expect(() => env.setState([0, Number.NaN])).toThrow(/NaN/);
    env.setState([0.1, 0]);
    expect(env.step([0]).observation).toHaveLength(env.spec.observationSize);
  });
});

function resetMany(env: Env, n: number): number[][] {
  const states: number[][] = [];
  for (let seed = 0; seed < n; seed++) {
    env.reset(seed);
    states.push(env.getState());
  }
  return states;
}

function meanStd(xs: number[]): [number, number] {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
  return [mean, Math.sqrt(variance)];
}

/** Checks bounds, mean, std and a 10-bin histogram against U(low, high), for n = 2000 samples. */
function expectUniform(xs: number[], low: number, high: number): void {
  const n = xs.length;
  for (const x of xs) {
    if (!(x >= low && x < high)) throw new Error(`${x} outside [${low}, ${high})`);
  }
  const [mean, std] = meanStd(xs);
  const width = high - low;
  // Standard error of the mean is width/√12/√n ≈ 0.0065·width; of the std about 1% of it.
  expect(Math.abs(mean - (low + high) / 2)).toBeLessThan(0.03 * width);
  expect(Math.abs(std / (width / Math.sqrt(12)) - 1)).toBeLessThan(0.05);
  const bins = new Array<number>(10).fill(0);
  for (const x of xs) bins[Math.min(9, Math.floor(((x - low) / width) * 10))]++;
  // 200 expected per bin, standard deviation about 13.
  for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(60);
}

describe('reset distributions', () => {
  it('Pendulum: θ ~ U(-π, π), θdot ~ U(-1, 1), and observe() matches', async () => {
    const env = await makeEnv('Pendulum-v1');
    const states = resetMany(env, 2000);
    expectUniform(
      states.map((s) => s[0]),
      -Math.PI,
      Math.PI,
    );
    expectUniform(
      states.map((s) => s[1]),
      -1,
      1,
    );
    const obs = env.reset(77);
    const [theta, thetaDot] = env.getState();
    expect(Array.from(obs)).toEqual([
      Math.fround(Math.cos(theta)),
      Math.fround(Math.sin(theta)),
      Math.fround(thetaDot),
    ]);
  });

  it('MountainCar: position ~ U(-0.6, -0.4), velocity 0', async () => {
    const env = await makeEnv('MountainCarContinuous-v0');
    const states = resetMany(env, 2000);
    expectUniform(
      states.map((s) => s[0]),
      -0.6,
      -0.4,
    );
    for (const s of states) expect(s[1]).toBe(0);
  });

  it.each(ids)('%s: same seed, same state; different seeds differ; unseeded resets go on', async (id) => {
    const a = await makeEnv(id);
    const b = await makeEnv(id);
    a.reset(42);
    b.reset(42);
    expect(a.getState()).toEqual(b.getState());
    a.step([1]);
    expect(Array.from(a.reset(42))).toEqual(Array.from(b.observe()));
    expect(a.getState()).toEqual(b.getState());
    b.reset(43);
    expect(b.getState()).not.toEqual(a.getState());
    // Unseeded resets continue the stream: distinct states, the same sequence in both envs.
    a.reset();
    b.reset(42);
    b.reset();
    expect(b.getState()).toEqual(a.getState());
    const next = a.getState();
    a.reset();
    expect(a.getState()).not.toEqual(next);
    // A fresh env's first unseeded reset uses seed 0.
    const fresh = await makeEnv(id);
    fresh.reset();
    a.reset(0);
    expect(fresh.getState()).toEqual(a.getState());
    // The constructor's seed sets that default stream.
    const seeded = id === 'Pendulum-v1' ? new Pendulum(7) : new MountainCarContinuous(7);
    seeded.reset();
    a.reset(7);
    expect(seeded.getState()).toEqual(a.getState());
  });
});

describe.each(['Pendulum-v1', 'MountainCarContinuous-v0', 'InvertedPendulum-v5'])(
  '%s episode state (for checkpoints)',
  (id) => {
    it('with the physics state, continues the episode exactly: the same truncation step and the same next reset', async () => {
      const a = await makeEnv(id);
      const b = await makeEnv(id);
      a.reset(11);
      b.reset(99);
      b.step(new Array(b.spec.actionSize).fill(0.1)); // b's own episode, to be overwritten
      const action = new Array(a.spec.actionSize).fill(0);
      for (let i = 0; i < 5; i++) a.step(action);
      b.setState(a.getState());
      b.setEpisodeState(a.getEpisodeState());
      expect(b.getEpisodeState()).toEqual(a.getEpisodeState());
      // Step both to the end of the episode, whatever ends it.
      for (let i = 0; i < a.spec.maxEpisodeSteps; i++) {
        action.fill(Math.sin(i) * 0.3);
        const ra = a.step(action);
        const rb = b.step(action);
        expect([rb.reward, rb.terminated, rb.truncated]).toEqual([ra.reward, ra.terminated, ra.truncated]);
        if (ra.terminated || ra.truncated) break;
      }
      // The next reset without a seed draws from the same stream.
      expect(Array.from(b.reset())).toEqual(Array.from(a.reset()));
      a.close();
      b.close();
    });
  },
);
