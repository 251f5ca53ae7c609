import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { angleNormalize, MountainCarContinuous, makeEnv, mountainHeight, Pendulum } from '../../src/envs';

/** Golden trajectories recorded from Gymnasium by tests/fixtures/scripts/record_classic_trajectories.py. */
interface Trajectory {
  name: string;
  state: number[];
  stateDtype: 'float32' | 'float64';
  actions: number[];
  observations: number[][];
  rewards: number[];
  terminated: boolean[];
}

interface Fixture {
  gymnasium: string;
  numpy: string;
  'Pendulum-v1': Trajectory[];
  'MountainCarContinuous-v0': Trajectory[];
}

const fixture: Fixture = JSON.parse(
  readFileSync(new URL('../fixtures/classic_trajectories.json', import.meta.url), 'utf8'),
);
const TOL = 1e-5;

/** Replays a trajectory's actions from its initial state through the TypeScript port. */
async function replay(id: keyof Omit<Fixture, 'gymnasium' | 'numpy'>, t: Trajectory) {
  const env = await makeEnv(id);
  env.setState(t.state);
  expect(env.getState()).toEqual(t.state);
  const observations: number[][] = [];
  const rewards: number[] = [];
  const terminated: boolean[] = [];
  for (const a of t.actions) {
    const r = env.step([a]);
    observations.push(Array.from(r.observation));
    rewards.push(r.reward);
    terminated.push(r.terminated);
  }
  return { observations, rewards, terminated };
}

const ids = ['Pendulum-v1', 'MountainCarContinuous-v0'] as const;

describe('golden trajectories from Gymnasium', () => {
  it('were recorded with Gymnasium 1.x', () => {
    expect(fixture.gymnasium).toMatch(/^1\./);
    expect(fixture.numpy).toMatch(/^2\./);
  });

  for (const id of ids) {
    describe(id, () => {
      it('has several non-trivial trajectories', () => {
        expect(fixture[id].length).toBeGreaterThanOrEqual(6);
        for (const t of fixture[id]) {
          expect(t.actions.length).toBeGreaterThanOrEqual(60);
          expect(t.observations).toHaveLength(t.actions.length);
        }
      });

      for (const t of fixture[id]) {
        it(`replays "${t.name}" to within ${TOL}`, async () => {
          const run = await replay(id, t);
          let worst = 0;
          for (let i = 0; i < t.actions.length; i++) {
            expect(run.observations[i]).toHaveLength(t.observations[i].length);
            for (let k = 0; k < t.observations[i].length; k++) {
              const d = Math.abs(run.observations[i][k] - t.observations[i][k]);
              worst = Math.max(worst, d);
              if (!(d <= TOL)) {
                throw new Error(
                  `step ${i} obs[${k}]: ${run.observations[i][k]} vs Gymnasium ${t.observations[i][k]}`,
                );
              }
            }
            const dr = Math.abs(run.rewards[i] - t.rewards[i]);
            worst = Math.max(worst, dr);
            if (!(dr <= TOL))
              throw new Error(`step ${i} reward: ${run.rewards[i]} vs Gymnasium ${t.rewards[i]}`);
            if (run.terminated[i] !== t.terminated[i]) {
              throw new Error(`step ${i} terminated: ${run.terminated[i]} vs Gymnasium ${t.terminated[i]}`);
            }
          }
          expect(worst).toBeLessThanOrEqual(TOL);
        });
      }

      // The port mirrors NumPy's float32 roundings, so it is exact up to the last-ulp differences between V8's
      // and the C library's sin/cos. Doing the arithmetic in float64 instead still stays within 1e-5 but matches
      // only about two thirds of the values bit for bit.
      it('matches at least 95% of the values bit for bit (float32 bookkeeping)', async () => {
        let exact = 0;
        let total = 0;
        for (const t of fixture[id]) {
          const run = await replay(id, t);
          for (let i = 0; i < t.actions.length; i++) {
            for (let k = 0; k < t.observations[i].length; k++) {
              total++;
              if (run.observations[i][k] === t.observations[i][k]) exact++;
            }
            total++;
            if (run.rewards[i] === t.rewards[i]) exact++;
          }
        }
        expect(exact / total).toBeGreaterThanOrEqual(0.95);
      });
    });
  }

  it('cover the edge cases they are meant to (clips, walls, goal, out-of-bound actions)', () => {
    const pendulum = fixture['Pendulum-v1'];
    const thdots = pendulum.flatMap((t) => t.observations.map((o) => o[2]));
    expect(thdots).toContain(8);
    expect(thdots).toContain(-8);
    expect(pendulum.some((t) => Math.abs(t.state[0]) > Math.PI)).toBe(true);
    expect(pendulum.flatMap((t) => t.actions).some((a) => Math.abs(a) > 2)).toBe(true);

    const car = fixture['MountainCarContinuous-v0'];
    const obs = car.flatMap((t) => t.observations);
    expect(obs.some(([p, v]) => p === Math.fround(-1.2) && v === 0)).toBe(true);
    expect(obs.some(([p]) => p === Math.fround(0.6))).toBe(true);
    expect(obs.some(([, v]) => v === Math.fround(0.07))).toBe(true);
    expect(obs.some(([, v]) => v === Math.fround(-0.07))).toBe(true);
    expect(car.flatMap((t) => t.terminated)).toContain(true);
    expect(car.flatMap((t) => t.actions).some((a) => Math.abs(a) > 1)).toBe(true);
    expect(car.some((t) => t.stateDtype === 'float64')).toBe(true);
    expect(car.some((t) => t.stateDtype === 'float32')).toBe(true);
    // A state past 0.45 but moving left does not terminate.
    expect(car.some((t) => t.observations.some(([p, v], i) => p >= 0.45 && v < 0 && !t.terminated[i]))).toBe(
      true,
    );
  });

  it('MountainCar terminates at float32(0.45), below 0.45, because NumPy compares in float32', () => {
    const t = fixture['MountainCarContinuous-v0'].find((x) => x.name === 'goal boundary in float32');
    expect(t).toBeDefined();
    if (t === undefined) return;
    expect(t.observations[0][0]).toBe(Math.fround(0.45));
    expect(t.observations[0][0]).toBeLessThan(0.45);
    expect(t.terminated[0]).toBe(true);
    const env = new MountainCarContinuous();
    env.setState(t.state);
    const r = env.step([t.actions[0]]);
    expect(r.observation[0]).toBe(Math.fround(0.45));
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(t.rewards[0]);
  });
});

describe('Pendulum-v1 dynamics', () => {
  it('normalises angles into [-π, π) like NumPy (floor modulo)', () => {
    expect(angleNormalize(0)).toBe(0);
    expect(angleNormalize(3 * Math.PI + 0.1)).toBeCloseTo(-Math.PI + 0.1, 12);
    expect(angleNormalize(-3 * Math.PI - 0.1)).toBeCloseTo(Math.PI - 0.1, 12);
    expect(angleNormalize(-0.5)).toBeCloseTo(-0.5, 15);
    for (const x of [-100.3, -7.5, -Math.PI, 2.2, 9.9, 250]) {
      const y = angleNormalize(x);
      expect(y).toBeGreaterThanOrEqual(-Math.PI);
      expect(y).toBeLessThan(Math.PI);
      expect(Math.abs(Math.sin(y) - Math.sin(x))).toBeLessThan(1e-12);
    }
  });

  it('keeps the clipped float32 torque in lastAction and clears it on reset', () => {
    const env = new Pendulum();
    env.reset(3);
    expect(env.lastAction).toBeNull();
    env.step([5]);
    expect(env.lastAction).toBe(2);
    env.step([-0.3]);
    expect(env.lastAction).toBe(Math.fround(-0.3));
    env.reset();
    expect(env.lastAction).toBeNull();
  });

  it('charges the cost of the state before the step: upright, still, no torque costs 0', () => {
    const env = new Pendulum();
    env.setState([2 * Math.PI, 0]);
    const r = env.step([0]);
    expect(Math.abs(r.reward)).toBeLessThan(1e-20);
    // -(θ² + 0.1 θdot² + 0.001 u²) at θ = π/2, θdot = 2, u = 2 (after clipping 3).
    env.setState([Math.PI / 2, 2]);
    expect(env.step([3]).reward).toBeCloseTo(-((Math.PI / 2) ** 2 + 0.4 + 0.004), 6);
  });

  it('observes [cos θ, sin θ, θdot] in float32', () => {
    const env = new Pendulum();
    env.setState([1, -0.25]);
    const obs = env.observe();
    expect(obs).toBeInstanceOf(Float32Array);
    expect(Array.from(obs)).toEqual([Math.fround(Math.cos(1)), Math.fround(Math.sin(1)), -0.25]);
  });
});

describe('MountainCarContinuous-v0 dynamics', () => {
  it('draws the track as sin(3x)·0.45 + 0.55', () => {
    expect(mountainHeight(Math.PI / 6)).toBeCloseTo(1, 12);
    expect(mountainHeight(-Math.PI / 6)).toBeCloseTo(0.1, 12);
    expect(mountainHeight(0)).toBeCloseTo(0.55, 12);
  });

  it('penalises the unclipped action but pushes with the clipped force', () => {
    const a = new MountainCarContinuous();
    const b = new MountainCarContinuous();
    a.setState([-0.5, 0.01]);
    b.setState([-0.5, 0.01]);
    const ra = a.step([3]);
    const rb = b.step([1]);
    expect(ra.reward).toBeCloseTo(-0.9, 12);
    expect(rb.reward).toBeCloseTo(-0.1, 12);
    expect(Array.from(ra.observation)).toEqual(Array.from(rb.observation));
    expect(a.lastAction).toBe(1);
  });

  it('stops the car at the left wall and pays 100 at the goal', () => {
    const env = new MountainCarContinuous();
    env.setState([-1.19, -0.05]);
    const wall = env.step([-1]);
    expect(env.getState()).toEqual([Math.fround(-1.2), 0]);
    expect(wall.terminated).toBe(false);
    env.setState([0.44, 0.03]);
    const goal = env.step([0.5]);
    expect(goal.terminated).toBe(true);
    expect(goal.reward).toBeCloseTo(100 - 0.025, 12);
  });

  it('stores the state as float32 after a step, float64 after reset', () => {
    const env = new MountainCarContinuous();
    env.reset(11);
    const [p0, v0] = env.getState();
    expect(Math.fround(p0)).not.toBe(p0);
    expect(v0).toBe(0);
    env.step([0.2]);
    for (const x of env.getState()) expect(Math.fround(x)).toBe(x);
  });
});
