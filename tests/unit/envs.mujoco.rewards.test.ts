/**
 * Rewards, terminations and observations of the MuJoCo v5 envs, recomputed here with Gymnasium 1.4's
 * formulas and default weights from what the env exposes before and after each step: the state
 * [...qpos, ...qvel], body positions and MjData arrays. Each trajectory must include terminal and
 * non-terminal steps where the env can terminate.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { type MujocoEnv, makeEnv } from '../../src/envs';

interface Snapshot {
  state: number[];
  xpos: Float64Array;
  xipos: Float64Array;
}

interface Expected {
  reward: number;
  terminated: boolean;
  observation: number[];
}

/**
 * The test's own port of a v5 env's step: from the snapshots around the step, the action (float32, as
 * Gymnasium's action Box holds it) and the env.
 */
type Formula = (env: MujocoEnv, before: Snapshot, after: Snapshot, action: number[]) => Expected;

const sumSq = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x * x, 0);
const clip = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
const split = (env: MujocoEnv, s: number[]) => [s.slice(0, env.nq), s.slice(env.nq)] as const;

function bodyIndex(env: MujocoEnv, name: string): number {
  const i = env.bodyNames().indexOf(name);
  if (i < 0) throw new Error(`no body ${name}`);
  return i;
}

const FORMULAS: Record<string, Formula> = {
  'InvertedPendulum-v5': (_env, _before, after) => {
    const s = after.state;
    const terminated = !s.every(Number.isFinite) || Math.abs(s[1]) > 0.2;
    return { reward: terminated ? 0 : 1, terminated, observation: s };
  },

  'InvertedDoublePendulum-v5': (env, _before, after) => {
    const [qpos, qvel] = split(env, after.state);
    const [x, , y] = env.read('site_xpos');
    const terminated = y <= 1;
    const dist = 0.01 * x ** 2 + (y - 2) ** 2;
    const vel = 1e-3 * qvel[1] ** 2 + 5e-3 * qvel[2] ** 2;
    const observation = [
      qpos[0],
      ...qpos.slice(1).map(Math.sin),
      ...qpos.slice(1).map(Math.cos),
      ...qvel.map((v) => clip(v, -10, 10)),
      clip(env.read('qfrc_constraint')[0], -10, 10),
    ];
    return { reward: 10 * Number(!terminated) - dist - vel, terminated, observation };
  },

  'Reacher-v5': (env, _before, after, action) => {
    const [qpos, qvel] = split(env, after.state);
    const f = bodyIndex(env, 'fingertip');
    const t = bodyIndex(env, 'target');
    const vec = [0, 1, 2].map((k) => after.xpos[3 * f + k] - after.xpos[3 * t + k]);
    const reward = -Math.sqrt(sumSq(vec)) * 1 - sumSq(action) * 1;
    const theta = qpos.slice(0, 2);
    const observation = [
      ...theta.map(Math.cos),
      ...theta.map(Math.sin),
      ...qpos.slice(2),
      ...qvel.slice(0, 2),
      vec[0],
      vec[1],
    ];
    return { reward, terminated: false, observation };
  },

  'HalfCheetah-v5': (env, before, after, action) => {
    const [qpos, qvel] = split(env, after.state);
    const xVelocity = (after.state[0] - before.state[0]) / env.dt;
    return {
      reward: xVelocity - 0.1 * sumSq(action),
      terminated: false,
      observation: [...qpos.slice(1), ...qvel],
    };
  },

  'Hopper-v5': (env, before, after, action) => {
    const [qpos, qvel] = split(env, after.state);
    const [, z, angle] = qpos;
    const healthy =
      after.state.slice(2).every((x) => -100 < x && x < 100) && z > 0.7 && -0.2 < angle && angle < 0.2;
    const xVelocity = (after.state[0] - before.state[0]) / env.dt;
    return {
      reward: xVelocity + (healthy ? 1 : 0) - 1e-3 * sumSq(action),
      terminated: !healthy,
      observation: [...qpos.slice(1), ...qvel.map((v) => clip(v, -10, 10))],
    };
  },

  'Walker2d-v5': (env, before, after, action) => {
    const [qpos, qvel] = split(env, after.state);
    const [, z, angle] = qpos;
    const healthy = 0.8 < z && z < 2 && -1 < angle && angle < 1;
    const xVelocity = (after.state[0] - before.state[0]) / env.dt;
    return {
      reward: xVelocity + (healthy ? 1 : 0) - 1e-3 * sumSq(action),
      terminated: !healthy,
      observation: [...qpos.slice(1), ...qvel.map((v) => clip(v, -10, 10))],
    };
  },

  'Ant-v5': (env, before, after, action) => {
    const [qpos, qvel] = split(env, after.state);
    const torso = bodyIndex(env, 'torso');
    expect(torso).toBe(1);
    const xVelocity = (after.xpos[3 * torso] - before.xpos[3 * torso]) / env.dt;
    const healthy = after.state.every(Number.isFinite) && 0.2 <= qpos[2] && qpos[2] <= 1;
    const contact = Array.from(env.read('cfrc_ext'), (f) => clip(f, -1, 1));
    const costs = 0.5 * sumSq(action) + 5e-4 * sumSq(contact);
    return {
      reward: xVelocity + (healthy ? 1 : 0) - costs,
      terminated: !healthy,
      observation: [...qpos.slice(2), ...qvel, ...contact.slice(6)],
    };
  },

  'Humanoid-v5': (env, before, after, action) => {
    const [qpos, qvel] = split(env, after.state);
    const mass = env.bodyMasses();
    const total = mass.reduce((s, m) => s + m, 0);
    const comX = (xipos: Float64Array) => mass.reduce((s, m, b) => s + m * xipos[3 * b], 0) / total;
    const xVelocity = (comX(after.xipos) - comX(before.xipos)) / env.dt;
    const healthy = 1 < qpos[2] && qpos[2] < 2;
    const cfrc = env.read('cfrc_ext');
    const contactCost = Math.min(5e-7 * sumSq(cfrc), 10);
    const observation = [
      ...qpos.slice(2),
      ...qvel,
      ...env.read('cinert').slice(10),
      ...env.read('cvel').slice(6),
      ...env.read('qfrc_actuator').slice(6),
      ...cfrc.slice(6),
    ];
    return {
      reward: 1.25 * xVelocity + (healthy ? 5 : 0) - (0.1 * sumSq(action) + contactCost),
      terminated: !healthy,
      observation,
    };
  },
};

/**
 * How many steps to look at (actions random within the bounds, a new episode after each termination),
 * whether the env can terminate, and optionally a state to step from afterwards (Ant rarely leaves its
 * healthy z range under random actions within 80 steps, so it is lifted to z = 1.5).
 */
const PLAN: [id: string, steps: number, terminates: boolean, lastFrom?: (state: number[]) => number[]][] = [
  ['InvertedPendulum-v5', 60, true],
  ['InvertedDoublePendulum-v5', 60, true],
  ['Reacher-v5', 60, false],
  ['HalfCheetah-v5', 60, false],
  ['Hopper-v5', 80, true],
  ['Walker2d-v5', 80, true],
  ['Ant-v5', 80, true, (state) => state.map((x, i) => (i === 2 ? 1.5 : x))],
  ['Humanoid-v5', 60, true],
];

function snapshot(env: MujocoEnv): Snapshot {
  return { state: env.getState(), xpos: env.bodyPositions(), xipos: env.bodyComPositions() };
}

const envs: MujocoEnv[] = [];
afterAll(() => {
  for (const env of envs) env.close();
});

describe.each(PLAN)('%s step', (id, steps, terminates, lastFrom) => {
  it('matches Gymnasium v5 formulas for reward, termination and observation', async () => {
    const env = (await makeEnv(id)) as MujocoEnv;
    envs.push(env);
    const formula = FORMULAS[id];
    const rng = new Random(11);
    let terminal = 0;
    let nonTerminal = 0;
    let seed = 0;
    env.reset(seed);
    for (let t = 0; t <= steps; t++) {
      if (t === steps) {
        if (lastFrom === undefined) break;
        env.setState(lastFrom(env.getState()));
      }
      const before = snapshot(env);
      const action = env.spec.actionLow.map((low, i) => rng.uniformRange(low, env.spec.actionHigh[i]));
      const result = env.step(action);
      const expected = formula(env, before, snapshot(env), action.map(Math.fround));
      expect(result.terminated).toBe(expected.terminated);
      expect(result.reward).toBeCloseTo(expected.reward, 10);
      expect(Array.from(result.observation)).toEqual(expected.observation.map(Math.fround));
      expect(Array.from(env.observe())).toEqual(Array.from(result.observation));
      if (result.terminated) {
        terminal++;
        env.reset(++seed);
      } else {
        nonTerminal++;
      }
    }
    expect(nonTerminal).toBeGreaterThan(0);
    if (terminates) expect(terminal).toBeGreaterThan(0);
    else expect(terminal).toBe(0);
  });
});

describe('reward details', () => {
  it('HalfCheetah: the control cost uses the unclipped float32 action; MuJoCo clamps the control', async () => {
    const env = (await makeEnv('HalfCheetah-v5')) as MujocoEnv;
    envs.push(env);
    const twin = (await makeEnv('HalfCheetah-v5')) as MujocoEnv;
    envs.push(twin);
    env.reset(3);
    twin.reset(3);
    const big = env.step([2, -2, 2, -2, 2, -2]);
    const unit = twin.step([1, -1, 1, -1, 1, -1]);
    // Same physics (ctrl clamped to ±1), control costs 0.1·6·4 and 0.1·6·1.
    expect(env.getState()).toEqual(twin.getState());
    expect(unit.reward - big.reward).toBeCloseTo(0.1 * 6 * 3, 12);
    env.reset(3);
    const odd = env.step([0.1, 0, 0, 0, 0, 0]);
    twin.reset(3);
    const exact = twin.step([Math.fround(0.1), 0, 0, 0, 0, 0]);
    expect(odd.reward).toBe(exact.reward);
    expect(Array.from(env.lastAction ?? [])).toEqual([Math.fround(0.1), 0, 0, 0, 0, 0]);
  });

  it('Ant and Humanoid: contact forces are non-zero on the ground and enter the reward', async () => {
    for (const id of ['Ant-v5', 'Humanoid-v5']) {
      const env = (await makeEnv(id)) as MujocoEnv;
      envs.push(env);
      env.reset(0);
      expect(sumSq(env.read('cfrc_ext'))).toBe(0); // reset runs mj_forward only, as in Gymnasium
      let maxContact = 0;
      for (let t = 0; t < 30; t++) {
        const r = env.step(new Array(env.spec.actionSize).fill(0));
        if (r.terminated) break;
        maxContact = Math.max(maxContact, sumSq(env.read('cfrc_ext')));
      }
      expect(maxContact).toBeGreaterThan(0);
    }
  });
});

describe('healthy ranges (v5 defaults)', () => {
  const cache = new Map<string, MujocoEnv & { isHealthy: boolean }>();
  async function healthEnv(id: string): Promise<MujocoEnv & { isHealthy: boolean }> {
    let env = cache.get(id);
    if (env === undefined) {
      env = (await makeEnv(id)) as MujocoEnv & { isHealthy: boolean };
      envs.push(env);
      cache.set(id, env);
    }
    return env;
  }

  /** [id, qpos index, value, healthy]: z and angle ranges at and around their ends. */
  const CASES: [string, number, number, boolean][] = [
    ['Hopper-v5', 1, 0.7, false],
    ['Hopper-v5', 1, 0.7000001, true],
    ['Hopper-v5', 1, 1e9, true], // the state range (-100, 100) covers qpos[2:] and qvel only, not z
    ['Hopper-v5', 2, 0.2, false],
    ['Hopper-v5', 2, 0.1999999, true],
    ['Hopper-v5', 2, -0.1999999, true],
    ['Hopper-v5', 3, 100, false],
    ['Hopper-v5', 3, 99.99, true],
    ['Walker2d-v5', 1, 0.8, false],
    ['Walker2d-v5', 1, 0.8000001, true],
    ['Walker2d-v5', 1, 1.9999999, true],
    ['Walker2d-v5', 1, 2, false],
    ['Walker2d-v5', 2, 1, false],
    ['Walker2d-v5', 2, -0.9999999, true],
    ['Walker2d-v5', 3, 1000, true],
    ['Ant-v5', 2, 0.2, true],
    ['Ant-v5', 2, 0.1999999, false],
    ['Ant-v5', 2, 1, true],
    ['Ant-v5', 2, 1.0000001, false],
    ['Humanoid-v5', 2, 1, false],
    ['Humanoid-v5', 2, 1.0000001, true],
    ['Humanoid-v5', 2, 1.9999999, true],
    ['Humanoid-v5', 2, 2, false],
  ];

  it.each(CASES)('%s: qpos[%i] = %d is healthy: %s', async (id, index, value, healthy) => {
    const env = await healthEnv(id);
    env.reset(0);
    const state = env.getState();
    state[index] = value;
    env.setState(state);
    expect(env.isHealthy).toBe(healthy);
  });

  it('Hopper: a velocity of 100 or more is unhealthy', async () => {
    const env = await healthEnv('Hopper-v5');
    env.reset(0);
    const state = env.getState();
    expect(env.isHealthy).toBe(true);
    state[env.nq + 5] = -100;
    env.setState(state);
    expect(env.isHealthy).toBe(false);
  });
});
