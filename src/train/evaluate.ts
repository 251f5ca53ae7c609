/**
 * Deterministic evaluation, as in the paper: K episodes of π(s) with no exploration noise.
 * Every evaluation restarts the eval env's stream at the same seed (seed + 100, the authors' choice), so all
 * evaluations of a run face the same K initial states and their curve shows the policy, not the luck.
 *
 * Written as a generator that yields after every env step, so a session can spread a long evaluation over
 * several chunks of work and stay responsive.
 */
import type { Env } from '../envs/types';
import type { PolicyAccess } from '../rl/td3';
import { mean, std } from './metrics';

export interface EvalResult {
  mean: number;
  std: number;
  returns: number[];
}

export function* evaluationSteps(
  agent: PolicyAccess,
  env: Env,
  episodes: number,
  seed: number,
): Generator<void, EvalResult> {
  const returns: number[] = [];
  for (let k = 0; k < episodes; k++) {
    let observation = k === 0 ? env.reset(seed) : env.reset();
    let total = 0;
    for (;;) {
      const result = env.step(agent.act(observation));
      total += result.reward;
      observation = result.observation;
      yield;
      if (result.terminated || result.truncated) break;
    }
    returns.push(total);
  }
  return { mean: mean(returns), std: std(returns), returns };
}

/** The whole evaluation at once. */
export function evaluatePolicy(agent: PolicyAccess, env: Env, episodes: number, seed: number): EvalResult {
  const steps = evaluationSteps(agent, env, episodes, seed);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
