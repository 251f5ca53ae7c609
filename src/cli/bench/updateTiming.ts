/**
 * Timing of the TD3 update (`TD3.train`) on whatever tfjs backend is active. Browser-safe: the Node bench and
 * the bench Web Worker (bench/browser/worker.ts) both run this code.
 *
 * One update = target actor + both target critics, both critics' MSE + Adam, and every 2nd update the actor
 * loss + Adam + Polyak on the three targets (the authors' defaults: 256-256, batch 256, delay 2, all tricks on).
 * After every update one float of a weight is read back, so asynchronous backends (webgl, webgpu) are timed
 * to completion, as in the product, where each env step reads the policy's action back.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../common/random';
import { read, readAsBackendWants } from '../../rl/deviceReads';
import { configFromPreset } from '../../rl/presets';
import type { ActionSpace, AgentConfig, Batch } from '../../rl/td3';
import { TD3 } from '../../rl/td3';
import { type Summary, summarize } from './stats';

export interface UpdateCase {
  /** Which env's sizes these are. */
  name: string;
  obs: number;
  act: number;
  hidden: number;
  batch: number;
}

/** The two sizes the issue asks for: Pendulum (obs 3, act 1) and HalfCheetah (obs 17, act 6). */
export function updateCases(hidden: number, batch: number): UpdateCase[] {
  return [
    { name: 'Pendulum', obs: 3, act: 1, hidden, batch },
    { name: 'HalfCheetah', obs: 17, act: 6, hidden, batch },
  ];
}

export interface UpdatePlan {
  /** Untimed updates first (the first one is also reported on its own: shader compilation, wasm warm-up). */
  warmup: number;
  /** Updates per timed repeat. */
  updates: number;
  repeats: number;
  /** Total wall-time budget for the case (warm-up and repeats share it equally); null = none. */
  capMs: number | null;
}

export interface UpdateTiming extends Summary {
  case: UpdateCase;
  /** Updates actually timed in each repeat (fewer than planned when the cap cut a repeat short). */
  updatesTimed: number[];
  firstUpdateMs: number;
  capped: boolean;
  /** Tensors alive after the case minus before it (0 = no leak). */
  tensorDrift: number;
}

/** The authors' repository defaults (sfujim/TD3), the `author` preset, with `hidden`-unit layers. */
export function benchAgentConfig(hidden: number): AgentConfig {
  return configFromPreset('author', { hidden1: hidden, hidden2: hidden });
}

export function benchSpace(obs: number, act: number): ActionSpace {
  return {
    observationSize: obs,
    actionSize: act,
    actionLow: Array(act).fill(-1),
    actionHigh: Array(act).fill(1),
  };
}

/** `count` random minibatches, cycled through by the timing loop (the update is timed, not sampling). */
export function randomBatches(space: ActionSpace, n: number, count: number, seed: number): Batch[] {
  const rng = new Random(seed);
  const { observationSize: os, actionSize: as } = space;
  return Array.from({ length: count }, () => ({
    size: n,
    observations: Float32Array.from({ length: n * os }, () => rng.uniformRange(-1, 1)),
    actions: Float32Array.from({ length: n * as }, () => rng.uniformRange(-1, 1)),
    rewards: Float32Array.from({ length: n }, () => rng.normal()),
    nextObservations: Float32Array.from({ length: n * os }, () => rng.uniformRange(-1, 1)),
    notDone: Float32Array.from({ length: n }, () => (rng.uniform() < 0.05 ? 0 : 1)),
  }));
}

/** Times `TD3.train` for one case on the active backend, read as training reads it (src/rl/deviceReads.ts). */
export async function timeUpdates(c: UpdateCase, plan: UpdatePlan): Promise<UpdateTiming> {
  const tensorsBefore = tf.memory().numTensors;
  const space = benchSpace(c.obs, c.act);
  const agent = new TD3(space, benchAgentConfig(c.hidden), 1);
  const batches = randomBatches(space, c.batch, 8, 2);
  const probe = agent.critic1.layers[agent.critic1.layers.length - 1].bias;
  let k = 0;
  const update = async () => {
    await readAsBackendWants(agent.trainRead(batches[k++ % batches.length]));
    await readAsBackendWants(read([probe]));
  };
  const slice = plan.capMs === null ? Number.POSITIVE_INFINITY : plan.capMs / (plan.repeats + 1);
  let capped = false;

  let start = performance.now();
  await update();
  const firstUpdateMs = performance.now() - start;
  for (let i = 1; i < plan.warmup; i++) {
    if (performance.now() - start >= slice) {
      capped = true;
      break;
    }
    await update();
  }

  const rates: number[] = [];
  const updatesTimed: number[] = [];
  for (let r = 0; r < plan.repeats; r++) {
    start = performance.now();
    let done = 0;
    let elapsed = 0;
    while (done < plan.updates) {
      await update();
      done++;
      elapsed = performance.now() - start;
      if (elapsed >= slice && done < plan.updates) {
        capped = true;
        break;
      }
    }
    rates.push((done / elapsed) * 1000);
    updatesTimed.push(done);
  }
  agent.dispose();
  return {
    ...summarize(rates),
    case: c,
    updatesTimed,
    firstUpdateMs,
    capped,
    tensorDrift: tf.memory().numTensors - tensorsBefore,
  };
}
