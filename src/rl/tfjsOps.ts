/**
 * The update's array operations (src/rl/td3Update.ts) as tfjs operations: they run on every backend and are
 * the reference the in-place wasm operations are tested against. Called inside `tf.tidy` (see `run`); what
 * outlives an update (the last actor loss, the kept losses, what the agent is to read) is kept explicitly.
 * Nothing here reads the device: values an update needs back (its statistics, a loss to check, prioritized
 * replay's TD errors) are left for the agent to take (`takeReads`), which reads them as its backend wants
 * (src/rl/deviceReads.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from './adam';
import type { ActionSpace, Batch } from './agentTypes';
import { type Reads, readAndDispose } from './deviceReads';
import { clipByGlobalNorm, concatColumns } from './linalg';
import { Mlp, type Trace } from './mlp';
import type { UpdateOps } from './td3Update';

/**
 * What the last update left to be read: its statistics [critic loss, actor loss, mean Q1, mean Q2 (NaN
 * without), mean y], or its critic loss alone (to check it), and the rows' TD errors for prioritized replay.
 */
export interface UpdateReads {
  stats: tf.Tensor1D | null;
  loss: tf.Scalar | null;
  tdErrors: tf.Tensor | null;
}

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
  /** What the update being run leaves to be read (see `takeReads`). */
  private reads: UpdateReads = { stats: null, loss: null, tdErrors: null };

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
    return result as R;
  }

  /** What the last update left to be read; the caller reads and disposes it. */
  takeReads(): UpdateReads {
    const reads = this.reads;
    this.reads = { stats: null, loss: null, tdErrors: null };
    return reads;
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
      // Read by the agent into `tdErrors` after the update.
      this.reads.tdErrors = tf.keep(largest);
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
    if (wantStats) {
      const [q1, q2] = qs;
      this.reads.stats = tf.keep(
        tf.stack([
          lossTensor(),
          this.lastActorLoss,
          tf.mean(q1),
          q2 ? tf.mean(q2) : tf.scalar(Number.NaN),
          tf.mean(y),
        ]),
      ) as tf.Tensor1D;
    } else if (tf.getBackend() === 'cpu') this.reads.loss = tf.keep(lossTensor());
    else this.pendingLosses.push({ update: this.update, loss: tf.keep(lossTensor()) });
    // The statistics and the check come from the agent's read of `reads`.
    return { stats: null, finite: null };
  }

  /** Kept losses are read in lists of at most this many, so an agent trained without checks stays bounded. */
  get pendingLossesFull(): boolean {
    return this.pendingLosses.length >= 256;
  }

  /**
   * The first update since the last call whose critic loss, kept on the device, was not finite (null if
   * none): one read-back for all of them.
   */
  *firstNonFiniteLoss(): Reads<number | null> {
    yield* this.readKeptLosses();
    const bad = this.firstBadUpdate;
    this.firstBadUpdate = null;
    return bad;
  }

  /** Reads the kept losses, remembering the first update whose loss was not finite. */
  *readKeptLosses(): Reads<void> {
    const pending = this.pendingLosses;
    if (!pending.length) return;
    this.pendingLosses = [];
    const [values] = yield* readAndDispose([tf.stack(pending.map((p) => p.loss))]);
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
    const { stats, loss, tdErrors } = this.takeReads();
    tf.dispose([stats, loss, tdErrors].filter((t): t is tf.Tensor => t !== null));
    this.actionScale.dispose();
    this.actionCenter.dispose();
  }
}
