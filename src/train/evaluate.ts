/**
 * Deterministic evaluation, as in the paper: K episodes of π(s) with no exploration noise.
 * Every evaluation restarts the eval env's stream at the same seed (seed + 100, the authors' choice), so all
 * evaluations of a run face the same K initial states and their curve shows the policy, not the luck.
 *
 * Written as work that reads the device (src/rl/deviceReads.ts) and pauses after every env step, so a session
 * can spread a long evaluation over several chunks of work, on any backend, and stay responsive.
 */
import type { Env } from '../envs/types';
import { pause, type Reads, readSync } from '../rl/deviceReads';
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
): Reads<EvalResult> {
  const returns: number[] = [];
  for (let k = 0; k < episodes; k++) {
    let observation = k === 0 ? env.reset(seed) : env.reset();
    let total = 0;
    for (;;) {
      const action = yield* agent.actionsRead(observation, 1);
      const result = env.step(action);
      total += result.reward;
      observation = result.observation;
      yield* pause();
      if (result.terminated || result.truncated) break;
    }
    returns.push(total);
  }
  return { mean: mean(returns), std: std(returns), returns };
}

/** The whole evaluation at once. */
export function evaluatePolicy(agent: PolicyAccess, env: Env, episodes: number, seed: number): EvalResult {
  return readSync(evaluationSteps(agent, env, episodes, seed));
}
