/**
 * Experience replay: a preallocated ring of Float32Arrays. Sampling writes into one reused Batch, so an
 * update allocates nothing here.
 *
 * It stores `terminated`, never `truncated`: a transition cut by the time limit still has a future, and its
 * target must bootstrap from s′ (Pardo et al. 2018; SB3 issue #284).
 */
import type { Random } from '../common/random';
import type { Batch } from './agentTypes';
import { SumTree } from './sumTree';

/** The transitions held, rows 0 … size − 1, and where the next one goes: what a checkpoint keeps. */
export interface ReplayBufferState {
  pointer: number;
  size: number;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  notDone: Float32Array;
  /** Prioritized replay: each row's priority, and the largest given so far (new rows get it). */
  priorities?: Float64Array;
  maxPriority?: number;
}

/** A prioritized minibatch: the rows drawn (to update their priorities) and their importance weights. */
export interface PrioritizedBatch extends Batch {
  weights: Float32Array;
  rows: Int32Array;
}

export class ReplayBuffer {
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly nextObservations: Float32Array;
  readonly notDone: Float32Array;
  /** Next slot to write. */
  private pointer = 0;
  /** Transitions held, at most `capacity`. */
  size = 0;
  private batch: Batch | null = null;
  private indices = new Int32Array(0);
  /** Prioritized replay (Schaul et al. 2016), when enabled: the rows' priorities p^α. */
  private tree: SumTree | null = null;
  private maxPriority = 1;
  private prioritized: PrioritizedBatch | null = null;

  constructor(
    readonly capacity: number,
    readonly observationSize: number,
    readonly actionSize: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`Replay capacity must be a positive integer, got ${capacity}`);
    this.observations = new Float32Array(capacity * observationSize);
    this.actions = new Float32Array(capacity * actionSize);
    this.rewards = new Float32Array(capacity);
    this.nextObservations = new Float32Array(capacity * observationSize);
    this.notDone = new Float32Array(capacity);
  }

  /** Draws rows in proportion to their priorities from now on (`samplePrioritized`). */
  enablePriorities(): void {
    if (this.tree) return;
    this.tree = new SumTree(this.capacity);
    for (let i = 0; i < this.size; i++) this.tree.set(i, this.maxPriority);
  }

  exportState(): ReplayBufferState {
    const n = this.size;
    const tree = this.tree;
    const priorities = tree ? Float64Array.from({ length: n }, (_, i) => tree.get(i)) : undefined;
    return {
      ...(priorities ? { priorities, maxPriority: this.maxPriority } : {}),
      pointer: this.pointer,
      size: n,
      observations: this.observations.slice(0, n * this.observationSize),
      actions: this.actions.slice(0, n * this.actionSize),
      rewards: this.rewards.slice(0, n),
      nextObservations: this.nextObservations.slice(0, n * this.observationSize),
      notDone: this.notDone.slice(0, n),
    };
  }

  /** Restores `exportState`'s result; the sizes must match this buffer's. */
  importState(state: ReplayBufferState): void {
    const n = state.size;
    const fits =
      Number.isInteger(n) &&
      n >= 0 &&
      n <= this.capacity &&
      Number.isInteger(state.pointer) &&
      state.pointer >= 0 &&
      state.pointer < this.capacity &&
      (n === this.capacity || state.pointer === n) &&
      state.observations.length === n * this.observationSize &&
      state.nextObservations.length === n * this.observationSize &&
      state.actions.length === n * this.actionSize &&
      state.rewards.length === n &&
      state.notDone.length === n;
    if (!fits)
      throw new Error(
        `the replay buffer's saved rows do not fit a buffer of ${this.capacity} × (${this.observationSize}, ${this.actionSize})`,
      );
    // Checked before anything is written, like the rows: a refused state leaves the buffer as it was.
    const { priorities, maxPriority } = state;
    if (
      this.tree &&
      (!priorities || priorities.length !== n || !(maxPriority !== undefined && maxPriority > 0))
    )
      throw new Error('the replay buffer was saved without the priorities prioritized replay needs');
    this.observations.set(state.observations);
    this.actions.set(state.actions);
    this.rewards.set(state.rewards);
    this.nextObservations.set(state.nextObservations);
    this.notDone.set(state.notDone);
    this.pointer = state.pointer;
    this.size = n;
    if (this.tree && priorities && maxPriority !== undefined) {
      for (let i = 0; i < n; i++) this.tree.set(i, priorities[i]);
      this.maxPriority = maxPriority;
    }
  }

  /** The row the next `add` writes (lets a caller keep side data, such as simulator states, in step). */
  get nextIndex(): number {
    return this.pointer;
  }

  /** Adds (s, a, r, s′, terminated); once full, overwrites the oldest transition. */
  add(
    observation: ArrayLike<number>,
    action: ArrayLike<number>,
    reward: number,
    nextObservation: ArrayLike<number>,
    terminated: boolean,
  ): void {
    this.addWithBootstrap(observation, action, reward, nextObservation, terminated ? 0 : 1);
  }

  /**
   * Adds a transition whose target bootstraps with weight `bootstrap` on top of the update's discount: 0 when
   * it terminated, 1 for a one-step (or full n-step) transition, γ^(k − n) for an n-step return cut short
   * after k steps by the time limit (the update then discounts its bootstrap by γ^n · γ^(k − n) = γ^k).
   */
  addWithBootstrap(
    observation: ArrayLike<number>,
    action: ArrayLike<number>,
    reward: number,
    nextObservation: ArrayLike<number>,
    bootstrap: number,
  ): void {
    const i = this.pointer;
    this.observations.set(observation, i * this.observationSize);
    this.actions.set(action, i * this.actionSize);
    this.rewards[i] = reward;
    this.nextObservations.set(nextObservation, i * this.observationSize);
    this.notDone[i] = bootstrap;
    // A new transition gets the largest priority so far, so that it is replayed at least once soon.
    this.tree?.set(i, this.maxPriority);
    this.pointer = (i + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Row indices of `n` transitions drawn uniformly with replacement (as the authors' code does). */
  sampleIndices(n: number, rng: Random, out = new Int32Array(n)): Int32Array {
    if (this.size === 0) throw new Error('Cannot sample from an empty replay buffer');
    for (let k = 0; k < n; k++) out[k] = rng.int(this.size);
    return out;
  }

  /**
   * A minibatch drawn with P(i) = pᵢ / Σ p, with importance weights wᵢ = (N P(i))^−β / maxⱼ wⱼ that undo the
   * bias of the non-uniform draw in the critic's loss (β annealed to 1 by the caller). Reused by the next call.
   */
  samplePrioritized(n: number, rng: Random, beta: number): PrioritizedBatch {
    const tree = this.tree;
    if (!tree) throw new Error('prioritized sampling needs enablePriorities() first');
    if (this.size === 0) throw new Error('Cannot sample from an empty replay buffer');
    if (!this.prioritized || this.prioritized.size !== n)
      this.prioritized = { ...this.emptyBatch(n), weights: new Float32Array(n), rows: new Int32Array(n) };
    const b = this.prioritized;
    const total = tree.total;
    // The largest weight belongs to the least likely row: weights are divided by it, so they are ≤ 1.
    const maxWeight = (this.size * (tree.min / total)) ** -beta;
    for (let k = 0; k < n; k++) {
      const i = Math.min(tree.find(rng.uniform() * total), this.size - 1);
      b.rows[k] = i;
      b.weights[k] = (this.size * (tree.get(i) / total)) ** -beta / maxWeight;
    }
    this.copyRows(b.rows, b);
    return b;
  }

  /** New priorities pᵢ = (|δᵢ| + ε)^α from the update's TD errors δ of the rows just drawn. */
  updatePriorities(rows: Int32Array, tdErrors: Float32Array, alpha: number): void {
    const tree = this.tree;
    if (!tree) throw new Error('updatePriorities needs enablePriorities() first');
    for (let k = 0; k < rows.length; k++) {
      const error = Math.abs(tdErrors[k]);
      // A non-finite error is the divergence guard's to report; keep the row's priority meanwhile.
      if (!Number.isFinite(error)) continue;
      const p = (error + 1e-6) ** alpha;
      tree.set(rows[k], p);
      if (p > this.maxPriority) this.maxPriority = p;
    }
  }

  /** A uniform minibatch; the returned Batch is reused by the next call. */
  sample(n: number, rng: Random): Batch {
    if (!this.batch || this.batch.size !== n) {
      this.batch = this.emptyBatch(n);
      this.indices = new Int32Array(n);
    }
    const b = this.batch;
    this.copyRows(this.sampleIndices(n, rng, this.indices), b);
    return b;
  }

  private emptyBatch(n: number): Batch {
    return {
      size: n,
      observations: new Float32Array(n * this.observationSize),
      actions: new Float32Array(n * this.actionSize),
      rewards: new Float32Array(n),
      nextObservations: new Float32Array(n * this.observationSize),
      notDone: new Float32Array(n),
    };
  }

  private copyRows(idx: Int32Array, b: Batch): void {
    const n = idx.length;
    const os = this.observationSize;
    const as = this.actionSize;
    for (let k = 0; k < n; k++) {
      const i = idx[k];
      for (let j = 0; j < os; j++) {
        b.observations[k * os + j] = this.observations[i * os + j];
        b.nextObservations[k * os + j] = this.nextObservations[i * os + j];
      }
      for (let j = 0; j < as; j++) b.actions[k * as + j] = this.actions[i * as + j];
      b.rewards[k] = this.rewards[i];
      b.notDone[k] = this.notDone[i];
    }
  }
}
