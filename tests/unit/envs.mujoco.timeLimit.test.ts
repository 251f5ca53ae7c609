/** The MuJoCo envs' TimeLimit: truncated exactly at Gymnasium's max_episode_steps, whether terminated or not. */
import { describe, expect, it } from 'vitest';
import { envIds, type MujocoEnv, makeEnv } from '../../src/envs';

const LIMITS: Record<string, number> = {
  'Reacher-v5': 50,
  'InvertedPendulum-v5': 1000,
  'InvertedDoublePendulum-v5': 1000,
  'HalfCheetah-v5': 1000,
  'Hopper-v5': 1000,
  'Walker2d-v5': 1000,
  'Ant-v5': 1000,
  'Humanoid-v5': 1000,
};

function action(env: MujocoEnv, t: number): number[] {
  return env.spec.actionLow.map(
    (low, i) => low + (env.spec.actionHigh[i] - low) * (0.5 + 0.5 * Math.sin(0.37 * t + i)),
  );
}

describe.each(Object.entries(LIMITS))('%s time limit', (id, limit) => {
  it(`truncates exactly at step ${limit} (terminated or not); setState keeps the count, reset zeroes it`, async () => {
    expect(envIds).toContain(id);
    const env = (await makeEnv(id)) as MujocoEnv;
    expect(env.spec.maxEpisodeSteps).toBe(limit);
    env.reset(0);
    const saved = env.getState();
    for (let t = 1; t < limit; t++) {
      if (env.step(action(env, t)).truncated) throw new Error(`truncated early, at step ${t}`);
    }
    env.setState(saved);
    expect(env.elapsedSteps).toBe(limit - 1);
    expect(env.step(action(env, 0)).truncated).toBe(true);
    expect(env.step(action(env, 1)).truncated).toBe(true);
    env.reset();
    expect(env.elapsedSteps).toBe(0);
    expect(env.step(action(env, 0)).truncated).toBe(false);
    env.close();
  });
});
