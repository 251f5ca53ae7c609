/**
 * Deterministic evaluation, as in the paper: K episodes of π(s) with no exploration noise.
 * Every evaluation restarts the eval env's stream at the same seed (seed + 100, the authors' choice), so all
 * evaluations of a run face the same K initial states and their curve shows the policy, not the luck.
 *
 * Written as work that reads the device (src/rl/deviceReads.ts) and pauses after every env step, so a session
 * can spread a long evaluation over several chunks of work, on any backend, and stay responsive. Given env
 * copies, the episodes run side by side on them (`sideBySide`), to the same returns.
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
  copies: Env[] = [],
): Reads<EvalResult> {
  if (copies.length > 1 && env.exactRestore !== false) {
    const returns = yield* sideBySide(agent, env, episodes, seed, copies);
    return { mean: mean(returns), std: std(returns), returns };
  }
  const returns: number[] = [];
  for (let k = 0; k < episodes; k++) {
    let observation = episodeStart(env, k, seed);
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

/**
 * The same episodes run side by side on env copies, one read of their actions per step (on a GPU backend,
 * one wait instead of one per episode): the eval env draws each episode's start as one after another would
 * (resets only draw from its reset stream), and a copy restored to it plays the episode, time limit
 * included. Returns are those of one after another, to the last digit where the policy's actions for
 * many rows equal its actions for each (tested on cpu and wasm).
 */
function* sideBySide(
  agent: PolicyAccess,
  env: Env,
  episodes: number,
  seed: number,
  copies: Env[],
): Reads<number[]> {
  const size = env.spec.observationSize;
  const actionSize = env.spec.actionSize;
  const returns = new Array<number>(episodes).fill(0);
  for (let first = 0; first < episodes; first += copies.length) {
    const wave = Math.min(copies.length, episodes - first);
    const observations = Array.from({ length: wave }, (_, k) =>
      episodeStart(env, first + k, seed, copies[k]),
    );
    let alive = Array.from({ length: wave }, (_, k) => k);
    while (alive.length) {
      const actions = yield* agent.actionsRead(
        observationRows(
          alive.map((k) => observations[k]),
          size,
        ),
        alive.length,
      );
      alive = alive.filter((k, j) => {
        const result = copies[k].step(actions.subarray(j * actionSize, (j + 1) * actionSize));
        returns[first + k] += result.reward;
        observations[k] = result.observation;
        return !(result.terminated || result.truncated);
      });
      yield* pause();
    }
  }
  return returns;
}

/**
 * Episode `episode`'s start (the first at `seed`): drawn from the eval env's reset stream as one after
 * another would draw it (resets only draw from that stream), and restored onto `copy` when one plays it.
 */
export function episodeStart(env: Env, episode: number, seed: number, copy?: Env): ArrayLike<number> {
  const observation = episode === 0 ? env.reset(seed) : env.reset();
  if (copy) {
    copy.setState(env.getState());
    copy.setEpisodeState(env.getEpisodeState());
  }
  return observation;
}

/**
 * Observations one row after another for one read of their actions (a single one as it is); float64, so
 * that each reaches the policy as it would alone.
 */
export function observationRows(observations: ArrayLike<number>[], size: number): ArrayLike<number> {
  if (observations.length === 1) return observations[0];
  const rows = new Float64Array(observations.length * size);
  observations.forEach((o, j) => {
    rows.set(o, j * size);
  });
  return rows;
}

/** The whole evaluation at once. */
export function evaluatePolicy(agent: PolicyAccess, env: Env, episodes: number, seed: number): EvalResult {
  return readSync(evaluationSteps(agent, env, episodes, seed));
}
