/**
 * LayerNorm and BatchNorm critics (src/rl/normLayers.ts): the hand-written backward pass against tfjs's
 * automatic differentiation of an independent forward pass, BatchNorm's running averages against their
 * formula, the probe's Q on running averages, and an agent with normalised critics training, saving and
 * resuming exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { Mlp, type MlpWeights } from '../../src/rl/mlp';
import { TD3 } from '../../src/rl/td3';
import { agentConfig, randomBatch, wideSpace } from '../helpers/td3Fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const made: { dispose(): void }[] = [];
afterEach(() => {
  for (const m of made.splice(0)) m.dispose();
});

/** A net whose γ, β are moved off 1 and 0, so that their gradients and effects show. */
function normedNet(kind: 'layer' | 'batch', seed: number): Mlp {
  const net = new Mlp([3, 5, 4, 2], new Random(seed), { norm: kind });
  made.push(net);
  const rng = new Random(seed + 100);
  const w = net.getWeights().map((layer) =>
    layer.norm
      ? {
          ...layer,
          norm: {
            ...layer.norm,
            scale: layer.norm.scale.map(() => rng.uniformRange(0.5, 1.5)),
            shift: layer.norm.shift.map(() => rng.uniformRange(-0.3, 0.3)),
          },
        }
      : layer,
  );
  net.setWeights(w);
  return net;
}

/** The same network written directly in tfjs operations, normalisation by tf.moments, for autodiff. */
function referenceForward(kind: 'layer' | 'batch', params: tf.Tensor[], x: tf.Tensor2D): tf.Tensor {
  let h: tf.Tensor = x;
  const layers = 3;
  let at = 0;
  for (let l = 0; l < layers; l++) {
    const [w, b] = [params[at++], params[at++]];
    const z = tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), b);
    if (l === layers - 1) {
      h = z;
      break;
    }
    const [gamma, beta] = [params[at++], params[at++]];
    const { mean, variance } = tf.moments(z, kind === 'layer' ? 1 : 0, true);
    h = tf.relu(tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta));
  }
  return h;
}

describe.each(['layer', 'batch'] as const)('%s normalisation', (kind) => {
  it('the backward pass equals automatic differentiation, for every parameter and the input', () => {
    const net = normedNet(kind, 3);
    const rng = new Random(9);
    const xValues = Float32Array.from({ length: 8 * 3 }, () => rng.uniformRange(-2, 2));
    const dOutValues = Float32Array.from({ length: 8 * 2 }, () => rng.normal());
    tf.tidy(() => {
      const x = tf.tensor2d(xValues, [8, 3]);
      const dOut = tf.tensor2d(dOutValues, [8, 2]);
      const trace = net.forward(x);
      const hand = net.backward(trace, dOut, { weights: true, input: true });
      const params = net.variables();
      expect(hand.grads).toHaveLength(params.length);
      const loss = (...inputs: tf.Tensor[]) =>
        tf.sum(tf.mul(referenceForward(kind, inputs.slice(1), inputs[0] as tf.Tensor2D), dOut)) as tf.Scalar;
      const auto = tf.grads(loss)([x, ...params]);
      // The forward passes agree, then every gradient.
      const reference = referenceForward(kind, params, x);
      expect(tf.max(tf.abs(tf.sub(trace.output, reference))).dataSync()[0]).toBeLessThan(1e-5);
      const gap = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      expect(gap(hand.dInput as tf.Tensor, auto[0])).toBeLessThan(1e-4);
      hand.grads.forEach((g, i) => {
        expect(g.shape).toEqual(params[i].shape);
        expect(gap(g, auto[i + 1])).toBeLessThan(1e-4);
      });
      // Not trivially zero: the normalisation's own gradients carry signal.
      expect(tf.max(tf.abs(hand.grads[2])).dataSync()[0]).toBeGreaterThan(1e-3);
    });
  });

  it('saves and restores γ, β (and running averages), and refuses weights without them', () => {
    const net = normedNet(kind, 4);
    const saved = net.getWeights();
    expect(saved[0].norm?.scale).toHaveLength(5);
    expect(saved[2].norm).toBeUndefined();
    expect(saved[0].norm?.runningMean !== undefined).toBe(kind === 'batch');
    const copy = new Mlp([3, 5, 4, 2], new Random(77), { norm: kind });
    made.push(copy);
    copy.setWeights(saved);
    expect(JSON.stringify(copy.getWeights())).toBe(JSON.stringify(saved));
    const plain: MlpWeights = saved.map(({ weight, bias }) => ({ weight, bias }));
    expect(() => copy.setWeights(plain)).toThrow(/layer 0 expects its .* normalisation/);
  });
});

describe('layer normalisation', () => {
  it('each row of a normalised layer has mean β and spread γ before its ReLU', () => {
    const net = new Mlp([3, 6, 1], new Random(2), { norm: 'layer' });
    made.push(net);
    tf.tidy(() => {
      const x = tf.randomNormal([4, 3], 0, 3, 'float32', 1) as tf.Tensor2D;
      const z = tf.add(tf.matMul(x, net.layers[0].weight), net.layers[0].bias);
      const trace = net.forward(x);
      const cache = trace.norms?.[0];
      expect(cache).toBeTruthy();
      const { mean, variance } = tf.moments(cache?.normalized as tf.Tensor2D, 1);
      expect(tf.max(tf.abs(mean)).dataSync()[0]).toBeLessThan(1e-5);
      // Biased variance of x̂ is σ²/(σ² + ε): 1 up to ε over the row's spread.
      expect(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0]).toBeLessThan(1e-3);
      // The ReLU output is relu(x̂) with γ = 1, β = 0.
      const rows = tf.moments(z, 1, true);
      const expected = tf.relu(tf.div(tf.sub(z, rows.mean), tf.sqrt(tf.add(rows.variance, 1e-5))));
      expect(tf.max(tf.abs(tf.sub(trace.inputs[1], expected))).dataSync()[0]).toBeLessThan(1e-5);
    });
  });
});

describe('batch normalisation', () => {
  it('running averages move by momentum 0.1 towards the batch mean and unbiased variance', () => {
    const net = new Mlp([3, 5, 1], new Random(5), { norm: 'batch' });
    made.push(net);
    const rng = new Random(6);
    const n = 10;
    const x = Float32Array.from({ length: n * 3 }, () => rng.uniformRange(-2, 2));
    const w = net.getWeights()[0];
    // The pre-activations by hand, then their per-feature mean and unbiased variance.
    const z = Array.from({ length: n }, (_, i) =>
      w.bias.map((b, j) => b + [0, 1, 2].reduce((sum, k) => sum + x[i * 3 + k] * w.weight[k][j], 0)),
    );
    const mean = w.bias.map((_, j) => z.reduce((s, row) => s + row[j], 0) / n);
    const unbiased = w.bias.map((_, j) => z.reduce((s, row) => s + (row[j] - mean[j]) ** 2, 0) / (n - 1));
    tf.tidy(() => net.updateRunningAverages(net.forward(tf.tensor2d(x, [n, 3]))));
    const norm = net.getWeights()[0].norm;
    norm?.runningMean?.forEach((m, j) => {
      expect(m).toBeCloseTo(0.1 * mean[j], 5);
    });
    norm?.runningVariance?.forEach((v, j) => {
      expect(v).toBeCloseTo(0.9 + 0.1 * unbiased[j], 5);
    });
  });

  it("the probe's Q values use the running averages: a single pair gets the same value in any batch", () => {
    const agent = new TD3(wideSpace, agentConfig({ hidden1: 6, hidden2: 5, criticNorm: 'batch' }), 8);
    made.push(agent);
    for (let k = 0; k < 5; k++) agent.train(randomBatch(wideSpace, 16, 40 + k));
    const batch = randomBatch(wideSpace, 6, 50);
    const all = agent.qValues(batch.observations, batch.actions, 6);
    const one = agent.qValues(batch.observations.slice(0, 3), batch.actions.slice(0, 2), 1);
    expect(one.q1[0]).toBeCloseTo(all.q1[0], 5);
    expect(Number.isFinite(one.q2[0])).toBe(true);
    // With batch statistics the first pair's value would depend on the other five.
    const batchQ = tf.tidy(() => {
      const sa = tf.concat([tf.tensor2d(batch.observations, [6, 3]), tf.tensor2d(batch.actions, [6, 2])], 1);
      return agent.critic1.forward(sa as tf.Tensor2D).output.dataSync()[0];
    });
    expect(Math.abs(batchQ - all.q1[0])).toBeGreaterThan(1e-4);
  });
});

describe.each(['layer', 'batch'] as const)('an agent with %s-normalised critics', (kind) => {
  it('learns its critics, keeps its actor plain, and resumes from its saved state exactly', () => {
    const config = agentConfig({ hidden1: 6, hidden2: 5, criticNorm: kind, policyDelay: 1 });
    const agent = new TD3(wideSpace, config, 11);
    made.push(agent);
    expect(agent.critic1.norm).toBe(kind);
    expect(agent.critic2Target.norm).toBe(kind);
    expect(agent.actor.norm).toBeNull();
    const before = agent.getWeights().critic1[0].norm?.scale ?? [];
    for (let k = 0; k < 4; k++) agent.train(randomBatch(wideSpace, 16, k));
    const after = agent.getWeights().critic1[0].norm?.scale ?? [];
    expect(after.some((v, j) => v !== before[j])).toBe(true);
    expect(agent.nonFiniteNetworks()).toEqual([]);

    const state = structuredClone(agent.exportState());
    const copy = new TD3(wideSpace, config, 99);
    made.push(copy);
    copy.importState(state);
    const batch = randomBatch(wideSpace, 16, 20);
    const a = agent.train(batch, true);
    const b = copy.train(batch, true);
    expect(b).toEqual(a);
    expect(JSON.stringify(copy.getWeights())).toBe(JSON.stringify(agent.getWeights()));
  });
});
