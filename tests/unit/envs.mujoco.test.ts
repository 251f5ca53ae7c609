/**
 * The MuJoCo envs' contract: specs and sizes, argument checks, seeding, state save and restore, drawing
 * data and the WASM objects' lifecycle. The time limit is checked in envs.mujoco.timeLimit.test.ts, the
 * physics formulas in envs.mujoco.rewards.test.ts, the reset noise in envs.mujoco.reset.test.ts and the
 * compiled models in envs.mujoco.models.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  envIds,
  envSpec,
  loadMujoco,
  type Mujoco,
  type MujocoEnv,
  makeEnv,
  mujocoMemoryBytes,
} from '../../src/envs';

interface Facts {
  id: string;
  nq: number;
  nv: number;
  nu: number;
  observationSize: number;
  /** timestep · frame_skip. */
  dt: number;
  maxEpisodeSteps: number;
  low: number;
  high: number;
}

/** From Gymnasium 1.4: the v5 envs' frame_skip, the XMLs' timestep and ctrlrange, the registrations. */
const FACTS: Facts[] = [
  // [id, nq, nv, nu, observation size, timestep · frame_skip, max episode steps, ctrlrange]
  ...(
    [
      ['Reacher-v5', 4, 4, 2, 10, 0.01 * 2, 50, 1],
      ['InvertedPendulum-v5', 2, 2, 1, 4, 0.02 * 2, 1000, 3],
      ['InvertedDoublePendulum-v5', 3, 3, 1, 9, 0.01 * 5, 1000, 1],
      ['HalfCheetah-v5', 9, 9, 6, 17, 0.01 * 5, 1000, 1],
      ['Hopper-v5', 6, 6, 3, 11, 0.002 * 4, 1000, 1],
      ['Walker2d-v5', 9, 9, 6, 17, 0.002 * 4, 1000, 1],
      ['Ant-v5', 15, 14, 8, 105, 0.01 * 5, 1000, 1],
      ['Humanoid-v5', 24, 23, 17, 348, 0.003 * 5, 1000, 0.4],
    ] as const
  ).map(([id, nq, nv, nu, observationSize, dt, maxEpisodeSteps, limit]) => ({
    id,
    nq,
    nv,
    nu,
    observationSize,
    dt,
    maxEpisodeSteps,
    low: -limit,
    high: limit,
  })),
];

const ids = FACTS.map((f) => f.id);

/** A deterministic action sequence that exercises the whole range (and a bit beyond, which MuJoCo clamps). */
function action(env: MujocoEnv, t: number): number[] {
  const { actionLow, actionHigh } = env.spec;
  return actionLow.map((low, i) => {
    const mid = (low + actionHigh[i]) / 2;
    const half = (actionHigh[i] - low) / 2;
    return mid + 1.1 * half * Math.sin(0.37 * t + 1.3 * i);
  });
}

async function make(id: string): Promise<MujocoEnv> {
  return (await makeEnv(id)) as MujocoEnv;
}

let mj: Mujoco;
const opened: MujocoEnv[] = [];
async function open(id: string): Promise<MujocoEnv> {
  const env = await make(id);
  opened.push(env);
  return env;
}

beforeAll(async () => {
  mj = await loadMujoco();
});

afterAll(() => {
  for (const env of opened) env.close();
});

describe('loadMujoco', () => {
  it('loads the module once and shares it', async () => {
    const again = await loadMujoco();
    expect(again).toBe(mj);
    expect(typeof mj.mj_step).toBe('function');
  });
});

describe('registry', () => {
  it('lists every MuJoCo env after the classic ones', () => {
    expect(envIds.slice(0, 2)).toEqual(['Pendulum-v1', 'MountainCarContinuous-v0']);
    expect(envIds.slice(2, 2 + ids.length)).toEqual(ids);
  });
});

describe.each(FACTS)('$id spec', (facts) => {
  it('has the sizes, bounds, dt and time limit of Gymnasium', async () => {
    const env = await open(facts.id);
    expect(env.spec).toEqual({
      id: facts.id,
      observationSize: facts.observationSize,
      actionSize: facts.nu,
      actionLow: new Array(facts.nu).fill(facts.low),
      actionHigh: new Array(facts.nu).fill(facts.high),
      maxEpisodeSteps: facts.maxEpisodeSteps,
    });
    expect(envSpec(facts.id)).toEqual(env.spec);
    expect([env.nq, env.nv, env.nu]).toEqual([facts.nq, facts.nv, facts.nu]);
    expect(env.dt).toBe(facts.dt);
    const obs = env.reset(3);
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs).toHaveLength(facts.observationSize);
    expect(env.step(action(env, 0)).observation).toHaveLength(facts.observationSize);
    expect(env.observe()).toHaveLength(facts.observationSize);
    expect(env.getState()).toHaveLength(facts.nq + facts.nv);
    expect(env.getState().every((x) => typeof x === 'number')).toBe(true);
  });
});

describe.each(ids)('%s argument checks', (id) => {
  it('throws on NaN, infinite and wrong-length actions without changing anything', async () => {
    const env = await open(id);
    const nu = env.spec.actionSize;
    env.reset(9);
    env.step(action(env, 0));
    const state = env.getState();
    const bad = (i: number, value: number) => action(env, 1).map((a, j) => (j === i ? value : a));
    expect(() => env.step(bad(nu - 1, Number.NaN))).toThrow(/NaN/);
    expect(() => env.step(bad(0, Number.POSITIVE_INFINITY))).toThrow(/Infinity/);
    expect(() => env.step(Float32Array.from(bad(0, Number.NEGATIVE_INFINITY)))).toThrow(/finite/);
    expect(() => env.step([])).toThrow(new RegExp(`length ${nu}`));
    expect(() => env.step(new Array(nu + 1).fill(0))).toThrow(new RegExp(`length ${nu}`));
    expect(env.getState()).toEqual(state);
    expect(env.elapsedSteps).toBe(1);
  });

  it('throws on bad seeds and states, and before reset', async () => {
    const env = await open(id);
    const size = env.nq + env.nv;
    expect(() => env.step(action(env, 0))).toThrow(/reset/);
    expect(() => env.observe()).toThrow(/reset/);
    expect(() => env.getState()).toThrow(/reset/);
    expect(() => env.reset(1.5)).toThrow(/seed/);
    expect(() => env.reset(-1)).toThrow(/seed/);
    expect(() => env.setState([0])).toThrow(new RegExp(`length ${size}`));
    expect(() => env.setState(new Array(size).fill(Number.NaN))).toThrow(/NaN/);
    env.setState([...env.initQpos, ...env.initQvel]);
    expect(env.step(action(env, 0)).observation).toHaveLength(env.spec.observationSize);
  });
});

describe.each(ids)('%s seeding', (id) => {
  it('gives the same trajectory for the same seed, another for another seed', async () => {
    const a = await open(id);
    const b = await open(id);
    expect(Array.from(a.reset(42))).toEqual(Array.from(b.reset(42)));
    expect(a.getState()).toEqual(b.getState());
    for (let t = 0; t < 40; t++) {
      const ra = a.step(action(a, t));
      const rb = b.step(action(b, t));
      expect(Array.from(rb.observation)).toEqual(Array.from(ra.observation));
      expect(rb.reward).toBe(ra.reward);
      expect(rb.terminated).toBe(ra.terminated);
    }
    expect(b.getState()).toEqual(a.getState());
    b.reset(43);
    a.reset(42);
    expect(b.getState()).not.toEqual(a.getState());
  });

  it('continues the stream on unseeded resets; a fresh env starts from seed 0', async () => {
    const a = await open(id);
    const b = await open(id);
    a.reset();
    b.reset(0);
    expect(a.getState()).toEqual(b.getState());
    a.reset();
    const second = a.getState();
    expect(second).not.toEqual(b.getState());
    b.reset();
    expect(b.getState()).toEqual(second);
  });
});

describe.each(ids)('%s state save and restore', (id) => {
  it('round-trips getState / setState exactly, and the continuation does not depend on the history', async () => {
    const a = await open(id);
    const b = await open(id);
    for (const stepsBefore of [0, 1, 23]) {
      a.reset(123);
      for (let t = 0; t < stepsBefore; t++) a.step(action(a, t));
      const state = a.getState();
      // b has another history: another seed, other actions.
      b.reset(456);
      for (let t = 0; t < 7; t++) b.step(action(b, 100 + t));
      const countBefore = b.elapsedSteps;
      a.setState(state);
      b.setState(state);
      expect(b.getState()).toEqual(state);
      expect(a.getState()).toEqual(state);
      expect(b.elapsedSteps).toBe(countBefore);
      expect(Array.from(b.observe())).toEqual(Array.from(a.observe()));
      for (let t = 0; t < 30; t++) {
        const ra = a.step(action(a, 50 + t));
        const rb = b.step(action(b, 50 + t));
        expect(Array.from(rb.observation)).toEqual(Array.from(ra.observation));
        expect(rb.reward).toBe(ra.reward);
        expect(rb.terminated).toBe(ra.terminated);
      }
      expect(b.getState()).toEqual(a.getState());
    }
  });

  it('setState then observe equals reset landing on that state', async () => {
    const a = await open(id);
    const b = await open(id);
    const obs = a.reset(5);
    b.reset(6);
    b.step(action(b, 0));
    b.setState(a.getState());
    expect(Array.from(b.observe())).toEqual(Array.from(obs));
  });
});

describe.each(ids)('%s lifecycle', (id) => {
  it('frees its WASM objects: memory stays flat over many resets and create/close cycles', async () => {
    const warm = await make(id);
    warm.reset(0);
    for (let t = 0; t < 5; t++) warm.step(action(warm, t));
    warm.close();
    const before = mujocoMemoryBytes(mj);
    const env = await make(id);
    for (let seed = 0; seed < 100; seed++) env.reset(seed);
    env.close();
    for (let k = 0; k < 20; k++) {
      const e = await make(id);
      e.reset(k);
      e.step(action(e, k));
      e.geomInfo();
      e.geomPositions();
      e.close();
    }
    expect(mujocoMemoryBytes(mj)).toBe(before);
  });

  it('throws a clear error after close; close is idempotent', async () => {
    const env = await make(id);
    env.reset(0);
    env.close();
    env.close();
    expect(env.closed).toBe(true);
    expect(() => env.step(action(env, 0))).toThrow(/closed/);
    expect(() => env.reset(0)).toThrow(/closed/);
    expect(() => env.getState()).toThrow(/closed/);
    expect(() => env.setState([...env.initQpos, ...env.initQvel])).toThrow(/closed/);
    expect(() => env.observe()).toThrow(/closed/);
  });
});

describe('memory measurement', () => {
  it('sees leaked MjData', async () => {
    const env = await make(ids[0]);
    const before = mujocoMemoryBytes(mj);
    const model = mj.MjModel.from_xml_string(
      '<mujoco><size memory="4M"/><worldbody><body><freejoint/><geom size="0.1"/></body></worldbody></mujoco>',
    );
    const leaked = Array.from({ length: 40 }, () => new mj.MjData(model));
    expect(mujocoMemoryBytes(mj)).toBeGreaterThan(before);
    for (const data of leaked) data.delete();
    model.delete();
    env.close();
  });
});

describe.each(ids)('%s drawing data', (id) => {
  it('reports geom shapes once and their world poses, and the last action', async () => {
    const env = await open(id);
    env.reset(1);
    expect(env.lastAction).toBeNull();
    const info = env.geomInfo();
    expect(info.types).toHaveLength(env.ngeom);
    expect(info.sizes).toHaveLength(3 * env.ngeom);
    expect(info.rgba).toHaveLength(4 * env.ngeom);
    expect(info.names).toHaveLength(env.ngeom);
    const before = env.geomPositions();
    expect(before.xpos).toHaveLength(3 * env.ngeom);
    expect(before.xmat).toHaveLength(9 * env.ngeom);
    const a = action(env, 3);
    env.step(a);
    expect(Array.from(env.lastAction ?? [])).toEqual(a.map(Math.fround));
    const after = env.geomPositions();
    expect(Array.from(after.xpos)).not.toEqual(Array.from(before.xpos));
    // Rotation matrices stay orthonormal.
    for (let g = 0; g < env.ngeom; g++) {
      const r = after.xmat.subarray(9 * g, 9 * g + 9);
      for (let i = 0; i < 3; i++) {
        const row = [r[3 * i], r[3 * i + 1], r[3 * i + 2]];
        expect(Math.hypot(...row)).toBeCloseTo(1, 9);
      }
    }
    expect(env.bodyPositions()).toHaveLength(3 * env.nbody);
    expect(env.bodyMasses()).toHaveLength(env.nbody);
  });
});

describe('names', () => {
  it("reads unnamed bodies as '' (Ant's lower legs) and named ones as in the XML", async () => {
    const ant = await open('Ant-v5');
    expect(ant.bodyNames()).toEqual([
      'world',
      'torso',
      ...[1, 2, 3, 4].flatMap((n) => [
        ['front_left_leg', 'front_right_leg', 'back_leg', 'right_back_leg'][n - 1],
        `aux_${n}`,
        '',
      ]),
    ]);
    const reacher = await open('Reacher-v5');
    expect(reacher.geomInfo().names).toEqual([
      'ground',
      'sideS',
      'sideE',
      'sideN',
      'sideW',
      'root',
      'link0',
      'link1',
      'fingertip',
      'target',
    ]);
  });
});
