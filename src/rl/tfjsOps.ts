/**
 * The update's array operations (src/rl/td3Update.ts) as tfjs operations: they run on every backend and are
 * the reference the in-place wasm operations are tested against. Called inside `tf.tidy` (see `run`); what
 * outlives an update (the last actor loss, the kept losses) is kept explicitly.
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from './adam';
import type { ActionSpace, Batch } from './agentTypes';
import { clipByGlobalNorm, concatColumns } from './linalg';
import { Mlp, type Trace } from './mlp';
import type { UpdateNumbers, UpdateOps } from './td3Update';

export class TfjsOps implements UpdateOps<tf.Tensor2D, tf.Tensor, Trace> {
  /** Half the action range and its centre, shaped [1, actionSize], to map tanh's (−1, 1) onto [low, high]. */
  private readonly actionScale: tf.Tensor2D;
  private readonly actionCenter: tf.Tensor2D;
  /** Reused by stateActionRows. */
  private rowsBuffer = new Float32Array(0);
  /**
   * On backends where reading a number back stalls the device (webgl, webgpu; wasm without the in-place
   * update), each update's critic loss is kept as a tensor and all of them are read at once by
   * `firstNonFiniteLoss`, after a batch of updates: the divergence is found a batch late, but at its update.
   */
  private pendingLosses: { update: number; loss: tf.Scalar }[] = [];
  /** The first update whose kept loss was not finite, once a full list of them has been read. */
  private firstBadUpdate: number | null = null;
  /** The update being run (for the kept losses). */
  private update = 0;

  constructor(
    private readonly space: ActionSpace,
    private readonly halfRange: Float64Array,
    center: Float64Array,
    /** −mean Q of the last actor update (NaN before the first), kept on the device until read. */
    private readonly lastActorLoss: tf.Variable,
  ) {
    this.actionScale = tf.tensor2d(Array.from(halfRange), [1, space.actionSize]);
    this.actionCenter = tf.tensor2d(Array.from(center), [1, space.actionSize]);
  }

  /** Runs one update (numbered `update`) inside tf.tidy. */
  run<R>(update: number, body: () => R): R {
    this.update = update;
    let result: R | undefined;
    tf.tidy(() => {
      result = body();
    });
    // Kept losses are read in lists of at most this many, so an agent trained without checks stays bounded.
    if (this.pendingLosses.length >= 256) this.readPendingLosses();
    return result as R;
  }

  upload(batch: Batch) {
    const n = batch.size;
    const { observationSize: os, actionSize: as } = this.space;
    return {
      s: tf.tensor2d(batch.observations, [n, os]),
      sa: tf.tensor2d(this.stateActionRows(batch), [n, os + as]),
      sNext: tf.tensor2d(batch.nextObservations, [n, os]),
    };
  }

  forward(_site: string, nets: Mlp[], inputs: tf.Tensor2D[]): Trace[] {
    return Mlp.forwardEach(nets, inputs);
  }

  backward(
    _site: string,
    nets: Mlp[],
    traces: Trace[],
    dOutputs: tf.Tensor2D[],
    want: { weights: boolean; input: boolean },
  ) {
    const each = Mlp.backwardEach(nets, traces, dOutputs, want);
    return {
      grads: each.map((b) => b.grads),
      dInputs: want.input ? each.map((b) => b.dInput as tf.Tensor2D) : [],
    };
  }

  followBatchStatistics(nets: Mlp[], traces: Trace[]): void {
    nets.forEach((net, t) => {
      net.updateRunningAverages(traces[t]);
    });
  }

  stateAction(_site: string, s: tf.Tensor2D, z: tf.Tensor2D, smoothingNoise: Float32Array | null) {
    const squashed = tf.tanh(z);
    let unit = squashed;
    if (smoothingNoise) {
      // The clip in units of half the action range, where [low, high] is [−1, 1] in every dimension: one
      // uniform clip instead of two per-dimension bounds (tfjs-wasm's broadcasting maximum is ~10× slower).
      const act = this.space.actionSize;
      const noise = Float32Array.from(smoothingNoise, (e, i) => e / this.halfRange[i % act]);
      unit = tf.clipByValue(tf.add(squashed, tf.tensor2d(noise, [z.shape[0], act])), -1, 1);
    }
    const action: tf.Tensor2D = tf.add(tf.mul(unit, this.actionScale), this.actionCenter);
    return { rows: concatColumns(s, action), squashed };
  }

  bellmanTarget(batch: Batch, qNext: tf.Tensor2D[], discount: number): tf.Tensor2D {
    const n = batch.size;
    const q = qNext.length > 1 ? tf.minimum(qNext[0], qNext[1]) : qNext[0];
    const reward = tf.tensor2d(batch.rewards, [n, 1]);
    const notDone = tf.tensor2d(batch.notDone, [n, 1]);
    return tf.add(reward, tf.mul(tf.mul(notDone, discount), q));
  }

  squaredErrorGradients(
    qs: tf.Tensor2D[],
    y: tf.Tensor2D,
    weights: Float32Array | undefined,
    inUse: number,
    tdErrors: Float32Array | null,
  ): tf.Tensor2D[] {
    const n = y.shape[0];
    const w = weights ? tf.tensor2d(weights, [n, 1]) : null;
    const errors = qs.map((q) => tf.sub(q, y) as tf.Tensor2D);
    if (tdErrors) {
      const sizes = errors.slice(0, inUse).map((error) => tf.abs(error));
      const largest = sizes.length > 1 ? tf.maximum(sizes[0], sizes[1]) : sizes[0];
      tdErrors.set(largest.dataSync());
    }
    return errors.map((error) => tf.mul(w ? tf.mul(error, w) : error, 2 / n) as tf.Tensor2D);
  }

  actorObjectiveGradients(qs: tf.Tensor2D[]): tf.Tensor2D[] {
    const n = qs[0].shape[0];
    if (qs.length > 1) {
      this.lastActorLoss.assign(tf.neg(tf.mean(tf.minimum(qs[0], qs[1]))));
      const first = tf.cast(tf.lessEqual(qs[0], qs[1]), 'float32');
      return [tf.mul(first, -1 / n) as tf.Tensor2D, tf.mul(tf.sub(1, first), -1 / n) as tf.Tensor2D];
    }
    this.lastActorLoss.assign(tf.neg(tf.mean(qs[0])));
    // ∂(−mean Q1)/∂Q1 = −1/n.
    return [tf.fill([n, 1], -1 / n) as tf.Tensor2D];
  }

  sum(rows: tf.Tensor2D[]): tf.Tensor2D {
    return rows.length > 1 ? tf.add(rows[0], rows[1]) : rows[0];
  }

  throughSquash(dStateAction: tf.Tensor2D, squashed: tf.Tensor2D): tf.Tensor2D {
    const { observationSize: os, actionSize: as } = this.space;
    const dAction = tf.slice(dStateAction, [0, os], [dStateAction.shape[0], as]);
    return tf.mul(tf.mul(dAction, this.actionScale), tf.sub(1, tf.square(squashed))) as tf.Tensor2D;
  }

  step(optimizer: Adam, grads: tf.Tensor[], maxNorm: number | undefined): void {
    optimizer.apply(clipByGlobalNorm(grads, maxNorm));
  }

  polyak(target: Mlp, source: Mlp, tau: number): void {
    target.polyakFrom(source, tau);
  }

  finish(qs: tf.Tensor2D[], y: tf.Tensor2D, wantStats: boolean) {
    const lossTensor = () => {
      const losses = qs.map((q) => tf.losses.meanSquaredError(y, q));
      return (losses.length > 1 ? tf.add(losses[0], losses[1]) : losses[0]) as tf.Scalar;
    };
    const criticLoss = () => lossTensor().dataSync()[0];
    if (wantStats) {
      const [q1, q2] = qs;
      const stats: UpdateNumbers = {
        criticLoss: criticLoss(),
        actorLoss: this.lastActorLoss.dataSync()[0],
        q1: tf.mean(q1).dataSync()[0],
        q2: q2 ? tf.mean(q2).dataSync()[0] : Number.NaN,
        targetQ: tf.mean(y).dataSync()[0],
      };
      return { stats, finite: Number.isFinite(stats.criticLoss) && Number.isFinite(stats.q1) };
    }
    if (tf.getBackend() === 'cpu') return { stats: null, finite: Number.isFinite(criticLoss()) };
    this.pendingLosses.push({ update: this.update, loss: tf.keep(lossTensor()) });
    return { stats: null, finite: null };
  }

  /**
   * The first update since the last call whose critic loss, kept on the device, was not finite (null if
   * none): one read-back for all of them.
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

  /** π(s) from the pre-activation: tanh scaled onto [low, high]. */
  scaleAction(z: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.mul(tf.tanh(z), this.actionScale), this.actionCenter);
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

  dispose(): void {
    for (const p of this.pendingLosses) p.loss.dispose();
    this.pendingLosses = [];
    this.actionScale.dispose();
    this.actionCenter.dispose();
  }
}
