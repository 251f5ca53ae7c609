/**
 * Building tfjs-webgpu's programs before a run. A program is compiled the first time an operation of its kind
 * and shapes runs, synchronously, on the worker's thread: on SwiftShader the first TD3 update took 9.9 s and
 * the first actor update 2.4 s (32-32 nets, batch 64), longer than the page waits for a silent worker. Here
 * the operations of one run (updates, actions, values) are traced once on a throwaway agent of the run's
 * sizes with WEBGPU_ENGINE_COMPILE_ONLY on, which compiles every program in parallel, off the thread, and
 * runs nothing; the run then finds them all built.
 */
import * as tf from '@tensorflow/tfjs';
import type { ActionSpace, Batch } from '../rl/agentTypes';
import { readNothing } from '../rl/deviceReads';
import type { Config } from '../rl/hyperparameters';
import { TD3 } from '../rl/td3';
import { envCopyLimit } from '../train/overestimationProbe';

interface CompilingBackend {
  checkCompileCompletionAsync(): Promise<void>;
}

/** Compiles the programs a run of `config` on `space` will use, when the active backend is webgpu. */
export async function buildGpuPrograms(config: Config, space: ActionSpace): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const backend = tf.backend() as unknown as CompilingBackend;
  const agent = new TD3(space, config, 0);
  const n = config.batchSize;
  const { observationSize: os, actionSize: as } = space;
  const batch: Batch = {
    size: n,
    observations: new Float32Array(n * os),
    actions: new Float32Array(n * as),
    rewards: new Float32Array(n),
    nextObservations: new Float32Array(n * os),
    notDone: new Float32Array(n).fill(1),
    ...(config.per ? { weights: new Float32Array(n).fill(1) } : {}),
  };
  tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
  try {
    // Critic updates, the delayed actor update, with and without statistics; actions for one env step, the
    // parallel envs, a probe wave and an evaluation's episodes side by side; the probe's values.
    for (let k = 0; k < Math.max(2, config.policyDelay); k++) readNothing(agent.trainRead(batch, k < 2));
    const copies = envCopyLimit(config.env);
    const probeRows = Math.max(1, Math.min(copies, config.probePairs));
    const evalRows = Math.max(1, Math.min(copies, config.evalEpisodes));
    for (const rows of new Set([1, config.parallelEnvs, probeRows, evalRows]))
      readNothing(agent.actionsRead(new Float32Array(rows * os), rows));
    const pairs = Math.max(1, config.probePairs);
    readNothing(agent.valuesRead(new Float32Array(pairs * os), new Float32Array(pairs * as), pairs));
    readNothing(agent.nonFiniteNetworksRead());
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
  }
  await backend.checkCompileCompletionAsync();
  agent.dispose();
}
