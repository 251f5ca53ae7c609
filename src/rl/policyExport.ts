/**
 * The trained policy as a tfjs LayersModel (model.json + one weights file), which `tf.loadLayersModel` loads
 * anywhere tfjs runs: Dense(ReLU) layers as trained, tanh on the last, then a Dense layer with diagonal
 * weights that maps tanh's (−1, 1) onto the action bounds (scale = half the range, bias = the centre), so
 * the model's output is the action the agent takes, bounds included. A JSON config beside it says what the
 * model expects and where it came from.
 */
import * as tf from '@tensorflow/tfjs';
import { sha256Hex } from '../common/sha256';
import { readAsync } from './deviceReads';
import type { Config } from './hyperparameters';
import type { MlpWeights } from './mlp';
import type { ObservationNormalizer } from './observationNormalizer';
import type { ActionSpace, TD3 } from './td3';

export const POLICY_FORMAT = 'td3-playground-policy';
export const WEIGHTS_FILE = 'policy.weights.bin';

export interface PolicyConfig {
  format: typeof POLICY_FORMAT;
  version: 1;
  env: string;
  observationSize: number;
  actionSize: number;
  actionLow: number[];
  actionHigh: number[];
  /** Env steps and updates the policy was trained for. */
  step: number;
  updates: number;
  /** The run's whole configuration. */
  config: Config;
  /** SHA-256 (hex) of model.json's text and of the weights file: an import checks both. */
  modelSha256: string;
  weightsSha256: string;
}

export interface ExportedPolicy {
  /** The text of model.json: topology and a manifest naming WEIGHTS_FILE. */
  modelJson: string;
  weights: ArrayBuffer;
  config: PolicyConfig;
}

/** The actor as a LayersModel with the given weights, the agent's actor's (caller disposes it). */
export function policyModel(
  actorWeights: MlpWeights,
  space: ActionSpace,
  normalizer: ObservationNormalizer | null = null,
): tf.LayersModel {
  const weights = structuredClone(actorWeights);
  if (normalizer) {
    // The normalisation folded into the first layer: ((s − μ)/σ)·W + b = s·(W/σ) + (b − (μ/σ)·W).
    const first = weights[0];
    first.weight.forEach((row, i) => {
      const sigma = normalizer.scale(i);
      const shift = normalizer.center(i) / sigma;
      row.forEach((w, j) => {
        first.bias[j] -= shift * w;
        row[j] = w / sigma;
      });
    });
  }
  const act = space.actionSize;
  const model = tf.sequential();
  // setWeights copies: each layer's tensors are freed as soon as they are in.
  const setLayer = (index: number, values: tf.Tensor[]) => {
    model.layers[index].setWeights(values);
    for (const t of values) t.dispose();
  };
  weights.forEach((layer, i) => {
    model.add(
      tf.layers.dense({
        units: layer.bias.length,
        activation: i === weights.length - 1 ? 'tanh' : 'relu',
        ...(i === 0 ? { inputShape: [space.observationSize] } : {}),
        name: `dense_${i + 1}`,
      }),
    );
    setLayer(i, [tf.tensor2d(layer.weight), tf.tensor1d(layer.bias)]);
  });
  // a = tanh · half-range + centre, per action dimension: the agent's own mapping onto [low, high].
  const scale = tf.buffer([act, act]);
  for (let j = 0; j < act; j++) scale.set((space.actionHigh[j] - space.actionLow[j]) / 2, j, j);
  const centre = space.actionHigh.map((h, j) => (h + space.actionLow[j]) / 2);
  model.add(tf.layers.dense({ units: act, activation: 'linear', name: 'action_bounds' }));
  setLayer(weights.length, [scale.toTensor(), tf.tensor1d(centre)]);
  return model;
}

export async function exportPolicy(
  agent: TD3,
  space: ActionSpace & { id: string },
  config: Config,
  step: number,
  /** The run's observation statistics, folded into the first layer, when it normalises observations. */
  normalizer: ObservationNormalizer | null = null,
): Promise<ExportedPolicy> {
  // Read asynchronously: right on every backend, GPU ones included.
  const model = policyModel((await readAsync(agent.weightsRead())).actor, space, normalizer);
  try {
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const artifacts = saved as tf.io.ModelArtifacts | null;
    if (!artifacts?.weightSpecs || !artifacts.weightData) throw new Error('the model saved no weights');
    const weights = tf.io.concatenateArrayBuffers(
      Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
    );
    const modelJson = JSON.stringify({
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
    });
    return {
      modelJson,
      weights,
      config: {
        modelSha256: await sha256Hex(modelJson),
        weightsSha256: await sha256Hex(new Uint8Array(weights)),
        format: POLICY_FORMAT,
        version: 1,
        env: space.id,
        observationSize: space.observationSize,
        actionSize: space.actionSize,
        actionLow: [...space.actionLow],
        actionHigh: [...space.actionHigh],
        step,
        updates: agent.updates,
        config,
      },
    };
  } finally {
    model.dispose();
  }
}
