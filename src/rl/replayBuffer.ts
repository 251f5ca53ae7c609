/**
 * Experience replay: a preallocated ring of Float32Arrays. Sampling writes into one reused Batch, so an
 * update allocates nothing here.
 *
 * It stores `terminated`, never `truncated`: a transition cut by the time limit still has a future, and its
 * target must bootstrap from s′ (Pardo et al. 2018; SB3 issue #284).
 */
import type { Random } from '../common/random';
import type { Batch } from './td3';

/** The transitions held, rows 0 … size − 1, and where the next one goes: what a checkpoint keeps. */
export interface ReplayBufferState {
  pointer: number;
  size: number;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  notDone: Float32Array;
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

  exportState(): ReplayBufferState {
    const n = this.size;
    return {
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
    this.observations.set(state.observations);
    this.actions.set(state.actions);
    this.rewards.set(state.rewards);
    this.nextObservations.set(state.nextObservations);
    this.notDone.set(state.notDone);
    this.pointer = state.pointer;
    this.size = n;
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
    this.pointer = (i + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Row indices of `n` transitions drawn uniformly with replacement (as the authors' code does). */
  sampleIndices(n: number, rng: Random, out = new Int32Array(n)): Int32Array {
    if (this.size === 0) throw new Error('Cannot sample from an empty replay buffer');
    for (let k = 0; k < n; k++) out[k] = rng.int(this.size);
    return out;
  }

  /** A uniform minibatch; the returned Batch is reused by the next call. */
  sample(n: number, rng: Random): Batch {
    if (!this.batch || this.batch.size !== n) {
      this.batch = {
        size: n,
        observations: new Float32Array(n * this.observationSize),
        actions: new Float32Array(n * this.actionSize),
        rewards: new Float32Array(n),
        nextObservations: new Float32Array(n * this.observationSize),
        notDone: new Float32Array(n),
      };
      this.indices = new Int32Array(n);
    }
    const b = this.batch;
    const idx = this.sampleIndices(n, rng, this.indices);
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
    return b;
  }
}
