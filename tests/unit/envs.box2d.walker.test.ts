import { describe, expect, it } from 'vitest';
import { envSpec, makeEnv } from '../../src/envs';
import {
  BIPEDAL_WALKER_STATE_SIZE,
  BipedalWalker,
  bipedalWalkerTerrain,
  WALKER_FINISH_X,
} from '../../src/envs/box2d';

// Gymnasium 1.4 bipedal_walker.py constants, restated so that the tests check the port against them.
const SCALE = 30;
const FPS = 50;
const TERRAIN_STEP = 14 / SCALE;
const TERRAIN_HEIGHT = 400 / SCALE / 4;
const LIDAR_RANGE = 160 / SCALE;
const MOTORS_TORQUE = 80;
const HULL_POLY = [
  [-30, 9],
  [6, 9],
  [34, 1],
  [34, -8],
  [-30, -8],
].map(([x, y]) => [x / SCALE, y / SCALE]);
const LEG_W = 8 / SCALE;
const LEG_H = 34 / SCALE;
const LOWER_OUTLINE = [
  [-0.4 * LEG_W, -LEG_H / 2],
  [0.4 * LEG_W, -LEG_H / 2],
  [0.4 * LEG_W, LEG_H / 2],
  [-0.4 * LEG_W, LEG_H / 2],
];

/** Offsets into getState(): [seed, game over, contact 0, contact 1, hull, upper 0, lower 0, upper 1, lower 1]. */
const HULL = 4;
const UPPER0 = 10;
const LOWER0 = 16;
const UPPER1 = 22;
const LOWER1 = 28;
const BODIES = [HULL, UPPER0, LOWER0, UPPER1, LOWER1];

type Terrain = { x: number[]; y: number[] };

/** Where a ray from p along d (length 1 = the lidar range) first meets the terrain polyline, as a fraction. */
function rayFraction(t: Terrain, px: number, py: number, dx: number, dy: number): number {
  let best = 1;
  for (let i = 0; i < t.x.length - 1; i++) {
    const ex = t.x[i + 1] - t.x[i];
    const ey = t.y[i + 1] - t.y[i];
    const den = dx * ey - dy * ex;
    if (den === 0) continue;
    const wx = t.x[i] - px;
    const wy = t.y[i] - py;
    const f = (wx * ey - wy * ex) / den;
    const u = (wx * dy - wy * dx) / den;
    if (f >= 0 && f <= best && u >= 0 && u <= 1) best = f;
  }
  return best;
}

/** Gymnasium's 24 state numbers (before the float32 cast), from a getState() vector and the terrain. */
function gymState(s: number[], t: Terrain): number[] {
  const [hx, hy, ha, vx, vy, hw] = s.slice(HULL, HULL + 6);
  const angle = (o: number) => s[o + 2];
  const omega = (o: number) => s[o + 5];
  const lidar = Array.from({ length: 10 }, (_, i) =>
    rayFraction(t, hx, hy, Math.sin((1.5 * i) / 10) * LIDAR_RANGE, -Math.cos((1.5 * i) / 10) * LIDAR_RANGE),
  );
  return [
    ha,
    (2.0 * hw) / FPS,
    (0.3 * vx * (600 / SCALE)) / FPS,
    (0.3 * vy * (400 / SCALE)) / FPS,
    angle(UPPER0) - ha,
    (omega(UPPER0) - hw) / 4,
    angle(LOWER0) - angle(UPPER0) + 1.0,
    (omega(LOWER0) - omega(UPPER0)) / 6,
    s[2],
    angle(UPPER1) - ha,
    (omega(UPPER1) - hw) / 4,
    angle(LOWER1) - angle(UPPER1) + 1.0,
    (omega(LOWER1) - omega(UPPER1)) / 6,
    s[3],
    ...lidar,
  ];
}

function shaping(s: number[]): number {
  return (130 * s[HULL]) / SCALE - 5.0 * Math.abs(s[HULL + 2]);
}

function torqueCost(action: number[]): number {
  return action.reduce((sum, a) => sum + 0.00035 * MOTORS_TORQUE * Math.min(Math.abs(a), 1), 0);
}

/** World corners of a body's outline, from its pose in a getState() vector. */
function corners(s: number[], offset: number, outline: number[][]): number[][] {
  const [x, y, a] = s.slice(offset, offset + 3);
  return outline.map(([px, py]) => [
    x + px * Math.cos(a) - py * Math.sin(a),
    y + px * Math.sin(a) + py * Math.cos(a),
  ]);
}

function groundAt(t: Terrain, x: number): number {
  const i = Math.min(Math.floor(x / TERRAIN_STEP), t.x.length - 2);
  const f = (x - t.x[i]) / (t.x[i + 1] - t.x[i]);
  return t.y[i] + f * (t.y[i + 1] - t.y[i]);
}

function clearance(t: Terrain, pts: number[][]): number {
  return Math.min(...pts.map(([x, y]) => y - groundAt(t, x)));
}

/** The state with every body moved by (dx, dy) and its angle turned by `turn` (positions kept). */
function shifted(s: number[], dx: number, dy: number, turn = 0): number[] {
  const out = [...s];
  for (const o of BODIES) {
    out[o] += dx;
    out[o + 1] += dy;
    out[o + 2] += turn;
  }
  return out;
}

/** A deterministic gait-like action sequence, some components beyond ±1. */
function action(i: number): number[] {
  return [Math.sin(i * 0.3) * 1.3, Math.cos(i * 0.25), Math.sin(i * 0.3 + 2), Math.cos(i * 0.25 + 2) * 0.6];
}

describe('BipedalWalker-v3 spec and registry', () => {
  it('is registered lazily with Gymnasium sizes, bounds and time limit', async () => {
    const env = await makeEnv('BipedalWalker-v3');
    expect(env).toBeInstanceOf(BipedalWalker);
    const spec = {
      id: 'BipedalWalker-v3',
      observationSize: 24,
      actionSize: 4,
      actionLow: [-1, -1, -1, -1],
      actionHigh: [1, 1, 1, 1],
      maxEpisodeSteps: 1600,
    };
    expect(env.spec).toEqual(spec);
    expect(envSpec('BipedalWalker-v3')).toEqual(spec);
    expect(env.exactRestore).toBe(false);
    const obs = env.reset(0);
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs).toHaveLength(24);
    expect(env.step([0, 0, 0, 0]).observation).toHaveLength(24);
    expect(env.getState()).toHaveLength(BIPEDAL_WALKER_STATE_SIZE);
    expect(BIPEDAL_WALKER_STATE_SIZE).toBe(34);
  });

  it('observes hull, joints (reference angle 0), contacts and lidar as Gymnasium scales them', () => {
    const env = new BipedalWalker();
    const obs = env.reset(3);
    const t = env.walkerTerrain;
    // Right after reset: the legs start at ±0.05 rad and the knees near their -0.1 limit, so about 0.9.
    expect(Math.abs(obs[4])).toBeLessThan(0.2);
    expect(obs[6]).toBeGreaterThan(0.6);
    for (let i = 0; i < 40; i++) {
      const r = env.step(action(i));
      const expected = gymState(env.getState(), t);
      for (let k = 0; k < 24; k++) {
        const d = Math.abs(r.observation[k] - expected[k]);
        if (!(d <= 1e-6 * Math.max(1, Math.abs(expected[k])))) {
          throw new Error(
            `step ${i} obs[${k}] = ${r.observation[k]}, Gymnasium's formula gives ${expected[k]}`,
          );
        }
      }
      expect(Array.from(env.observe())).toEqual(Array.from(r.observation));
    }
  });
});

describe('BipedalWalker-v3 terrain', () => {
  it('is Gymnasium’s normal terrain: a flat start pad, then a damped random walk with a pause after each patch', () => {
    const t = bipedalWalkerTerrain(5);
    expect(t.x).toHaveLength(200);
    expect(t.y).toHaveLength(200);
    t.x.forEach((x, i) => {
      expect(x).toBeCloseTo(i * TERRAIN_STEP, 12);
    });
    for (let i = 0; i <= 20; i++) expect(t.y[i]).toBe(TERRAIN_HEIGHT);
    // velocity = 0.8 velocity + 0.01 sign(TERRAIN_HEIGHT - y) + U(-1, 1)/SCALE; y += velocity. The step after
    // each new grass patch keeps y and the velocity.
    let velocity = 0;
    let pauses = 0;
    const noises: number[] = [];
    for (let i = 21; i < 200; i++) {
      const dy = t.y[i] - t.y[i - 1];
      if (dy === 0) {
        pauses++;
        continue;
      }
      const noise = dy - (0.8 * velocity + 0.01 * Math.sign(TERRAIN_HEIGHT - t.y[i - 1]));
      expect(Math.abs(noise)).toBeLessThanOrEqual(1 / SCALE + 1e-12);
      noises.push(noise);
      velocity = dy;
    }
    // Patches are 5 to 9 steps long: 179 steps hold 18 to 36 pauses.
    expect(pauses).toBeGreaterThanOrEqual(18);
    expect(pauses).toBeLessThanOrEqual(36);
    expect(Math.max(...noises) - Math.min(...noises)).toBeGreaterThan(1 / SCALE);
    expect(t.clouds).toHaveLength(10);
    for (const c of t.clouds) expect(c).toHaveLength(10);
    expect(bipedalWalkerTerrain(5)).toEqual(t);
    expect(bipedalWalkerTerrain(6).y).not.toEqual(t.y);
  });

  it('comes from the reset seed: same seed, same terrain; different seeds differ', () => {
    const a = new BipedalWalker();
    const b = new BipedalWalker();
    a.reset(4);
    b.reset(4);
    expect(a.walkerTerrain).toEqual(b.walkerTerrain);
    expect(a.walkerTerrain).toEqual(bipedalWalkerTerrain(a.getState()[0]));
    b.reset(5);
    expect(b.walkerTerrain.y).not.toEqual(a.walkerTerrain.y);
  });
});

describe('BipedalWalker-v3 lidar and leg contacts', () => {
  it('reads 10 lidar fractions in [0, 1], matching rays cast against the terrain', () => {
    const env = new BipedalWalker();
    const obs = env.reset(1);
    // Standing on the start pad, the steep rays hit the ground and the shallow last ones do not.
    expect(Math.max(...obs.slice(14, 22))).toBeLessThan(1);
    expect(Array.from(obs.slice(22))).toEqual([1, 1]);
    for (let i = 0; i < 60; i++) {
      const r = env.step(action(i));
      const s = env.getState();
      r.observation.slice(14).forEach((f, k) => {
        expect(f >= 0 && f <= 1).toBe(true);
        const dx = Math.sin((1.5 * k) / 10) * LIDAR_RANGE;
        const dy = -Math.cos((1.5 * k) / 10) * LIDAR_RANGE;
        expect(f).toBeCloseTo(rayFraction(env.walkerTerrain, s[HULL], s[HULL + 1], dx, dy), 6);
      });
    }
    // Lifted 10 m, nothing is in range.
    env.setState(shifted(env.getState(), 0, 10));
    expect(Array.from(env.observe().slice(14))).toEqual(new Array(10).fill(1));
  });

  it('sets a contact flag when its lower leg touches the ground, and clears it in the air', () => {
    const env = new BipedalWalker();
    env.reset(0);
    const t = env.walkerTerrain;
    const seen = [false, false];
    for (let i = 0; i < 30; i++) {
      const r = env.step([0.2, -0.2, 0.2, -0.2]);
      const s = env.getState();
      [LOWER0, LOWER1].forEach((o, k) => {
        const gap = clearance(t, corners(s, o, LOWER_OUTLINE));
        if (r.observation[8 + 5 * k] === 1) {
          seen[k] = true;
          expect(gap).toBeLessThan(0.1);
        }
        if (gap > 0.1) expect(r.observation[8 + 5 * k]).toBe(0);
      });
    }
    expect(seen).toEqual([true, true]);
    // Restored 2 m up with the flags still set: the first step finds no contact.
    const up = shifted(env.getState(), 0, 2);
    up[2] = 1;
    up[3] = 1;
    env.setState(up);
    expect(Array.from(env.observe().slice(8, 14))).toEqual(expect.arrayContaining([1]));
    const r = env.step([0, 0, 0, 0]);
    expect([r.observation[8], r.observation[13]]).toEqual([0, 0]);
  });
});

describe('BipedalWalker-v3 motors and rewards', () => {
  /** Hip 0 and knee 0 speeds (observation units) one step after reset(2) with `a`. */
  function speeds(a: number[]): number[] {
    const env = new BipedalWalker();
    env.reset(2);
    const r = env.step(a);
    return [r.observation[5], r.observation[7]];
  }

  it('drives each joint toward sign(a) times its speed, with torque 80·|a| clipped to 80', () => {
    const [hipOff, kneeOff] = speeds([0, 0, 0, 0]);
    const [hipUp] = speeds([1, 0, 0, 0]);
    const [hipHalf] = speeds([0.3, 0, 0, 0]);
    const [hipDown] = speeds([-1, 0, 0, 0]);
    expect(hipUp).toBeGreaterThan(hipHalf);
    expect(hipHalf).toBeGreaterThan(hipOff);
    expect(hipDown).toBeLessThan(hipOff);
    expect(speeds([2, 0, 0, 0])[0]).toBe(hipUp);
    const [, kneeUp] = speeds([0, 1, 0, 0]);
    expect(kneeUp).toBeGreaterThan(kneeOff);
    // In the air the motors reach their speeds: hip 4 rad/s and knee 6 rad/s read as 1 in the observation.
    const env = new BipedalWalker();
    env.reset(2);
    env.setState(shifted(env.getState(), 0, 3));
    const hip: number[] = [];
    const knee: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = env.step([-1, 1, -1, 1]);
      hip.push(r.observation[5]);
      knee.push(r.observation[7]);
    }
    expect(Math.min(...hip)).toBeCloseTo(-1, 2);
    expect(Math.max(...knee)).toBeCloseTo(1, 2);
  });

  it('pays 130/SCALE per metre forward, -5 per radian of hull tilt, and 0.00035·80·|a| per motor', () => {
    const env = new BipedalWalker();
    let checked = 0;
    for (const seed of [1, 2]) {
      env.reset(seed);
      for (let i = 0; i < 80; i++) {
        const a = action(i);
        const before = env.getState();
        const r = env.step(a);
        if (r.terminated) break;
        expect(r.reward).toBeCloseTo(shaping(env.getState()) - shaping(before) - torqueCost(a), 9);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('BipedalWalker-v3 terminations', () => {
  it('ends with -100 when the hull touches the ground', () => {
    const env = new BipedalWalker();
    env.reset(0);
    let r = env.step([0, 0, 0, 0]);
    let steps = 1;
    while (!r.terminated && steps < 400) {
      expect(r.reward).not.toBe(-100);
      r = env.step([0, 0, 0, 0]);
      steps++;
    }
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(-100);
    const s = env.getState();
    expect(s[1]).toBe(1);
    expect(clearance(env.walkerTerrain, corners(s, HULL, HULL_POLY))).toBeLessThan(0.05);
  });

  it('ends with -100 left of x = 0, and without penalty past the end of the terrain', () => {
    const env = new BipedalWalker();
    env.reset(0);
    const start = env.getState();
    const t = env.walkerTerrain;

    env.setState(shifted(start, -0.3 - start[HULL], 1));
    let r = env.step([0, 0, 0, 0]);
    expect([r.terminated, r.reward]).toEqual([true, -100]);
    expect(env.getState()[1]).toBe(0);

    const lift = (x: number) =>
      Math.max(...t.y.slice(Math.floor((x - 2) / TERRAIN_STEP))) - TERRAIN_HEIGHT + 1;
    for (const [x, ends] of [
      [WALKER_FINISH_X + 0.1, true],
      [WALKER_FINISH_X - 1, false],
    ] as const) {
      const s = shifted(start, x - start[HULL], lift(x));
      env.setState(s);
      r = env.step([0.5, 0, 0, -0.5]);
      expect(r.terminated).toBe(ends);
      expect(r.reward).toBeCloseTo(shaping(env.getState()) - shaping(s) - torqueCost([0.5, 0, 0, -0.5]), 9);
      expect(env.getState()[1]).toBe(0);
    }
    expect(WALKER_FINISH_X).toBeCloseTo(190 * TERRAIN_STEP, 12);
  });
});

describe('BipedalWalker-v3 seeding and state save and restore', () => {
  it('repeats a trajectory exactly for the same seed and actions; different seeds differ', () => {
    const run = (seed: number) => {
      const env = new BipedalWalker();
      const out: number[][] = [Array.from(env.reset(seed))];
      for (let i = 0; i < 60; i++) {
        const r = env.step(action(i));
        out.push([...Array.from(r.observation), r.reward, Number(r.terminated)]);
      }
      out.push(env.getState());
      return out;
    };
    const a = run(21);
    expect(run(21)).toEqual(a);
    expect(run(22)[10]).not.toEqual(a[10]);
  });

  it('continues the reset stream without a seed; a fresh env starts from seed 0 or its constructor seed', () => {
    const a = new BipedalWalker();
    const b = new BipedalWalker();
    a.reset(42);
    b.reset(42);
    a.reset();
    b.reset();
    expect(a.getState()).toEqual(b.getState());
    const fresh = new BipedalWalker();
    fresh.reset();
    a.reset(0);
    expect(fresh.getState()).toEqual(a.getState());
    const seeded = new BipedalWalker(7);
    seeded.reset();
    a.reset(7);
    expect(seeded.getState()).toEqual(a.getState());
    expect(seeded.getState()).not.toEqual(fresh.getState());
  });

  it('round-trips getState / setState exactly; restored envs continue identically, close to the original', () => {
    const a = new BipedalWalker();
    const c = new BipedalWalker();
    a.reset(8);
    c.reset(8);
    for (let i = 0; i < 30; i++) {
      a.step(action(i));
      c.step(action(i));
    }
    const state = a.getState();
    const b = new BipedalWalker();
    b.setState(state);
    expect(b.getState()).toEqual(state);
    expect(Array.from(b.observe())).toEqual(Array.from(a.observe()));
    a.setState(state);
    for (let i = 30; i < 45; i++) {
      const ra = a.step(action(i));
      const rb = b.step(action(i));
      const rc = c.step(action(i));
      expect(Array.from(rb.observation)).toEqual(Array.from(ra.observation));
      expect(rb.reward).toBe(ra.reward);
      // The unrestored run: same physics, fresh contact caches (contact flags may differ for a step or two).
      for (const k of [0, 1, 2, 3, 4, 6, 9, 11]) {
        expect(Math.abs(rc.observation[k] - ra.observation[k])).toBeLessThan(1e-2);
      }
    }
    expect(b.getState()).toEqual(a.getState());
  });

  it('keeps body angles unwrapped through a restore, so the joints keep their angles', () => {
    const a = new BipedalWalker();
    const b = new BipedalWalker();
    a.reset(3);
    for (let i = 0; i < 10; i++) a.step(action(i));
    const state = shifted(a.getState(), 0, 1);
    a.setState(state);
    b.setState(shifted(state, 0, 0, 4 * Math.PI));
    expect(b.getState()[HULL + 2]).toBe(state[HULL + 2] + 4 * Math.PI);
    const ra = a.step([0.5, 0.5, 0.5, 0.5]);
    const rb = b.step([0.5, 0.5, 0.5, 0.5]);
    expect(rb.observation[0] - ra.observation[0]).toBeCloseTo(4 * Math.PI, 4);
    for (let k = 1; k < 24; k++) expect(rb.observation[k]).toBeCloseTo(ra.observation[k], 4);
  });

  it('leaves the step counter alone', () => {
    const env = new BipedalWalker();
    env.reset(1);
    const saved = env.getState();
    for (let i = 0; i < 100; i++) env.step([0, 0, 0, 0]);
    env.setState(saved);
    expect(env.elapsedSteps).toBe(100);
  });
});

describe('BipedalWalker-v3 argument checks and time limit', () => {
  it('throws on NaN, infinite and wrong-length actions without changing anything', () => {
    const env = new BipedalWalker();
    env.reset(9);
    env.step([0.5, 0, 0, 0]);
    const state = env.getState();
    expect(() => env.step([0, Number.NaN, 0, 0])).toThrow(/NaN/);
    expect(() => env.step([0, 0, Number.NEGATIVE_INFINITY, 0])).toThrow(/Infinity/);
    expect(() => env.step([0, 0])).toThrow(/length 4/);
    expect(env.getState()).toEqual(state);
    expect(env.elapsedSteps).toBe(1);
  });

  it('throws on bad seeds and bad states, and on use before reset', () => {
    const env = new BipedalWalker();
    expect(() => env.step([0, 0, 0, 0])).toThrow(/reset/);
    expect(() => env.getState()).toThrow(/reset/);
    expect(() => env.reset(2 ** 32)).toThrow(/seed/);
    const other = new BipedalWalker();
    other.reset(1);
    const good = other.getState();
    expect(() => env.setState(good.slice(1))).toThrow(/length 34/);
    expect(() => env.setState([...good.slice(0, 6), Number.NaN, ...good.slice(7)])).toThrow(/NaN/);
    expect(() => env.setState([-1, ...good.slice(1)])).toThrow(/seed/);
    expect(() => env.setState([good[0], 0, 2, ...good.slice(3)])).toThrow(/flag/);
    env.setState(good);
    expect(env.step([0, 0, 0, 0]).observation).toHaveLength(24);
  });

  it('truncates exactly at 1600 steps, stays truncated beyond, and reset zeroes the counter', () => {
    const env = new BipedalWalker();
    env.reset(0);
    for (let i = 1; i < 1600; i++) {
      if (env.step([0, 0, 0, 0]).truncated) throw new Error(`truncated early, at step ${i}`);
    }
    expect(env.step([0, 0, 0, 0]).truncated).toBe(true);
    expect(env.step([0, 0, 0, 0]).truncated).toBe(true);
    env.reset();
    expect(env.step([0, 0, 0, 0]).truncated).toBe(false);
  });
});

describe('BipedalWalker-v3 drawing', () => {
  it('gives a view following the hull and polygons in world coordinates', () => {
    const env = new BipedalWalker();
    env.reset(4);
    const s = env.getState();
    const view = env.view();
    expect(view.x).toBeCloseTo(s[HULL] - 600 / SCALE / 5, 12);
    expect([view.width, view.height]).toEqual([600 / SCALE, 400 / SCALE]);
    const polys = env.polygons();
    // Sky, 10 clouds, 199 ground polygons, 4 leg parts, hull.
    expect(polys).toHaveLength(215);
    for (const p of polys) expect(p.vertices.every(Number.isFinite)).toBe(true);
    const hull = polys[214].vertices;
    corners(s, HULL, HULL_POLY)
      .flat()
      .forEach((v, i) => {
        expect(hull[i]).toBeCloseTo(v, 9);
      });
  });
});
