/**
 * A population: N TD3 agents (variants × seeds) held as one set of batched weights, each layer's weights
 * [N, in, out], so that one call of src/rl/td3Update.ts updates all of them with batched products: on a GPU
 * one kernel per operation for the whole population instead of N. Each member is the agent it would be
 * alone: its own seed's initial weights, smoothing noise and minibatch, its own switches and rates; a test
 * holds its numbers to a solo src/rl/td3.ts agent's on the cpu backend.
 *
 * The members' switches differ, so the update runs as for the widest member (both target critics, the actor
 * branch at every update, noise rows for every member) and these operations apply each member's own:
 *   twin critics off  its y takes Q1′ alone                                              (bellmanTarget)
 *   policy delay d    its actor, and its targets, change only at updates that are multiples of its d
 *                                                                          (step, polyak, the actor loss)
 *   smoothing off     its ε rows are 0: clip(tanh z + 0, −1, 1) = tanh z, so ã′ = π′(s′) exactly
 * Options beyond the paper (normalised critics, prioritized replay, gradient clipping, the min-Q actor) are
 * not batched: `batchable` says why, and such members train alone.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../common/random';
import {
  type ActionSpace,
  type AgentConfig,
  type AgentWeights,
  type Batch,
  type LiveAgentConfig,
  NETWORK_NAMES,
  type UpdateStats,
} from './agentTypes';
import { type Reads, read, readAndDispose } from './deviceReads';
import { type MlpWeights, matrixRows } from './mlp';
import { batchable } from './populationMembers';
import { TD3 } from './td3';
import { smoothingNoise, type TD3Parts, td3Update, type UpdateOps } from './td3Update';

export { batchable } from './populationMembers';

export interface PopulationMember {
  config: AgentConfig;
  seed: number;
}

/** A population's six networks, in AgentWeights' order. */
const NETWORKS = ['actor', 'actorTarget', 'critic1', 'critic2', 'critic1Target', 'critic2Target'] as const;

/** A network of every member: layer l's weights [N, in, out] and biases [N, 1, out]. */
export class BatchedMlp {
  readonly layers: { weight: tf.Variable<tf.Rank.R3>; bias: tf.Variable<tf.Rank.R3> }[];

  /** From each member's plain weights (all of the same sizes). */
  constructor(memberWeights: MlpWeights[]) {
    const n = memberWeights.length;
    this.layers = memberWeights[0].map((layer, l) => {
      const rows = layer.weight.length;
      const cols = layer.bias.length;
      const w = Float32Array.from(memberWeights.flatMap((m) => m[l].weight.flat()));
      const b = Float32Array.from(memberWeights.flatMap((m) => m[l].bias));
      return {
        // tidy frees the values a variable is made from (it copies them); it keeps the variables.
        weight: tf.tidy(() => tf.variable(tf.tensor3d(w, [n, rows, cols]))),
        bias: tf.tidy(() => tf.variable(tf.tensor3d(b, [n, 1, cols]))),
      };
    });
  }

  /** Each layer's weight and bias, in order (the order of the gradients `backward` gives). */
  variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.weight, l.bias]);
  }

  /** Member `i`'s weights, from the values of `variables()` read elsewhere. */
  memberWeights(values: Float32Array[], i: number): MlpWeights {
    return this.layers.map((layer, l) => {
      const [, rows, cols] = layer.weight.shape;
      return {
        weight: matrixRows(values[2 * l].subarray(i * rows * cols, (i + 1) * rows * cols), rows, cols),
        bias: Array.from(values[2 * l + 1].subarray(i * cols, (i + 1) * cols)),
      };
    });
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/** Adam (as src/rl/adam.ts) over a population's parameters, each member with its own rate and step count. */
export class BatchedAdam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  /** Steps taken by each member (a delayed actor skips some). */
  readonly steps: number[];

  constructor(
    readonly params: tf.Variable[],
    /** Each member's learning rate. */
    readonly learningRates: number[],
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.steps = learningRates.map(() => 0);
  }

  /** One step of the members marked `active`; the others' parameters and moments stay as they are. */
  apply(grads: tf.Tensor[], active: boolean[]): void {
    const n = active.length;
    const stepSize = new Float32Array(n).fill(1);
    const correction = new Float32Array(n).fill(1);
    active.forEach((on, i) => {
      if (!on) return;
      const t = ++this.steps[i];
      stepSize[i] = this.learningRates[i] / (1 - this.beta1 ** t);
      correction[i] = Math.sqrt(1 - this.beta2 ** t);
    });
    tf.tidy(() => {
      const size = tf.tensor3d(stepSize, [n, 1, 1]);
      const sqrtCorrection2 = tf.tensor3d(correction, [n, 1, 1]);
      const all = active.every(Boolean);
      const mask = all ? null : tf.tensor3d(Uint8Array.from(active, Number), [n, 1, 1], 'bool');
      const keep = (next: tf.Tensor, old: tf.Tensor) => (mask ? tf.where(mask, next, old) : next);
      grads.forEach((g, i) => {
        const m = tf.add(tf.mul(this.m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtCorrection2), this.epsilon);
        const p = tf.sub(this.params[i], tf.mul(tf.div(m, denom), size));
        this.params[i].assign(keep(p, this.params[i]));
        this.m[i].assign(keep(m, this.m[i]));
        this.v[i].assign(keep(v, this.v[i]));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

interface BatchedTrace {
  inputs: tf.Tensor3D[];
  output: tf.Tensor3D;
}

export class Population implements TD3Parts<BatchedMlp, BatchedAdam> {
  readonly size: number;
  readonly actor: BatchedMlp;
  readonly actorTarget: BatchedMlp;
  readonly critic1: BatchedMlp;
  readonly critic2: BatchedMlp;
  readonly critic1Target: BatchedMlp;
  readonly critic2Target: BatchedMlp;
  readonly actorOptimizer: BatchedAdam;
  readonly criticOptimizer: BatchedAdam;
  /** Critic updates so far, the same for every member. */
  updates = 0;
  private readonly smoothingRngs: Random[];
  /** Half the action range per dimension (σ and c of smoothing are in its units). */
  readonly halfRange: Float64Array;
  private readonly ops: BatchedOps;

  constructor(
    readonly space: ActionSpace,
    readonly members: PopulationMember[],
  ) {
    const why = batchable(members);
    if (why) throw new Error(`These agents cannot be batched: ${why}`);
    this.size = members.length;
    // Each member's initial weights exactly as its agent alone draws them.
    const alone = members.map((m) => new TD3(space, m.config, m.seed));
    const weights = alone.map((agent) => agent.getWeights());
    for (const agent of alone) agent.dispose();
    this.halfRange = Float64Array.from(space.actionHigh, (h, i) => (h - space.actionLow[i]) / 2);
    const batched = (key: keyof AgentWeights) => new BatchedMlp(weights.map((w) => w[key]));
    this.actor = batched('actor');
    this.actorTarget = batched('actorTarget');
    this.critic1 = batched('critic1');
    this.critic2 = batched('critic2');
    this.critic1Target = batched('critic1Target');
    this.critic2Target = batched('critic2Target');
    const configs = members.map((m) => m.config);
    this.actorOptimizer = new BatchedAdam(
      this.actor.variables(),
      configs.map((c) => c.actorLr),
    );
    this.criticOptimizer = new BatchedAdam(
      [...this.critic1.variables(), ...this.critic2.variables()],
      configs.map((c) => c.criticLr),
    );
    this.smoothingRngs = members.map((m) => Random.stream(m.seed, 'target-smoothing'));
    this.ops = new BatchedOps(this, configs);
  }

  /** Each member's deterministic actions for its `rows` observations (members one after another), in one read. */
  *actionsRead(observations: Float32Array, rows: number): Reads<Float32Array> {
    const actions = tf.tidy(() => {
      const s = tf.tensor3d(observations, [this.size, rows, this.space.observationSize]);
      return this.ops.scaleAction(this.ops.forward('policy', [this.actor], [s])[0].output);
    });
    return (yield* readAndDispose([actions]))[0];
  }

  /** Each member's Q1 and Q2 of its `rows` (s, a) pairs (members one after another), in one read: for the probe. */
  *valuesRead(
    observations: Float32Array,
    actions: Float32Array,
    rows: number,
  ): Reads<{ q1: Float32Array; q2: Float32Array }> {
    const { observationSize: os, actionSize: as } = this.space;
    const values = tf.tidy(() => {
      const s = tf.tensor3d(observations, [this.size, rows, os]);
      const a = tf.tensor3d(actions, [this.size, rows, as]);
      const sa = tf.concat([s, a], 2);
      return this.ops.forward('values', [this.critic1, this.critic2], [sa, sa]).map((t) => t.output);
    });
    const [q1, q2] = yield* readAndDispose(values);
    return { q1, q2 };
  }

  /**
   * One update of every member on its own minibatch (`batches[i]`, all of one size), in one call of the
   * update; each member's statistics if asked for.
   */
  *trainRead(batches: Batch[], wantStats = false): Reads<(UpdateStats | null)[]> {
    if (batches.length !== this.size) throw new Error(`${batches.length} batches for ${this.size} members`);
    const update = ++this.updates;
    const n = batches[0].size;
    const configs = this.members.map((m) => m.config);
    this.ops.beginUpdate(configs.map((c) => update % c.policyDelay === 0));
    // Each member's ε from its own stream, as its agent alone draws it (none when its smoothing is off).
    const noises = configs.map((c, i) => smoothingNoise(this.smoothingRngs[i], n, this.halfRange, c));
    const noise = noises.some(Boolean) ? new Float32Array(this.size * n * this.space.actionSize) : null;
    noises.forEach((e, i) => {
      if (e && noise) noise.set(e, i * e.length);
    });
    // The widest member's switches; the operations apply each member's own (see the top of this file).
    const widest: LiveAgentConfig = {
      ...configs[0],
      twinCritics: true,
      policyDelay: 1,
      targetSmoothing: noise !== null,
    };
    tf.tidy(() => {
      td3Update(this.ops, this, widest, stackBatches(batches), noise, update, wantStats, null);
    });
    const kept = this.ops.takeStats();
    if (!kept) return batches.map(() => null);
    const [values] = yield* readAndDispose([kept]);
    return configs.map((c, i) => {
      const [criticLoss, actorLoss, q1, q2, targetQ] = values.subarray(i * 5, i * 5 + 5);
      return {
        update,
        actorUpdated: update % c.policyDelay === 0,
        criticLoss,
        actorLoss,
        q1,
        q2: c.twinCritics ? q2 : Number.NaN,
        targetQ,
      };
    });
  }

  /** Per member, the names of its networks whose weights are not all finite (a checksum each), in one read. */
  *nonFiniteMembersRead(): Reads<string[][]> {
    const sums = tf.tidy(() =>
      tf.stack(NETWORKS.map((key) => tf.addN(this[key].variables().map((v) => tf.sum(v, [1, 2]))))),
    );
    const [values] = yield* readAndDispose([sums]);
    return this.members.map((_, i) =>
      NETWORKS.filter((_, j) => !Number.isFinite(values[j * this.size + i])).map((key) => NETWORK_NAMES[key]),
    );
  }

  /** Every member's weights, in one read. */
  *weightsRead(): Reads<AgentWeights[]> {
    const lists = NETWORKS.map((key) => this[key].variables());
    const values = yield* read(lists.flat());
    const out: AgentWeights[] = [];
    for (let i = 0; i < this.size; i++) {
      let k = 0;
      const member: Partial<AgentWeights> = {};
      NETWORKS.forEach((key, j) => {
        member[key] = this[key].memberWeights(values.slice(k, k + lists[j].length), i);
        k += lists[j].length;
      });
      out.push(member as AgentWeights);
    }
    return out;
  }

  dispose(): void {
    for (const key of NETWORKS) this[key].dispose();
    this.actorOptimizer.dispose();
    this.criticOptimizer.dispose();
    this.ops.dispose();
  }
}

/**
 * a·b with either factor transposed (in its last two axes); on wasm the transpose is made explicitly first,
 * since tfjs-wasm's transposed products run about ten times slower than its plain one (src/rl/linalg.ts).
 */
function product(a: tf.Tensor3D, b: tf.Tensor3D, transposeA: boolean, transposeB: boolean): tf.Tensor3D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB);
  const swap = (t: tf.Tensor3D) => tf.transpose(t, [0, 2, 1]);
  return tf.matMul(transposeA ? swap(a) : a, transposeB ? swap(b) : b);
}

/** The members' minibatches as one: rows of member 0, then member 1, … */
function stackBatches(batches: Batch[]): Batch {
  const cat = (pick: (b: Batch) => Float32Array) => {
    const parts = batches.map(pick);
    const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return {
    size: batches[0].size,
    observations: cat((b) => b.observations),
    actions: cat((b) => b.actions),
    rewards: cat((b) => b.rewards),
    nextObservations: cat((b) => b.nextObservations),
    notDone: cat((b) => b.notDone),
  };
}

/**
 * The update's operations on a population: the same tfjs operations as src/rl/tfjsOps.ts with a leading
 * member axis ([N, batch, width]), products batched, and each member's switches applied where they act.
 */
class BatchedOps implements UpdateOps<tf.Tensor3D, tf.Tensor, BatchedTrace, BatchedMlp, BatchedAdam> {
  private readonly n: number;
  private readonly actionScale: tf.Tensor3D;
  private readonly actionCenter: tf.Tensor3D;
  private readonly twin: tf.Tensor3D;
  private readonly discount: tf.Tensor3D;
  /** −mean Q1(s, π(s)) of each member's last actor update (NaN before its first). */
  private readonly lastActorLoss: tf.Variable;
  /** Which members update their actor and targets at this update (their delay divides its number). */
  private actorActive: boolean[] = [];
  private stats: tf.Tensor | null = null;

  constructor(
    private readonly population: Population,
    private readonly configs: AgentConfig[],
  ) {
    const { space } = population;
    this.n = configs.length;
    const act = space.actionSize;
    const center = space.actionHigh.map((h, i) => (h + space.actionLow[i]) / 2);
    this.actionScale = tf.tensor3d(Array.from(population.halfRange), [1, 1, act]);
    this.actionCenter = tf.tensor3d(center, [1, 1, act]);
    this.twin = tf.tensor3d(
      configs.map((c) => (c.twinCritics ? 1 : 0)),
      [this.n, 1, 1],
      'bool',
    );
    this.discount = tf.tensor3d(
      configs.map((c) => c.discount),
      [this.n, 1, 1],
    );
    this.lastActorLoss = tf.tidy(() => tf.variable(tf.fill([this.n], Number.NaN), false));
  }

  beginUpdate(actorActive: boolean[]): void {
    this.actorActive = actorActive;
  }

  /** The last update's statistics, [N × (critic loss, actor loss, mean Q1, mean Q2, mean y)], if asked for. */
  takeStats(): tf.Tensor | null {
    const stats = this.stats;
    this.stats = null;
    return stats;
  }

  upload(batch: Batch) {
    const { observationSize: os, actionSize: as } = this.population.space;
    const rows = this.n * batch.size;
    const sa = new Float32Array(rows * (os + as));
    for (let k = 0; k < rows; k++) {
      sa.set(batch.observations.subarray(k * os, (k + 1) * os), k * (os + as));
      sa.set(batch.actions.subarray(k * as, (k + 1) * as), k * (os + as) + os);
    }
    return {
      s: tf.tensor3d(batch.observations, [this.n, batch.size, os]),
      sa: tf.tensor3d(sa, [this.n, batch.size, os + as]),
      sNext: tf.tensor3d(batch.nextObservations, [this.n, batch.size, os]),
    };
  }

  forward(_site: string, nets: BatchedMlp[], inputs: tf.Tensor3D[]): BatchedTrace[] {
    return nets.map((net, t) => {
      const kept: tf.Tensor3D[] = [];
      let h = inputs[t];
      net.layers.forEach((layer, l) => {
        kept.push(h);
        const z: tf.Tensor3D = tf.add(tf.matMul(h, layer.weight), layer.bias);
        h = l < net.layers.length - 1 ? tf.relu(z) : z;
      });
      return { inputs: kept, output: h };
    });
  }

  backward(
    _site: string,
    nets: BatchedMlp[],
    traces: BatchedTrace[],
    dOutputs: tf.Tensor3D[],
    want: { weights: boolean; input: boolean },
  ) {
    const grads: tf.Tensor[][] = [];
    const dInputs: tf.Tensor3D[] = [];
    nets.forEach((net, t) => {
      const g: tf.Tensor[] = [];
      let dz = dOutputs[t];
      for (let l = net.layers.length - 1; l >= 0; l--) {
        const x = traces[t].inputs[l];
        if (want.weights) {
          g[2 * l] = product(x, dz, true, false);
          g[2 * l + 1] = tf.sum(dz, 1, true);
        }
        if (l === 0 && !want.input) break;
        const dx = product(dz, net.layers[l].weight, false, true);
        // Through the ReLU whose output was x.
        if (l > 0) dz = tf.mul(dx, tf.step(x));
        else if (want.input) dInputs.push(dx);
      }
      grads.push(g);
    });
    return { grads, dInputs };
  }

  followBatchStatistics(): void {}

  stateAction(_site: string, s: tf.Tensor3D, z: tf.Tensor3D, noise: Float32Array | null) {
    const squashed = tf.tanh(z);
    let unit = squashed;
    if (noise) {
      const half = this.population.halfRange;
      const scaled = Float32Array.from(noise, (e, i) => e / half[i % half.length]);
      unit = tf.clipByValue(tf.add(squashed, tf.tensor3d(scaled, z.shape)), -1, 1);
    }
    const action: tf.Tensor3D = tf.add(tf.mul(unit, this.actionScale), this.actionCenter);
    return { rows: tf.concat([s, action], 2), squashed };
  }

  /** y = r + γᵢ (1 − terminated) · (min(Q1′, Q2′) for members with twin critics, Q1′ for the others). */
  bellmanTarget(batch: Batch, qNext: tf.Tensor3D[]): tf.Tensor3D {
    const shape: [number, number, number] = [this.n, batch.size, 1];
    const q = tf.where(this.twin, tf.minimum(qNext[0], qNext[1]), qNext[0]);
    const reward = tf.tensor3d(batch.rewards, shape);
    const notDone = tf.tensor3d(batch.notDone, shape);
    return tf.add(reward, tf.mul(tf.mul(notDone, this.discount), q));
  }

  squaredErrorGradients(qs: tf.Tensor3D[], y: tf.Tensor3D): tf.Tensor3D[] {
    const n = y.shape[1];
    return qs.map((q) => tf.mul(tf.sub(q, y), 2 / n));
  }

  actorObjectiveGradients(qs: tf.Tensor3D[]): tf.Tensor3D[] {
    const [q] = qs;
    const loss = tf.neg(tf.mean(q, [1, 2]));
    const active = tf.tensor1d(Uint8Array.from(this.actorActive, Number), 'bool');
    this.lastActorLoss.assign(tf.where(active, loss, this.lastActorLoss));
    return [tf.fill(q.shape, -1 / q.shape[1])];
  }

  sum(rows: tf.Tensor3D[]): tf.Tensor3D {
    return rows.length > 1 ? tf.add(rows[0], rows[1]) : rows[0];
  }

  throughSquash(dStateAction: tf.Tensor3D, squashed: tf.Tensor3D): tf.Tensor3D {
    const { observationSize: os, actionSize: as } = this.population.space;
    const [n, rows] = dStateAction.shape;
    const dAction = tf.slice(dStateAction, [0, 0, os], [n, rows, as]);
    return tf.mul(tf.mul(dAction, this.actionScale), tf.sub(1, tf.square(squashed)));
  }

  step(optimizer: BatchedAdam, grads: tf.Tensor[]): void {
    const everyone = this.configs.map(() => true);
    optimizer.apply(grads, optimizer === this.population.actorOptimizer ? this.actorActive : everyone);
  }

  /** θ′ ← τᵢθ + (1 − τᵢ)θ′ for the members whose actor updated now; τ = 0 (θ′ unchanged) for the others. */
  polyak(target: BatchedMlp, source: BatchedMlp): void {
    const tau = this.configs.map((c, i) => (this.actorActive[i] ? c.tau : 0));
    const t = tf.tensor3d(tau, [this.n, 1, 1]);
    const rest = tf.tensor3d(
      tau.map((x) => 1 - x),
      [this.n, 1, 1],
    );
    const from = source.variables();
    target.variables().forEach((v, i) => {
      v.assign(tf.add(tf.mul(from[i], t), tf.mul(v, rest)));
    });
  }

  finish(qs: tf.Tensor3D[], y: tf.Tensor3D, wantStats: boolean) {
    if (wantStats) {
      // As tf.losses.meanSquaredError reduces (the sum, then ÷ n), so each member's loss is its agent's.
      const mse = (q: tf.Tensor3D) => tf.div(tf.sum(tf.squaredDifference(y, q), [1, 2]), y.shape[1]);
      const twin = tf.reshape(this.twin, [this.n]);
      const criticLoss = tf.where(twin, tf.add(mse(qs[0]), mse(qs[1])), mse(qs[0]));
      const means = (x: tf.Tensor3D) => tf.mean(x, [1, 2]);
      this.stats = tf.keep(
        tf.stack([criticLoss, this.lastActorLoss, means(qs[0]), means(qs[1]), means(y)], 1),
      );
    }
    return { stats: null, finite: null };
  }

  /** π(s) from the pre-activation: tanh scaled onto [low, high]. */
  scaleAction(z: tf.Tensor3D): tf.Tensor3D {
    return tf.add(tf.mul(tf.tanh(z), this.actionScale), this.actionCenter);
  }

  dispose(): void {
    tf.dispose([this.actionScale, this.actionCenter, this.twin, this.discount, this.lastActorLoss]);
    if (this.stats) this.stats.dispose();
  }
}
