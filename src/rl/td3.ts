/**
 * A TD3 agent (Fujimoto, van Hoof & Meger, ICML 2018): its six networks, two optimizers and random streams,
 * its actions and values, and its saved state. The update itself, Algorithm 1 with its three switches, is
 * src/rl/td3Update.ts, run here with tfjs operations (src/rl/tfjsOps.ts) or, on wasm, in place
 * (src/rl/inPlaceOps.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../common/random';
import { type InPlaceKernels, inPlaceKernels } from '../compute/wasmKernels';
import { Adam } from './adam';
import {
  type ActionSpace,
  type AgentConfig,
  type AgentState,
  type AgentWeights,
  type Batch,
  type LiveAgentConfig,
  NETWORK_NAMES,
  type UpdateStats,
} from './agentTypes';
import { type Reads, read, readAndDispose, readSync } from './deviceReads';
import { type InPlaceAgent, InPlaceOps } from './inPlaceOps';
import { concatColumns } from './linalg';
import { Mlp, variableFrom } from './mlp';
import type { NormKind } from './normLayers';
import { smoothingNoise, targetValue, td3Update } from './td3Update';
import { TfjsOps } from './tfjsOps';

/** TD3_IN_PLACE (default true): on wasm, the update runs in place (src/rl/inPlaceOps.ts); false: tfjs operations. */
export const IN_PLACE_FLAG = 'TD3_IN_PLACE';
tf.env().registerFlag(IN_PLACE_FLAG, () => true);

export type {
  ActionSpace,
  AgentConfig,
  AgentState,
  AgentWeights,
  Batch,
  LiveAgentConfig,
  UpdateStats,
} from './agentTypes';

/**
 * What evaluation, the probe and the page need of an agent: its actions and values (read as the backend wants,
 * src/rl/deviceReads.ts), its space and settings.
 */
export type PolicyAccess = Pick<TD3, 'actionsRead' | 'valuesRead' | 'getConfig' | 'space'>;

export class TD3 {
  readonly actor: Mlp;
  readonly actorTarget: Mlp;
  readonly critic1: Mlp;
  readonly critic2: Mlp;
  readonly critic1Target: Mlp;
  readonly critic2Target: Mlp;
  readonly actorOptimizer: Adam;
  readonly criticOptimizer: Adam;
  private readonly smoothingRng: Random;
  /** Half the action range and its centre, per action dimension, to map tanh's (−1, 1) onto [low, high]. */
  private readonly halfRange: Float64Array;
  private readonly center: Float64Array;
  /** The update's operations as tfjs operations (any backend). */
  private readonly tfjsOps: TfjsOps;
  /** The same operations in place, on the wasm backend (src/rl/inPlaceOps.ts). */
  private inPlace: { kernels: InPlaceKernels; ops: InPlaceOps } | null = null;
  private config: LiveAgentConfig;
  /** Critic updates so far (the authors' total_it). */
  updates = 0;
  /**
   * Whether the last update's critic loss was finite: checked on every update on wasm (the in-place update
   * sums its loss gradient anyway) and on cpu (one small read-back); elsewhere when statistics are read, and
   * for every update at once after a batch of them (`firstNonFiniteLoss`).
   */
  lastUpdateFinite = true;
  /**
   * After an update of a weighted (prioritized) batch: each row's TD error, the larger |Q − y| of the critics
   * in use (as LAP, Fujimoto et al. 2020, takes it), for its new priority. Empty otherwise.
   */
  lastTdErrors = new Float32Array(0);
  /** −mean Q1(s, π(s)) of the last actor update (NaN before the first), kept on the device until read. */
  private readonly lastActorLoss = variableFrom(tf.scalar(Number.NaN), false);

  constructor(
    readonly space: ActionSpace,
    config: AgentConfig,
    seed: number,
  ) {
    const { observationSize: obs, actionSize: act } = space;
    const { hidden1, hidden2 } = config;
    const init = Random.stream(seed, 'network-init');
    const orthogonal = config.init === 'orthogonal';
    this.actor = new Mlp([obs, hidden1, hidden2, act], init, {
      orthogonal,
      outputUniform: config.smallActorOutput ? 3e-3 : undefined,
    });
    // Beyond the paper: LayerNorm or BatchNorm in the critics' hidden layers (src/rl/normLayers.ts).
    const norm =
      config.criticNorm && config.criticNorm !== 'none' ? (config.criticNorm as NormKind) : undefined;
    this.critic1 = new Mlp([obs + act, hidden1, hidden2, 1], init, { orthogonal, norm });
    this.critic2 = new Mlp([obs + act, hidden1, hidden2, 1], init, { orthogonal, norm });
    // Targets start as copies: θ′ ← θ.
    this.actorTarget = new Mlp(this.actor.sizes, init);
    this.critic1Target = new Mlp(this.critic1.sizes, init, { norm });
    this.critic2Target = new Mlp(this.critic2.sizes, init, { norm });
    this.actorTarget.polyakFrom(this.actor, 1);
    this.critic1Target.polyakFrom(this.critic1, 1);
    this.critic2Target.polyakFrom(this.critic2, 1);

    this.actorOptimizer = new Adam(this.actor.variables(), config.actorLr);
    this.criticOptimizer = new Adam(
      [...this.critic1.variables(), ...this.critic2.variables()],
      config.criticLr,
    );
    this.smoothingRng = Random.stream(seed, 'target-smoothing');

    this.halfRange = Float64Array.from(space.actionHigh, (h, i) => (h - space.actionLow[i]) / 2);
    this.center = Float64Array.from(space.actionHigh, (h, i) => (h + space.actionLow[i]) / 2);
    this.tfjsOps = new TfjsOps(space, this.halfRange, this.center, this.lastActorLoss);
    this.config = { ...config };
  }

  /** Changes live settings (learning rates, γ, τ, the three tricks) before the next update. */
  setConfig(config: Partial<LiveAgentConfig>): void {
    this.config = { ...this.config, ...config };
    this.actorOptimizer.learningRate = this.config.actorLr;
    this.criticOptimizer.learningRate = this.config.criticLr;
  }

  getConfig(): LiveAgentConfig {
    return { ...this.config };
  }

  /** π(s): the deterministic policy, tanh scaled onto [low, high]. */
  policy(net: Mlp, observations: tf.Tensor2D): tf.Tensor2D {
    return this.tfjsOps.scaleAction(net.forward(observations).output);
  }

  /** The deterministic action for one observation. */
  act(observation: ArrayLike<number>): Float32Array {
    return this.actBatch(observation, 1);
  }

  /** Deterministic actions for `n` observations laid out row by row. */
  actBatch(observations: ArrayLike<number>, n: number): Float32Array {
    return readSync(this.actionsRead(observations, n));
  }

  /** `actBatch` as work that reads the device (src/rl/deviceReads.ts). */
  *actionsRead(observations: ArrayLike<number>, n: number): Reads<Float32Array> {
    const rows = observations instanceof Float32Array ? observations : Float32Array.from(observations);
    const inPlace = this.inPlaceUpdate();
    // On wasm: the same forward pass without tfjs operations (src/rl/inPlaceOps.ts).
    if (inPlace) return inPlace.actions(rows, n);
    const actions = tf.tidy(() =>
      this.policy(this.actor, tf.tensor2d(rows, [n, this.space.observationSize])),
    );
    return (yield* readAndDispose([actions]))[0];
  }

  /**
   * Q1(s, a) and Q2(s, a) for `n` pairs (the overestimation probe's estimate). Normalised critics use
   * BatchNorm's running averages here, as PyTorch's eval mode does.
   */
  qValues(
    observations: Float32Array,
    actions: Float32Array,
    n: number,
  ): { q1: Float32Array; q2: Float32Array } {
    return readSync(this.valuesRead(observations, actions, n));
  }

  /** `qValues` as work that reads the device. */
  *valuesRead(
    observations: Float32Array,
    actions: Float32Array,
    n: number,
  ): Reads<{ q1: Float32Array; q2: Float32Array }> {
    const values = tf.tidy(() => {
      const s = tf.tensor2d(observations, [n, this.space.observationSize]);
      const a = tf.tensor2d(actions, [n, this.space.actionSize]);
      const sa = concatColumns(s, a);
      // One network per call, as before normalised critics: the probe's values stay what they were.
      return [this.critic1, this.critic2].map((net) => Mlp.forwardEach([net], [sa], 'running')[0].output);
    });
    const [q1, q2] = yield* readAndDispose(values);
    return { q1, q2 };
  }

  /** ε for target policy smoothing: N(0, σ) clipped to [−c, c] (src/rl/td3Update.ts), drawn from its stream. */
  sampleSmoothingNoise(n: number): Float32Array | null {
    return smoothingNoise(this.smoothingRng, n, this.halfRange, this.config);
  }

  /** The critics' regression target y for a batch (src/rl/td3Update.ts's targetValue, with tfjs operations). */
  targetQ(batch: Batch, noise: Float32Array | null): tf.Tensor2D {
    return tf.tidy(() => {
      const sNext = tf.tensor2d(batch.nextObservations, [batch.size, this.space.observationSize]);
      return targetValue(this.tfjsOps, this, this.config, batch, sNext, noise);
    });
  }

  /** One iteration of Algorithm 1's update on a sampled minibatch. Statistics are read back only if asked. */
  train(batch: Batch, wantStats = false): UpdateStats | null {
    return readSync(this.trainRead(batch, wantStats));
  }

  /**
   * `train` as work that reads the device: the update is queued at once; what it leaves to be read (its
   * statistics, a loss to check, TD errors) is read after it.
   */
  *trainRead(batch: Batch, wantStats = false): Reads<UpdateStats | null> {
    const update = ++this.updates;
    if (batch.weights && this.lastTdErrors.length !== batch.size)
      this.lastTdErrors = new Float32Array(batch.size);
    const tdErrors = batch.weights ? this.lastTdErrors : null;
    // Normalised critics are differentiated through tfjs operations only (src/rl/normLayers.ts).
    const inPlace = this.critic1.norm ? null : this.inPlaceUpdate();
    const noise = this.sampleSmoothingNoise(batch.size);
    const result = inPlace
      ? td3Update(inPlace, this, this.config, batch, noise, update, wantStats, tdErrors)
      : this.tfjsOps.run(update, () =>
          td3Update(this.tfjsOps, this, this.config, batch, noise, update, wantStats, tdErrors),
        );
    let { stats, finite } = result;
    if (!inPlace) {
      const reads = this.tfjsOps.takeReads();
      const tensors = [reads.stats, reads.loss, reads.tdErrors].filter((t): t is tf.Tensor => t !== null);
      const values = tensors.length ? yield* readAndDispose(tensors) : [];
      let k = 0;
      if (reads.stats) {
        const [criticLoss, actorLoss, q1, q2, targetQ] = values[k++];
        stats = { criticLoss, actorLoss, q1, q2, targetQ };
        finite = Number.isFinite(criticLoss) && Number.isFinite(q1);
      }
      if (reads.loss) finite = Number.isFinite(values[k++][0]);
      if (tdErrors && reads.tdErrors) tdErrors.set(values[k++]);
      // Kept losses are checked in lists of a bounded length, so an agent trained without checks stays bounded.
      if (this.tfjsOps.pendingLossesFull) yield* this.tfjsOps.readKeptLosses();
    }
    if (finite !== null) this.lastUpdateFinite = finite;
    return stats && { update, actorUpdated: result.actorUpdated, ...stats };
  }

  /**
   * The first update since the last call whose critic loss, kept on the device, was not finite (null if
   * none): one read-back for all of them. Backends that check every update as it runs keep none.
   */
  firstNonFiniteLoss(): number | null {
    return readSync(this.firstNonFiniteLossRead());
  }

  /** `firstNonFiniteLoss` as work that reads the device. */
  firstNonFiniteLossRead(): Reads<number | null> {
    return this.tfjsOps.firstNonFiniteLoss();
  }

  /** The in-place update when the wasm kernels can run it (and TD3_IN_PLACE is on); null otherwise. */
  private inPlaceUpdate(): InPlaceOps | null {
    const kernels = tf.env().getBool(IN_PLACE_FLAG) ? inPlaceKernels() : null;
    if (!kernels) return null;
    if (this.inPlace?.kernels !== kernels) {
      const { actor, actorTarget, critic1, critic2, critic1Target, critic2Target } = this;
      const agent: InPlaceAgent = {
        actor,
        actorTarget,
        critic1,
        critic2,
        critic1Target,
        critic2Target,
        space: this.space,
        actorOptimizer: this.actorOptimizer,
        criticOptimizer: this.criticOptimizer,
        lastActorLoss: this.lastActorLoss,
        halfRange: this.halfRange,
        center: this.center,
      };
      this.inPlace = { kernels, ops: new InPlaceOps(kernels, agent) };
    }
    return this.inPlace.ops;
  }

  /**
   * The parameter checksum: the sum of each network's weights and biases, read back in one go (one small
   * read per call, on any backend). A sum is finite exactly when every parameter is (or nearly: float32
   * sums overflow only for weights near 1e38, diverged too). Returns the networks whose sum is not finite.
   */
  nonFiniteNetworks(): string[] {
    return readSync(this.nonFiniteNetworksRead());
  }

  /** `nonFiniteNetworks` as work that reads the device. */
  *nonFiniteNetworksRead(): Reads<string[]> {
    const named = this.namedNetworks();
    const sums = tf.tidy(() =>
      tf.stack(
        named.map(([, net]) => tf.addN([...net.variables(), ...net.statistics()].map((v) => tf.sum(v)))),
      ),
    );
    const [values] = yield* readAndDispose([sums]);
    return named.filter((_, i) => !Number.isFinite(values[i])).map(([name]) => name);
  }

  /** The six networks with the names messages give them, in AgentWeights' order. */
  private namedNetworks(): [string, Mlp, keyof AgentWeights][] {
    return (Object.keys(NETWORK_NAMES) as (keyof AgentWeights)[]).map((key) => [
      NETWORK_NAMES[key],
      this[key],
      key,
    ]);
  }

  getWeights(): AgentWeights {
    return readSync(this.weightsRead());
  }

  /** `getWeights` as work that reads the device: every network's tensors in one read. */
  *weightsRead(): Reads<AgentWeights> {
    const named = this.namedNetworks();
    const lists = named.map(([, net]) => net.weightTensors());
    const values = yield* read(lists.flat());
    const weights: Partial<AgentWeights> = {};
    let k = 0;
    named.forEach(([, net, key], i) => {
      weights[key] = net.weightsFromValues(values.slice(k, k + lists[i].length));
      k += lists[i].length;
    });
    return weights as AgentWeights;
  }

  setWeights(weights: Partial<AgentWeights>): void {
    for (const key of Object.keys(weights) as (keyof AgentWeights)[]) {
      const w = weights[key];
      if (w) this[key].setWeights(w);
    }
  }

  exportState(): AgentState {
    return readSync(this.stateRead());
  }

  /** `exportState` as work that reads the device. */
  *stateRead(): Reads<AgentState> {
    const weights = yield* this.weightsRead();
    const actorMoments = this.actorOptimizer.moments();
    const criticMoments = this.criticOptimizer.moments();
    const values = yield* read([...actorMoments, ...criticMoments, this.lastActorLoss]);
    return {
      weights,
      actorOptimizer: this.actorOptimizer.stateFromValues(values.slice(0, actorMoments.length)),
      criticOptimizer: this.criticOptimizer.stateFromValues(
        values.slice(actorMoments.length, actorMoments.length + criticMoments.length),
      ),
      updates: this.updates,
      lastActorLoss: values[values.length - 1][0],
      smoothingRng: this.smoothingRng.getState(),
    };
  }

  /** Restores `exportState`'s result into an agent of the same sizes (on any backend). */
  importState(state: AgentState): void {
    this.setWeights(state.weights);
    this.actorOptimizer.importState(state.actorOptimizer);
    this.criticOptimizer.importState(state.criticOptimizer);
    this.updates = state.updates;
    tf.tidy(() => this.lastActorLoss.assign(tf.scalar(state.lastActorLoss)));
    this.smoothingRng.setState(state.smoothingRng);
  }

  dispose(): void {
    for (const net of [
      this.actor,
      this.actorTarget,
      this.critic1,
      this.critic2,
      this.critic1Target,
      this.critic2Target,
    ]) {
      net.dispose();
    }
    this.actorOptimizer.dispose();
    if (this.inPlace && this.inPlace.kernels === inPlaceKernels()) this.inPlace.ops.dispose();
    this.inPlace = null;
    this.lastActorLoss.dispose();
    this.tfjsOps.dispose();
    this.criticOptimizer.dispose();
  }
}
