import { describe, expect, it } from 'vitest';
import { envSpec, makeEnv } from '../../src/envs';
import {
  LANDER_HELIPAD_Y,
  LUNAR_LANDER_STATE_SIZE,
  LunarLanderContinuous,
  lunarLanderTerrain,
} from '../../src/envs/box2d';

// Gymnasium 1.4 lunar_lander.py constants, restated so that the tests check the port against them.
const SCALE = 30;
const W = 600 / SCALE;
const H = 400 / SCALE;
const FPS = 50;
const LEG_DOWN = 18;
const LANDER_POLY = [
  [-14, 17],
  [-17, 0],
  [-17, -10],
  [17, -10],
  [17, 0],
  [14, 17],
].map(([x, y]) => [x / SCALE, y / SCALE]);
const LEG_BOX = [2 / SCALE, 8 / SCALE];

/** Offsets into getState(): [seed, game over, contact 0, contact 1, lander ×6, leg 0 ×6, leg 1 ×6]. */
const LANDER = 4;
const LEG0 = 10;
const LEG1 = 16;

/** Gymnasium's 8 state numbers (before the float32 cast), from a getState() vector. */
function gymState(s: number[]): number[] {
  const [x, y, angle, vx, vy, w] = s.slice(LANDER, LANDER + 6);
  return [
    (x - W / 2) / (W / 2),
    (y - (H / 4 + LEG_DOWN / SCALE)) / (H / 2),
    (vx * (W / 2)) / FPS,
    (vy * (H / 2)) / FPS,
    angle,
    (20.0 * w) / FPS,
    s[2],
    s[3],
  ];
}

function shaping(st: number[]): number {
  return (
    -100 * Math.hypot(st[0], st[1]) -
    100 * Math.hypot(st[2], st[3]) -
    100 * Math.abs(st[4]) +
    10 * st[6] +
    10 * st[7]
  );
}

/** Gymnasium's engine powers for a continuous action: main only when > 0, sides only when |lateral| > 0.5. */
function powers(action: number[]): [number, number] {
  const [main, lateral] = action.map((a) => Math.min(Math.max(a, -1), 1));
  const m = main > 0 ? (Math.min(main, 1) + 1) * 0.5 : 0;
  const s = Math.abs(lateral) > 0.5 ? Math.min(Math.max(Math.abs(lateral), 0.5), 1) : 0;
  return [m, s];
}

/** World corners of a body's outline, from its pose in a getState() vector. */
function corners(s: number[], offset: number, outline: number[][]): number[][] {
  const [x, y, a] = s.slice(offset, offset + 3);
  return outline.map(([px, py]) => [
    x + px * Math.cos(a) - py * Math.sin(a),
    y + px * Math.sin(a) + py * Math.cos(a),
  ]);
}

const LEG_OUTLINE = [
  [-LEG_BOX[0], -LEG_BOX[1]],
  [LEG_BOX[0], -LEG_BOX[1]],
  [LEG_BOX[0], LEG_BOX[1]],
  [-LEG_BOX[0], LEG_BOX[1]],
];

/** The height of the lander's terrain at x (the chunk polyline). */
function groundAt(env: LunarLanderContinuous, x: number): number {
  const t = env.landerTerrain;
  for (let i = 0; i < t.chunkX.length - 1; i++) {
    if (x >= t.chunkX[i] && x <= t.chunkX[i + 1]) {
      const f = (x - t.chunkX[i]) / (t.chunkX[i + 1] - t.chunkX[i]);
      return t.smoothY[i] + f * (t.smoothY[i + 1] - t.smoothY[i]);
    }
  }
  throw new Error(`x ${x} outside the terrain`);
}

/** Lowest gap between a body's corners and the terrain. */
function clearance(env: LunarLanderContinuous, pts: number[][]): number {
  return Math.min(...pts.map(([x, y]) => y - groundAt(env, x)));
}

/** A deterministic action sequence that fires every engine now and then. */
function action(i: number): number[] {
  return [Math.sin(i * 0.9) * 1.2, Math.cos(i * 0.6) * 1.1];
}

/** A state with the lander upright above the pad centre, legs at their limits, lowest leg corner `gap` up. */
function standingState(seed: number, gap: number): number[] {
  const ground = 0.99 * LANDER_HELIPAD_Y;
  // Legs at the joint limits (0.4 and -0.4 rad): the leg centre is R(θ)·(-localAnchorB) from the lander origin.
  const legs = [
    [-1, 0.4],
    [1, -0.4],
  ].map(([i, th]) => {
    const [lx, ly] = [(-i * 20) / SCALE, -LEG_DOWN / SCALE];
    return [lx * Math.cos(th) - ly * Math.sin(th), lx * Math.sin(th) + ly * Math.cos(th), th];
  });
  const lowest = Math.min(
    ...legs.flatMap(([, cy, th]) =>
      LEG_OUTLINE.map(([px, py]) => cy + px * Math.sin(th) + py * Math.cos(th)),
    ),
  );
  const y0 = ground - lowest + gap;
  return [
    seed,
    0,
    0,
    0,
    W / 2,
    y0,
    0,
    0,
    0,
    0,
    ...legs.flatMap(([cx, cy, th]) => [W / 2 + cx, y0 + cy, th, 0, 0, 0]),
  ];
}

describe('LunarLanderContinuous-v3 spec and registry', () => {
  it('is registered lazily with Gymnasium sizes, bounds and time limit', async () => {
    const env = await makeEnv('LunarLanderContinuous-v3');
    expect(env).toBeInstanceOf(LunarLanderContinuous);
    const spec = {
      id: 'LunarLanderContinuous-v3',
      observationSize: 8,
      actionSize: 2,
      actionLow: [-1, -1],
      actionHigh: [1, 1],
      maxEpisodeSteps: 1000,
    };
    expect(env.spec).toEqual(spec);
    expect(envSpec('LunarLanderContinuous-v3')).toEqual(spec);
    expect(env.exactRestore).toBe(false);
    const obs = env.reset(0);
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs).toHaveLength(8);
    expect(env.step([0, 0]).observation).toHaveLength(8);
    expect(env.getState()).toHaveLength(LUNAR_LANDER_STATE_SIZE);
    expect(LUNAR_LANDER_STATE_SIZE).toBe(22);
  });

  it('observes Gymnasium’s scaled state, rounded to float32', () => {
    const env = new LunarLanderContinuous();
    env.reset(3);
    for (let i = 0; i < 30; i++) {
      const r = env.step(action(i));
      expect(Array.from(r.observation)).toEqual(gymState(env.getState()).map(Math.fround));
      expect(Array.from(env.observe())).toEqual(Array.from(r.observation));
    }
  });
});

describe('LunarLanderContinuous-v3 terrain and reset', () => {
  it('builds 11 chunks with a flat helipad from x = 8 to 12, seeded', () => {
    const t = lunarLanderTerrain(17);
    expect(t.chunkX).toHaveLength(11);
    t.chunkX.forEach((x, i) => {
      expect(x).toBeCloseTo(2 * i, 12);
    });
    expect([t.helipadX1, t.helipadX2]).toEqual([t.chunkX[4], t.chunkX[6]]);
    expect(t.helipadX1).toBeCloseTo(8, 12);
    expect(t.helipadY).toBeCloseTo(H / 4, 12);
    // Heights 3..7 are the helipad's; smoothing averages three of them (with Gymnasium's 0.33, not 1/3).
    for (const i of [4, 5, 6]) expect(t.smoothY[i]).toBeCloseTo(0.33 * 3 * (H / 4), 12);
    for (const y of t.smoothY) expect(y >= 0 && y <= 0.99 * (H / 2)).toBe(true);
    expect(lunarLanderTerrain(17)).toEqual(t);
    expect(lunarLanderTerrain(18).smoothY).not.toEqual(t.smoothY);
  });

  it('draws the terrain from the reset seed: same seed, same terrain; different seeds differ', () => {
    const a = new LunarLanderContinuous();
    const b = new LunarLanderContinuous();
    a.reset(5);
    b.reset(5);
    expect(a.landerTerrain).toEqual(b.landerTerrain);
    expect(a.landerTerrain).toEqual(lunarLanderTerrain(a.getState()[0]));
    b.reset(6);
    expect(b.landerTerrain.smoothY).not.toEqual(a.landerTerrain.smoothY);
  });

  it('pushes the lander with a random force of up to 1000 N on each axis', () => {
    const env = new LunarLanderContinuous();
    // Lander mass: density 5 times the polygon's area (shoelace).
    let area = 0;
    for (let i = 0; i < LANDER_POLY.length; i++) {
      const [x1, y1] = LANDER_POLY[i];
      const [x2, y2] = LANDER_POLY[(i + 1) % LANDER_POLY.length];
      area += (x1 * y2 - x2 * y1) / 2;
    }
    const maxDv = (1000 / (5 * area)) * (1 / FPS);
    const vx: number[] = [];
    for (let seed = 0; seed < 40; seed++) {
      env.reset(seed);
      const s = env.getState();
      vx.push(s[LANDER + 3]);
      expect(s[LANDER]).toBeCloseTo(W / 2 + s[LANDER + 3] / FPS, 2);
      // The reset's own step lets gravity act for 1/50 s; the legs' joints pull a little.
      expect(s[LANDER + 4]).toBeLessThan(maxDv * 1.05);
      expect(s[LANDER + 4]).toBeGreaterThan(-maxDv * 1.05 - 0.25);
    }
    for (const v of vx) expect(Math.abs(v)).toBeLessThan(maxDv * 1.05);
    expect(Math.max(...vx)).toBeGreaterThan(maxDv / 3);
    expect(Math.min(...vx)).toBeLessThan(-maxDv / 3);
  });

  it('agrees with pybox2d on the reset step (Gymnasium 1.4’s documented reset(seed=42) observation)', () => {
    // gymnasium/wrappers/transform_observation.py doctest: LunarLander-v3, reset(seed=42).
    const gym = [0.00229702, 1.4181306, 0.2326471, 0.3204666, -0.00265488, -0.05269805];
    // Our streams push the lander differently, but within one step the legs' joints couple the spin to the
    // sideways speed by a fixed ratio, and the height is affine in the vertical speed.
    const env = new LunarLanderContinuous();
    const obs = [0, 1, 2, 3, 4, 5].map((seed) => Array.from(env.reset(seed)));
    for (const o of obs) expect(o[5] / o[2]).toBeCloseTo(gym[5] / gym[2], 5);
    const [a, b] = [obs[0], obs[3]];
    const slope = (b[1] - a[1]) / (b[3] - a[3]);
    expect(Math.abs(a[1] + slope * (gym[3] - a[3]) - gym[1])).toBeLessThan(3e-6);
  });

  it('repeats a trajectory exactly for the same seed and actions; different seeds differ', () => {
    const run = (seed: number) => {
      const env = new LunarLanderContinuous();
      const out: number[][] = [Array.from(env.reset(seed))];
      for (let i = 0; i < 80; i++) {
        const r = env.step(action(i));
        out.push([...Array.from(r.observation), r.reward, Number(r.terminated)]);
      }
      out.push(env.getState());
      return out;
    };
    const a = run(12);
    expect(run(12)).toEqual(a);
    expect(run(13)[5]).not.toEqual(a[5]);
  });

  it('continues the reset stream without a seed; a fresh env starts from seed 0 or its constructor seed', () => {
    const a = new LunarLanderContinuous();
    const b = new LunarLanderContinuous();
    a.reset(42);
    b.reset(42);
    a.reset();
    b.reset();
    expect(a.getState()).toEqual(b.getState());
    const second = a.getState();
    a.reset();
    expect(a.getState()).not.toEqual(second);
    const fresh = new LunarLanderContinuous();
    fresh.reset();
    a.reset(0);
    expect(fresh.getState()).toEqual(a.getState());
    const seeded = new LunarLanderContinuous(7);
    seeded.reset();
    a.reset(7);
    expect(seeded.getState()).toEqual(a.getState());
  });
});

describe('LunarLanderContinuous-v3 engines and rewards', () => {
  /** State after one step from reset(4) with `a`: the dispersion noise is the same for every action. */
  function stateAfter(a: number[]): number[] {
    const env = new LunarLanderContinuous();
    env.reset(4);
    env.step(a);
    return env.getState();
  }

  it('fires the main engine only for main > 0, at 50% to 100% power', () => {
    const off = stateAfter([0, 0]);
    expect(stateAfter([-1, 0])).toEqual(off);
    expect(stateAfter([-0.3, 0.2])).toEqual(off);
    const dvy = (a: number[]) => stateAfter(a)[LANDER + 4] - off[LANDER + 4];
    const full = dvy([1, 0]);
    // Impulse ≈ 13 · power · 4/30 N·s on about 5 kg.
    expect(full).toBeGreaterThan(0.25);
    expect(full).toBeLessThan(0.45);
    expect(dvy([1e-9, 0]) / full).toBeCloseTo(0.5, 2);
    expect(dvy([0.5, 0]) / full).toBeCloseTo(0.75, 2);
    expect(dvy([3, 0])).toBe(full);
  });

  it('fires a side engine only for |lateral| > 0.5, pushing and turning the lander', () => {
    const off = stateAfter([0, 0]);
    expect(stateAfter([0, 0.5])).toEqual(off);
    expect(stateAfter([0, -0.5])).toEqual(off);
    const right = stateAfter([0, 1]);
    const left = stateAfter([0, -1]);
    expect(right[LANDER + 3]).toBeGreaterThan(off[LANDER + 3] + 0.02);
    expect(right[LANDER + 5]).toBeLessThan(off[LANDER + 5] - 0.05);
    expect(left[LANDER + 3]).toBeLessThan(off[LANDER + 3] - 0.02);
    expect(left[LANDER + 5]).toBeGreaterThan(off[LANDER + 5] + 0.05);
    const half = stateAfter([0, 0.51]);
    expect((half[LANDER + 5] - off[LANDER + 5]) / (right[LANDER + 5] - off[LANDER + 5])).toBeCloseTo(0.51, 1);
  });

  it('pays the shaping difference minus 0.3 per main-engine power and 0.03 per side-engine power', () => {
    const env = new LunarLanderContinuous();
    const actions = [
      [0, 0],
      [1, 0],
      [0.2, 0],
      [-0.7, 0.4],
      [0, 0.9],
      [0, -0.6],
      [2, -3],
      [0.5, 0.5],
      [1e-6, 0.51],
    ];
    let checked = 0;
    for (const seed of [1, 2]) {
      env.reset(seed);
      for (let i = 0; i < 60; i++) {
        const a = actions[i % actions.length];
        const before = env.getState();
        const r = env.step(a);
        if (r.terminated) break;
        const [m, s] = powers(a);
        const expected = shaping(gymState(env.getState())) - shaping(gymState(before)) - m * 0.3 - s * 0.03;
        expect(r.reward).toBeCloseTo(expected, 9);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
  });
});

describe('LunarLanderContinuous-v3 terminations', () => {
  it('ends with -100 when |x| reaches 1 (out of the viewport), and not before', () => {
    const env = new LunarLanderContinuous();
    env.reset(2);
    const base = env.getState();
    const moved = (x: number, vx: number) => {
      const s = [...base];
      for (const o of [LANDER, LEG0, LEG1]) {
        s[o] += x - base[LANDER];
        s[o + 3] = vx;
      }
      return s;
    };
    env.setState(moved(W - 0.05, 6));
    let r = env.step([0, 0]);
    expect(r.observation[0]).toBeGreaterThanOrEqual(1);
    expect([r.terminated, r.reward]).toEqual([true, -100]);

    env.setState(moved(0.05, -6));
    r = env.step([0, 0]);
    expect(r.observation[0]).toBeLessThanOrEqual(-1);
    expect([r.terminated, r.reward]).toEqual([true, -100]);

    env.setState(moved(W - 0.5, 6));
    r = env.step([0, 0]);
    expect(r.observation[0]).toBeLessThan(1);
    expect(r.terminated).toBe(false);
    expect(r.reward).not.toBe(-100);
  });

  it('sets the leg contacts when the legs touch the ground, then ends with -100 when the body hits it', () => {
    const env = new LunarLanderContinuous();
    env.reset(1);
    let firstContact = -1;
    let last = env.step([0, 0]);
    for (let i = 1; i < 300 && !last.terminated; i++) {
      const s = env.getState();
      const legGaps = [LEG0, LEG1].map((o) => clearance(env, corners(s, o, LEG_OUTLINE)));
      if (firstContact < 0) {
        if (last.observation[6] === 1 || last.observation[7] === 1) {
          firstContact = i;
          // The touching leg is at the ground (Box2D's polygon skin is 0.01).
          for (const k of [0, 1]) if (last.observation[6 + k] === 1) expect(legGaps[k]).toBeLessThan(0.05);
        } else {
          expect(Math.min(...legGaps)).toBeGreaterThan(-0.05);
        }
      }
      last = env.step([0, 0]);
    }
    expect(firstContact).toBeGreaterThan(10);
    expect(last.terminated).toBe(true);
    expect(last.reward).toBe(-100);
    const s = env.getState();
    expect(s[1]).toBe(1); // game over: the lander body touched the moon
    expect(clearance(env, corners(s, LANDER, LANDER_POLY))).toBeLessThan(0.05);
  });

  it('ends with +100 when the lander comes to rest on its legs and falls asleep', () => {
    const env = new LunarLanderContinuous();
    env.reset(3);
    env.setState(standingState(env.getState()[0], 0.01));
    let r = env.step([0, 0]);
    let steps = 1;
    while (!r.terminated && steps < 200) {
      expect(env.awake).toBe(true);
      r = env.step([0, 0]);
      steps++;
    }
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(100);
    expect(env.awake).toBe(false);
    expect(Array.from(r.observation.slice(6))).toEqual([1, 1]);
    expect(env.getState()[1]).toBe(0);
  });
});

describe('LunarLanderContinuous-v3 state save and restore', () => {
  it('round-trips getState / setState exactly, also into a fresh env', () => {
    const a = new LunarLanderContinuous();
    a.reset(8);
    for (let i = 0; i < 25; i++) a.step(action(i));
    const state = a.getState();
    const b = new LunarLanderContinuous();
    b.setState(state);
    expect(b.getState()).toEqual(state);
    expect(Array.from(b.observe())).toEqual(Array.from(a.observe()));
    expect(b.landerTerrain).toEqual(a.landerTerrain);
  });

  it('continues identically from the same restored state; close to the unrestored run in free flight', () => {
    const a = new LunarLanderContinuous();
    const b = new LunarLanderContinuous();
    const c = new LunarLanderContinuous();
    a.reset(9);
    b.reset(9);
    c.reset(9);
    // Equal step counts keep the three dispersion streams in step; b takes other actions.
    for (let i = 0; i < 10; i++) {
      a.step(action(i));
      b.step([0.3, -0.9]);
      c.step(action(i));
    }
    const state = a.getState();
    a.setState(state);
    b.setState(state);
    for (let i = 10; i < 20; i++) {
      const ra = a.step(action(i));
      const rb = b.step(action(i));
      const rc = c.step(action(i));
      expect(Array.from(rb.observation)).toEqual(Array.from(ra.observation));
      expect(rb.reward).toBe(ra.reward);
      for (let k = 0; k < 8; k++) expect(Math.abs(rc.observation[k] - ra.observation[k])).toBeLessThan(1e-3);
    }
    expect(b.getState()).toEqual(a.getState());
  });

  it('leaves the step counter alone', () => {
    const env = new LunarLanderContinuous();
    env.reset(1);
    const saved = env.getState();
    for (let i = 0; i < 990; i++) env.step([0, 0]);
    env.setState(saved);
    expect(env.elapsedSteps).toBe(990);
    for (let i = 0; i < 9; i++) expect(env.step([0, 0]).truncated).toBe(false);
    expect(env.step([0, 0]).truncated).toBe(true);
  });
});

describe('LunarLanderContinuous-v3 argument checks and time limit', () => {
  it('throws on NaN, infinite and wrong-length actions without changing anything', () => {
    const env = new LunarLanderContinuous();
    env.reset(9);
    env.step([0.5, 0]);
    const state = env.getState();
    expect(() => env.step([Number.NaN, 0])).toThrow(/NaN/);
    expect(() => env.step([0, Number.POSITIVE_INFINITY])).toThrow(/Infinity/);
    expect(() => env.step([0])).toThrow(/length 2/);
    expect(() => env.step([0, 0, 0])).toThrow(/length 2/);
    expect(env.getState()).toEqual(state);
    expect(env.elapsedSteps).toBe(1);
  });

  it('throws on bad seeds and bad states, and on use before reset', () => {
    const env = new LunarLanderContinuous();
    expect(() => env.step([0, 0])).toThrow(/reset/);
    expect(() => env.getState()).toThrow(/reset/);
    expect(() => env.observe()).toThrow(/reset/);
    expect(() => env.reset(1.5)).toThrow(/seed/);
    expect(() => env.reset(-1)).toThrow(/seed/);
    const good = standingState(3, 0.5);
    expect(() => env.setState(good.slice(1))).toThrow(/length 22/);
    expect(() => env.setState([...good.slice(0, 5), Number.NaN, ...good.slice(6)])).toThrow(/NaN/);
    expect(() => env.setState([0.5, ...good.slice(1)])).toThrow(/seed/);
    expect(() => env.setState([3, 0.5, ...good.slice(2)])).toThrow(/flag/);
    env.setState(good);
    expect(env.step([0, 0]).observation).toHaveLength(8);
  });

  it('truncates exactly at 1000 steps, stays truncated beyond, and reset zeroes the counter', () => {
    const env = new LunarLanderContinuous();
    env.reset(0);
    for (let i = 1; i < 1000; i++) {
      if (env.step([0, 0]).truncated) throw new Error(`truncated early, at step ${i}`);
    }
    expect(env.step([0, 0]).truncated).toBe(true);
    expect(env.step([0, 0]).truncated).toBe(true);
    env.reset();
    expect(env.step([0, 0]).truncated).toBe(false);
  });
});

describe('LunarLanderContinuous-v3 drawing', () => {
  it('gives the viewport and polygons in world coordinates, the lander where its body is', () => {
    const env = new LunarLanderContinuous();
    env.reset(4);
    expect(env.view()).toEqual({ x: 0, y: 0, width: W, height: H });
    const polys = env.polygons();
    // Background, 10 sky polygons, lander, 2 legs, 2 × (pole, flag).
    expect(polys).toHaveLength(18);
    for (const p of polys) {
      expect(p.vertices.length % 2).toBe(0);
      expect(p.vertices.every(Number.isFinite)).toBe(true);
      expect(p.color).toMatch(/^rgb\(\d+,\d+,\d+\)$/);
    }
    const s = env.getState();
    const lander = polys[11].vertices;
    expect(lander).toHaveLength(12);
    const expected = corners(s, LANDER, LANDER_POLY).flat();
    lander.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 9);
    });
  });
});
