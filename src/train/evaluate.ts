/**
 * Deterministic evaluation, as in the paper: K episodes of π(s) with no exploration noise.
 * Every evaluation restarts the eval env's stream at the same seed (seed + 100, the authors' choice), so all
 * evaluations of a run face the same K initial states and their curve shows the policy, not the luck.
 */
import type { Env } from '../envs/types';
import type { TD3 } from '../rl/td3';
import { mean, std } from './metrics';

export function evaluatePolicy(
  agent: TD3,
  env: Env,
  episodes: number,
  seed: number,
): { mean: number; std: number; returns: number[] } {
  const returns: number[] = [];
  for (let k = 0; k < episodes; k++) {
    let observation = k === 0 ? env.reset(seed) : env.reset();
    let total = 0;
    for (;;) {
      const result = env.step(agent.act(observation));
      total += result.reward;
      observation = result.observation;
      if (result.terminated || result.truncated) break;
    }
    returns.push(total);
  }
  return { mean: mean(returns), std: std(returns), returns };
}
