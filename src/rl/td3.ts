/**
 * TD3: Twin Delayed Deep Deterministic policy gradient (Fujimoto, van Hoof & Meger, ICML 2018, Algorithm 1).
 *
 * The three tricks are three independent switches of the config, each used in exactly one place of `train`:
 *   twinCritics      clipped double Q learning: the target takes min(Q1′, Q2′); off → Q1′ alone (critic 2
 *                    still learns, unused, so that switching back on is TD3 at once)
 *   policyDelay d    the actor and the targets update every d critic updates; d = 1 → every update
 *   targetSmoothing  ã′ = clip(π′(s′) + clip(ε, −c, c), low, high), ε ~ N(0, σ); off → ã′ = π′(s′)
 * With all three off this is DDPG with TD3's other choices (the authors' "OurDDPG").
 *
 * Noise scales σ and c are given in units of half the action range, as the authors' code multiplies them by
 * max_action; half the range is the same thing for asymmetric bounds.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../common/random';
import { type InPlaceKernels, inPlaceKernels } from '../compute/wasmKernels';
import { Adam } from './adam';
import type {
  ActionSpace,
  AgentConfig,
  AgentState,
  AgentWeights,
  Batch,
  LiveAgentConfig,
  UpdateStats,
} from './agentTypes';
import { clipByGlobalNorm, concatColumns } from './linalg';
import { Mlp, variableFrom } from './mlp';
import type { NormKind } from './normLayers';
import { type InPlaceAgent, InPlaceUpdate } from './td3InPlace';

/** TD3_IN_PLACE (default true): on wasm, `train` runs src/rl/td3InPlace.ts; false keeps the tfjs operations. */
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

/** What evaluation, the probe and the page need of an agent: its actions and values, its space and settings. */
export type PolicyAccess = Pick<TD3, 'act' | 'actBatch' | 'qValues' | 'getConfig' | 'space'>;

export class TD3 {
  readonly actor: Mlp;
  readonly actorTarget: Mlp;
  readonly critic1: Mlp;
  readonly critic2: Mlp;
  readonly critic1Target: Mlp;
  readonly critic2Target: Mlp;
  private readonly actorOptimizer: Adam;
  private readonly criticOptimizer: Adam;
  private readonly smoothingRng: Random;
  /** Half the action range and its centre, shaped [1, actionSize], to map tanh's (−1, 1) onto [low, high]. */
  private readonly actionScale: tf.Tensor2D;
  private readonly actionCenter: tf.Tensor2D;
  private readonly halfRange: Float64Array;
  private readonly center: Float64Array;
  /** The same update without tfjs operations, on the wasm backend (src/rl/td3InPlace.ts). */
  private inPlace: { kernels: InPlaceKernels; update: InPlaceUpdate } | null = null;
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
  /** Reused by stateActionRows. */
  private rowsBuffer = new Float32Array(0);
  /**
   * On backends where reading a number back stalls the device (webgl, webgpu; wasm without the in-place
   * update), each update's critic loss is kept as a tensor and all of them are read at once by
   * `firstNonFiniteLoss`, after a batch of updates: the divergence is found a batch late, but at its update.
   */
  private pendingLosses: { update: number; loss: tf.Scalar }[] = [];
  /** The first update whose deferred loss was not finite, once a full list of them has been read. */
  private firstBadUpdate: number | null = null;

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
    this.actionScale = tf.tensor2d(Array.from(this.halfRange), [1, act]);
    this.actionCenter = tf.tensor2d(Array.from(this.center), [1, act]);
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
    return this.scaleAction(net.forward(observations).output);
  }

  /** The deterministic action for one observation. */
  act(observation: ArrayLike<number>): Float32Array {
    return this.actBatch(Float32Array.from(observation), 1);
  }

  /** Deterministic actions for `n` observations laid out row by row. */
  actBatch(observations: Float32Array, n: number): Float32Array {
    const inPlace = this.inPlaceUpdate();
    // On wasm: the same forward pass without tfjs operations (src/rl/td3InPlace.ts).
    if (inPlace) return inPlace.actions(observations, n);
    return tf.tidy(() => {
      const s = tf.tensor2d(observations, [n, this.space.observationSize]);
      return this.policy(this.actor, s).dataSync() as Float32Array;
    });
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
    return tf.tidy(() => {
      const s = tf.tensor2d(observations, [n, this.space.observationSize]);
      const a = tf.tensor2d(actions, [n, this.space.actionSize]);
      const sa = concatColumns(s, a);
      // One network per call, as before normalised critics: the probe's values stay what they were.
      const [q1, q2] = [this.critic1, this.critic2].map(
        (net) => Mlp.forwardEach([net], [sa], 'running')[0].output.dataSync() as Float32Array,
      );
      return { q1, q2 };
    });
  }

  /** ε for target policy smoothing: N(0, σ) clipped to [−c, c], per action dimension in its own units. */
  sampleSmoothingNoise(n: number): Float32Array | null {
    if (!this.config.targetSmoothing) return null;
    const act = this.space.actionSize;
    const noise = new Float32Array(n * act);
    for (let i = 0; i < noise.length; i++) {
      const half = this.halfRange[i % act];
      const sigma = this.config.policyNoise * half;
      const clip = this.config.noiseClip * half;
      noise[i] = Math.min(Math.max(this.smoothingRng.normal() * sigma, -clip), clip);
    }
    return noise;
  }

  /**
   * The critics' regression target:
   *   ã′ = clip(π′(s′) + ε, low, high)                     (target policy smoothing, ε already clipped)
   *   y  = r + γ (1 − terminated) min(Q1′(s′, ã′), Q2′(s′, ã′))   (clipped double Q; off → Q1′ alone)
   */
  targetQ(batch: Batch, smoothingNoise: Float32Array | null): tf.Tensor2D {
    return tf.tidy(() => {
      const n = batch.size;
      const nextObs = tf.tensor2d(batch.nextObservations, [n, this.space.observationSize]);
      let nextAction: tf.Tensor2D;
      if (smoothingNoise) {
        // The same clip in units of half the action range, where π′(s′) is tanh(z′) and [low, high] is [−1, 1]
        // in every dimension: ã′ = centre + half · clip(tanh(z′) + ε / half, −1, 1). One uniform clip instead of
        // two per-dimension bounds (tfjs-wasm's broadcasting maximum is ~10× slower than the rest).
        const act = this.space.actionSize;
        const noise = Float32Array.from(smoothingNoise, (e, i) => e / this.halfRange[i % act]);
        const squashed = tf.tanh(this.actorTarget.forward(nextObs).output);
        const clipped = tf.clipByValue(tf.add(squashed, tf.tensor2d(noise, [n, act])), -1, 1);
        nextAction = tf.add(tf.mul(clipped, this.actionScale), this.actionCenter);
      } else {
        nextAction = this.policy(this.actorTarget, nextObs);
      }
      const next = concatColumns(nextObs, nextAction);
      // Both target critics at once, layer by layer (Mlp.forwardEach).
      const targets = this.config.twinCritics
        ? [this.critic1Target, this.critic2Target]
        : [this.critic1Target];
      const [q1Next, q2Next] = Mlp.forwardEach(
        targets,
        targets.map(() => next),
      ).map((trace) => trace.output);
      const qNext = q2Next ? tf.minimum(q1Next, q2Next) : q1Next;
      const reward = tf.tensor2d(batch.rewards, [n, 1]);
      const notDone = tf.tensor2d(batch.notDone, [n, 1]);
      return tf.add(reward, tf.mul(tf.mul(notDone, this.config.discount), qNext));
    });
  }

  /** One iteration of Algorithm 1's update on a sampled minibatch. Statistics are read back only if asked. */
  train(batch: Batch, wantStats = false): UpdateStats | null {
    this.updates++;
    const { twinCritics, policyDelay, tau } = this.config;
    // Normalised critics are differentiated through tfjs operations only (src/rl/normLayers.ts).
    const inPlace = this.critic1.norm ? null : this.inPlaceUpdate();
    if (inPlace) {
      // On wasm: this same update, step for step, without tfjs operations (src/rl/td3InPlace.ts).
      const actorUpdated = this.updates % policyDelay === 0;
      const noise = this.sampleSmoothingNoise(batch.size);
      if (batch.weights && this.lastTdErrors.length !== batch.size)
        this.lastTdErrors = new Float32Array(batch.size);
      const tdErrors = batch.weights ? this.lastTdErrors : null;
      const stats = inPlace.train(this.config, batch, noise, actorUpdated, wantStats, tdErrors);
      this.lastUpdateFinite = inPlace.lossFinite;
      return stats && { update: this.updates, actorUpdated, ...stats };
    }
    const n = batch.size;
    const { observationSize: os, actionSize: as } = this.space;
    let stats: UpdateStats | null = null;

    // Gradients by hand (Mlp.forward / Mlp.backward) rather than through tf.variableGrads: fewer kernels, and
    // only the gradients each step needs (the actor step leaves the critic's weight gradients out).
    tf.tidy(() => {
      const s = tf.tensor2d(batch.observations, [n, os]);
      const sa = tf.tensor2d(this.stateActionRows(batch), [n, os + as]);

      // Compute the target Q value, with target policy smoothing and clipped double Q.
      const y = this.targetQ(batch, this.sampleSmoothingNoise(n));

      // Update the critics towards it: minimise MSE(Q1(s, a), y) + MSE(Q2(s, a), y); ∂/∂Q = 2(Q − y)/n.
      // With twin critics off, critic 2 still learns on the same batch and targets, unused by y and the
      // actor, so that switching them back on is the paper's TD3 at once (not a min with an untrained Q2′).
      const critics = [this.critic1, this.critic2];
      const inUse = twinCritics ? 2 : 1;
      const traces = Mlp.forwardEach(
        critics,
        critics.map(() => sa),
      );
      // BatchNorm: the running averages, used outside the update, follow this batch's statistics.
      critics.forEach((critic, t) => {
        critic.updateRunningAverages(traces[t]);
      });
      // Prioritized replay weighs each row's squared error by its importance weight wᵢ.
      const w = batch.weights ? tf.tensor2d(batch.weights, [n, 1]) : null;
      const errors = traces.map((trace) => tf.sub(trace.output, y) as tf.Tensor2D);
      const grads = Mlp.backwardEach(
        critics,
        traces,
        errors.map((error) => tf.mul(w ? tf.mul(error, w) : error, 2 / n) as tf.Tensor2D),
      ).map((backward) => backward.grads);
      if (w) {
        const sizes = errors.slice(0, inUse).map((error) => tf.abs(error));
        const largest = sizes.length > 1 ? tf.maximum(sizes[0], sizes[1]) : sizes[0];
        this.lastTdErrors = Float32Array.from(largest.dataSync());
      }
      this.criticOptimizer.apply(clipByGlobalNorm([...grads[0], ...grads[1]], this.config.criticGradClip));

      // Delayed policy updates: every d-th update, the actor ascends Q1(s, π(s)) and the targets follow.
      const actorUpdated = this.updates % policyDelay === 0;
      if (actorUpdated) {
        const actorTrace = this.actor.forward(s);
        const squashed = tf.tanh(actorTrace.output);
        const action: tf.Tensor2D = tf.add(tf.mul(squashed, this.actionScale), this.actionCenter);
        const sPi = concatColumns(s, action);
        let dInput: tf.Tensor2D;
        if (this.config.actorMinQ && twinCritics) {
          // Beyond the paper: ascend min(Q1, Q2); each row's gradient flows through the smaller critic.
          const [t1, t2] = Mlp.forwardEach([this.critic1, this.critic2], [sPi, sPi]);
          this.lastActorLoss.assign(tf.neg(tf.mean(tf.minimum(t1.output, t2.output))));
          const first = tf.cast(tf.lessEqual(t1.output, t2.output), 'float32');
          const dOut1 = tf.mul(first, -1 / n) as tf.Tensor2D;
          const dOut2 = tf.mul(tf.sub(1, first), -1 / n) as tf.Tensor2D;
          const [b1, b2] = Mlp.backwardEach([this.critic1, this.critic2], [t1, t2], [dOut1, dOut2], {
            weights: false,
            input: true,
          });
          dInput = tf.add(b1.dInput as tf.Tensor2D, b2.dInput as tf.Tensor2D);
        } else {
          const criticTrace = this.critic1.forward(sPi);
          this.lastActorLoss.assign(tf.neg(tf.mean(criticTrace.output)));
          // ∂(−mean Q1)/∂Q1 = −1/n, back through critic1 to its action input, then through scale·tanh.
          dInput = this.critic1.backward(criticTrace, tf.fill([n, 1], -1 / n) as tf.Tensor2D, {
            weights: false,
            input: true,
          }).dInput as tf.Tensor2D;
        }
        const dAction = tf.slice(dInput, [0, os], [n, as]);
        const dPre = tf.mul(tf.mul(dAction, this.actionScale), tf.sub(1, tf.square(squashed))) as tf.Tensor2D;
        this.actorOptimizer.apply(
          clipByGlobalNorm(this.actor.backward(actorTrace, dPre).grads, this.config.actorGradClip),
        );
        // Soft target updates: θ′ ← τθ + (1 − τ)θ′.
        this.actorTarget.polyakFrom(this.actor, tau);
        this.critic1Target.polyakFrom(this.critic1, tau);
        this.critic2Target.polyakFrom(this.critic2, tau);
      }

      // The statistics and the guard are of the critics in use: critic 1 alone when twin critics are off.
      const used = traces.slice(0, inUse);
      const lossTensor = () => {
        const losses = used.map((trace) => tf.losses.meanSquaredError(y, trace.output));
        return (losses.length > 1 ? tf.add(losses[0], losses[1]) : losses[0]) as tf.Scalar;
      };
      const criticLoss = () => lossTensor().dataSync()[0];
      if (wantStats) {
        const [q1, q2] = used.map((trace) => trace.output);
        stats = {
          update: this.updates,
          criticLoss: criticLoss(),
          actorLoss: this.lastActorLoss.dataSync()[0],
          q1: tf.mean(q1).dataSync()[0],
          q2: q2 ? tf.mean(q2).dataSync()[0] : Number.NaN,
          targetQ: tf.mean(y).dataSync()[0],
          actorUpdated,
        };
        this.lastUpdateFinite = Number.isFinite(stats.criticLoss) && Number.isFinite(stats.q1);
      } else if (tf.getBackend() === 'cpu') {
        this.lastUpdateFinite = Number.isFinite(criticLoss());
      } else {
        this.pendingLosses.push({ update: this.updates, loss: tf.keep(lossTensor()) });
      }
    });
    // Kept losses are read in lists of at most this many, so an agent trained without checks stays bounded.
    if (this.pendingLosses.length >= 256) this.readPendingLosses();
    return stats;
  }

  /**
   * The first update since the last call whose critic loss, kept on the device, was not finite (null if
   * none): one read-back for all of them. Backends that check every update as it runs keep none.
   */
  firstNonFiniteLoss(): number | null {
    this.readPendingLosses();
    const bad = this.firstBadUpdate;
    this.firstBadUpdate = null;
    return bad;
  }

  private readPendingLosses(): void {
    const pending = this.pendingLosses;
    if (!pending.length) return;
    this.pendingLosses = [];
    const stacked = tf.stack(pending.map((p) => p.loss));
    const values = stacked.dataSync();
    stacked.dispose();
    for (const p of pending) p.loss.dispose();
    const at = values.findIndex((v) => !Number.isFinite(v));
    if (at >= 0 && this.firstBadUpdate === null) this.firstBadUpdate = pending[at].update;
  }

  /** The in-place update when the wasm kernels can run it (and TD3_IN_PLACE is on); null otherwise. */
  private inPlaceUpdate(): InPlaceUpdate | null {
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
      this.inPlace = { kernels, update: new InPlaceUpdate(kernels, agent) };
    }
    return this.inPlace.update;
  }

  /** tanh(pre-activation) scaled onto [low, high], as policy() does. */
  private scaleAction(preActivation: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.mul(tf.tanh(preActivation), this.actionScale), this.actionCenter);
  }

  /** [s | a] rows of a batch, laid out on the CPU: one upload instead of two and a concat on the device. */
  private stateActionRows(batch: Batch): Float32Array {
    const { observationSize: os, actionSize: as } = this.space;
    const width = os + as;
    if (this.rowsBuffer.length !== batch.size * width) this.rowsBuffer = new Float32Array(batch.size * width);
    const rows = this.rowsBuffer;
    for (let k = 0; k < batch.size; k++) {
      rows.set(batch.observations.subarray(k * os, (k + 1) * os), k * width);
      rows.set(batch.actions.subarray(k * as, (k + 1) * as), k * width + os);
    }
    return rows;
  }

  /**
   * The parameter checksum: the sum of each network's weights and biases, read back in one go (one small
   * read per call, on any backend). A sum is finite exactly when every parameter is (or nearly: float32
   * sums overflow only for weights near 1e38, diverged too). Returns the networks whose sum is not finite.
   */
  nonFiniteNetworks(): string[] {
    const named: [string, Mlp][] = [
      ['actor', this.actor],
      ['actor target', this.actorTarget],
      ['critic 1', this.critic1],
      ['critic 2', this.critic2],
      ['critic 1 target', this.critic1Target],
      ['critic 2 target', this.critic2Target],
    ];
    const sums = tf.tidy(() =>
      tf.stack(
        named.map(([, net]) => tf.addN([...net.variables(), ...net.statistics()].map((v) => tf.sum(v)))),
      ),
    );
    const values = sums.dataSync();
    sums.dispose();
    return named.filter((_, i) => !Number.isFinite(values[i])).map(([name]) => name);
  }

  getWeights(): AgentWeights {
    return {
      actor: this.actor.getWeights(),
      actorTarget: this.actorTarget.getWeights(),
      critic1: this.critic1.getWeights(),
      critic2: this.critic2.getWeights(),
      critic1Target: this.critic1Target.getWeights(),
      critic2Target: this.critic2Target.getWeights(),
    };
  }

  setWeights(weights: Partial<AgentWeights>): void {
    for (const key of Object.keys(weights) as (keyof AgentWeights)[]) {
      const w = weights[key];
      if (w) this[key].setWeights(w);
    }
  }

  exportState(): AgentState {
    return {
      weights: this.getWeights(),
      actorOptimizer: this.actorOptimizer.exportState(),
      criticOptimizer: this.criticOptimizer.exportState(),
      updates: this.updates,
      lastActorLoss: this.lastActorLoss.dataSync()[0],
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
    if (this.inPlace && this.inPlace.kernels === inPlaceKernels()) this.inPlace.update.dispose();
    this.inPlace = null;
    this.lastActorLoss.dispose();
    for (const p of this.pendingLosses) p.loss.dispose();
    this.pendingLosses = [];
    this.criticOptimizer.dispose();
    for (const t of [this.actionScale, this.actionCenter]) t.dispose();
  }
}
