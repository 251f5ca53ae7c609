/**
 * What goes into and out of a TD3 agent: the action space, its settings, a minibatch, an update's statistics
 * and the agent's saved state. Apart from src/rl/td3.ts so that the update (td3Update.ts) and its two sets of
 * operations (tfjsOps.ts, inPlaceOps.ts) share them without importing the agent.
 */
import type { AdamState } from './adam';
import type { Config } from './hyperparameters';
import type { MlpWeights } from './mlp';

/** What the agent needs to know of an environment: sizes and action bounds. */
export interface ActionSpace {
  observationSize: number;
  actionSize: number;
  actionLow: number[];
  actionHigh: number[];
}

export type AgentConfig = Pick<
  Config,
  | 'hidden1'
  | 'hidden2'
  | 'actorLr'
  | 'criticLr'
  | 'discount'
  | 'tau'
  | 'twinCritics'
  | 'policyDelay'
  | 'targetSmoothing'
  | 'policyNoise'
  | 'noiseClip'
> &
  /** Beyond the paper; absent = the paper's choice (PyTorch's init, the actor on Q1). */
  Partial<
    Pick<
      Config,
      'init' | 'smallActorOutput' | 'criticNorm' | 'actorMinQ' | 'actorGradClip' | 'criticGradClip'
    >
  >;

/** Settings that may change between updates without rebuilding the networks. */
export type LiveAgentConfig = Omit<
  AgentConfig,
  'hidden1' | 'hidden2' | 'init' | 'smallActorOutput' | 'criticNorm'
>;

/**
 * A minibatch of transitions, row-major. `notDone` weighs the bootstrap: 1 − terminated (truncation never
 * zeroes it), or for n-step returns cut short by the time limit γ^(k − n) (src/rl/replayBuffer.ts).
 */
export interface Batch {
  size: number;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  notDone: Float32Array;
  /** Prioritized replay's importance weights: each row's squared error counts wᵢ times (absent: 1). */
  weights?: Float32Array;
}

/** Means over the batch of one update, read back only when asked for. */
export interface UpdateStats {
  update: number;
  criticLoss: number;
  /** −mean Q1(s, π(s)) at the last actor update; NaN before the first one. */
  actorLoss: number;
  q1: number;
  q2: number;
  targetQ: number;
  actorUpdated: boolean;
}

export type AgentWeights = Record<
  'actor' | 'actorTarget' | 'critic1' | 'critic2' | 'critic1Target' | 'critic2Target',
  MlpWeights
>;

/** The six networks in AgentWeights' order, with the names messages give them. */
export const NETWORK_NAMES: Record<keyof AgentWeights, string> = {
  actor: 'actor',
  actorTarget: 'actor target',
  critic1: 'critic 1',
  critic2: 'critic 2',
  critic1Target: 'critic 1 target',
  critic2Target: 'critic 2 target',
};

/** Everything an agent needs to continue exactly where it was: weights, optimizer moments, counters, noise. */
export interface AgentState {
  weights: AgentWeights;
  actorOptimizer: AdamState;
  criticOptimizer: AdamState;
  updates: number;
  lastActorLoss: number;
  smoothingRng: number[];
}
