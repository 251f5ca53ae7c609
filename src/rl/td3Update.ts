/**
 * TD3's update, Algorithm 1 of Fujimoto, van Hoof & Meger (ICML 2018), written once. Each trick is a switch of
 * the config used in one place here:
 *   twinCritics      clipped double Q learning: the target takes min(Q1′, Q2′); off → Q1′ alone (critic 2
 *                    still learns, unused, so that switching back on is TD3 at once)
 *   policyDelay d    the actor and the targets update every d critic updates; d = 1 → every update
 *   targetSmoothing  ã′ = clip(π′(s′) + clip(ε, −c, c), low, high), ε ~ N(0, σ); off → ã′ = π′(s′)
 * With all three off this is DDPG with TD3's other choices (the authors' "OurDDPG").
 *
 * The update is written against `UpdateOps`, the few array operations it needs, with two implementations:
 * src/rl/tfjsOps.ts with tfjs operations (any backend, and the reference), and src/rl/inPlaceOps.ts in place
 * on tfjs-wasm's memory without tfjs operations (faster on wasm; tests hold the two to the same numbers).
 * Gradients are written out by hand (src/rl/mlp.ts: dW = xᵀ·dz, db = Σ dz, dx = dz·Wᵀ), so each step computes
 * only what it needs.
 */
import type { Random } from '../common/random';
import type { Adam } from './adam';
import type { Batch, LiveAgentConfig, UpdateStats } from './agentTypes';
import type { Mlp } from './mlp';

/** The statistics of one update, as each implementation computes them (the agent adds its counters). */
export type UpdateNumbers = Omit<UpdateStats, 'update' | 'actorUpdated'>;

/**
 * The array operations of the update. `Rows` is a batch of rows on the device (a tensor, or an address in
 * wasm memory), `Grad` a parameter's gradient, `Trace` what a forward pass keeps for its backward pass,
 * `Net` and `Opt` a network and an optimizer (one agent's, or a population's batched: src/rl/population.ts).
 * `site` names a call of the update, for implementations that keep their buffers between updates.
 */
export interface UpdateOps<Rows, Grad, Trace extends { output: Rows }, Net = Mlp, Opt = Adam> {
  /** The minibatch on the device: s, [s | a] and s′. */
  upload(batch: Batch): { s: Rows; sa: Rows; sNext: Rows };
  /** Each network on its input (nets[t] on inputs[t]), layer by layer: Mlp.forwardEach. */
  forward(site: string, nets: Net[], inputs: Rows[]): Trace[];
  /** Backpropagation of ∂loss/∂output through each trace: parameter gradients and/or ∂loss/∂input. */
  backward(
    site: string,
    nets: Net[],
    traces: Trace[],
    dOutputs: Rows[],
    want: { weights: boolean; input: boolean },
  ): { grads: Grad[][]; dInputs: Rows[] };
  /** BatchNorm's running averages follow this batch's statistics (nothing for other networks). */
  followBatchStatistics(nets: Net[], traces: Trace[]): void;
  /**
   * [s | a] with a = centre + half · clip(tanh(z) + ε / half, −1, 1) (ε: target policy smoothing, or none:
   * a = centre + half · tanh(z), the policy), and tanh(z) for the backward pass through it.
   */
  stateAction(
    site: string,
    s: Rows,
    z: Rows,
    smoothingNoise: Float32Array | null,
  ): { rows: Rows; squashed: Rows };
  /** y = r + γ (1 − terminated) min_t Q′_t: the minimum over the target values given (one or two). */
  bellmanTarget(batch: Batch, qNext: Rows[], discount: number): Rows;
  /**
   * ∂/∂Q_t of Σ_t (1/n) Σᵢ wᵢ (Q_t(i) − yᵢ)², i.e. 2 wᵢ (Q_t(i) − yᵢ) / n (w = 1 without prioritized replay);
   * `tdErrors` (prioritized replay) gets each row's largest |Q_t(i) − yᵢ| of the first `inUse` critics.
   */
  squaredErrorGradients(
    qs: Rows[],
    y: Rows,
    weights: Float32Array | undefined,
    inUse: number,
    tdErrors: Float32Array | null,
  ): Rows[];
  /** The actor's loss −mean min_t Q_t(s, π(s)) (kept as the agent's last actor loss) and ∂loss/∂Q_t. */
  actorObjectiveGradients(qs: Rows[]): Rows[];
  /** Σ_t of the rows given (one or two). */
  sum(rows: Rows[]): Rows;
  /** ∂loss/∂z of the policy's pre-activation from ∂loss/∂[s | a]: ∂loss/∂a · half · (1 − tanh²(z)). */
  throughSquash(dStateAction: Rows, squashed: Rows): Rows;
  /** One Adam step of the optimizer's parameters, the gradients first clipped to a global norm (if given). */
  step(optimizer: Opt, grads: Grad[], maxNorm: number | undefined): void;
  /** Soft target update: θ′ ← τθ + (1 − τ)θ′. */
  polyak(target: Net, source: Net, tau: number): void;
  /**
   * After the update: its statistics if asked for (of the critics in use), and whether its critic loss was
   * finite (null: checked later, after a batch of updates, on backends where a read-back stalls the device).
   */
  finish(qs: Rows[], y: Rows, wantStats: boolean): { stats: UpdateNumbers | null; finite: boolean | null };
}

/** The networks and optimizers of one agent (or of a batched population). */
export interface TD3Parts<Net = Mlp, Opt = Adam> {
  actor: Net;
  actorTarget: Net;
  critic1: Net;
  critic2: Net;
  critic1Target: Net;
  critic2Target: Net;
  actorOptimizer: Opt;
  criticOptimizer: Opt;
}

/**
 * ε for target policy smoothing: N(0, σ) clipped to [−c, c], for `n` rows of actions, in each dimension's own
 * units (σ and c are given in units of half the action range, as the authors' code multiplies them by
 * max_action). Null when smoothing is off.
 */
export function smoothingNoise(
  rng: Random,
  n: number,
  halfRange: Float64Array,
  config: Pick<LiveAgentConfig, 'targetSmoothing' | 'policyNoise' | 'noiseClip'>,
): Float32Array | null {
  if (!config.targetSmoothing) return null;
  const act = halfRange.length;
  const noise = new Float32Array(n * act);
  for (let i = 0; i < noise.length; i++) {
    const half = halfRange[i % act];
    const sigma = config.policyNoise * half;
    const clip = config.noiseClip * half;
    noise[i] = Math.min(Math.max(rng.normal() * sigma, -clip), clip);
  }
  return noise;
}

/**
 * The critics' regression target:
 *   ã′ = clip(π′(s′) + ε, low, high)                              (target policy smoothing; ε already clipped)
 *   y  = r + γ (1 − terminated) min(Q1′(s′, ã′), Q2′(s′, ã′))     (clipped double Q; off → Q1′ alone)
 */
export function targetValue<Rows, Grad, Trace extends { output: Rows }, Net, Opt>(
  ops: UpdateOps<Rows, Grad, Trace, Net, Opt>,
  nets: TD3Parts<Net, Opt>,
  config: LiveAgentConfig,
  batch: Batch,
  sNext: Rows,
  noise: Float32Array | null,
): Rows {
  const zNext = ops.forward('actor target', [nets.actorTarget], [sNext])[0].output;
  const next = ops.stateAction('target action', sNext, zNext, noise).rows;
  const targets = config.twinCritics ? [nets.critic1Target, nets.critic2Target] : [nets.critic1Target];
  const qNext = ops.forward(
    'target critics',
    targets,
    targets.map(() => next),
  );
  return ops.bellmanTarget(
    batch,
    qNext.map((trace) => trace.output),
    config.discount,
  );
}

/**
 * One iteration of Algorithm 1's update on a sampled minibatch; `update` counts the critic updates, this one
 * included (the authors' total_it). `tdErrors`: filled for prioritized replay.
 */
export function td3Update<Rows, Grad, Trace extends { output: Rows }, Net, Opt>(
  ops: UpdateOps<Rows, Grad, Trace, Net, Opt>,
  nets: TD3Parts<Net, Opt>,
  config: LiveAgentConfig,
  batch: Batch,
  noise: Float32Array | null,
  update: number,
  wantStats: boolean,
  tdErrors: Float32Array | null,
): { stats: UpdateNumbers | null; finite: boolean | null; actorUpdated: boolean } {
  const { twinCritics, policyDelay, tau } = config;
  const { s, sa, sNext } = ops.upload(batch);

  // Compute the target Q value, with target policy smoothing and clipped double Q.
  const y = targetValue(ops, nets, config, batch, sNext, noise);

  // Update the critics towards it: minimise MSE(Q1(s, a), y) + MSE(Q2(s, a), y). With twin critics off,
  // critic 2 still learns on the same batch and targets, unused by y and the actor, so that switching them
  // back on is the paper's TD3 at once (not a min with an untrained Q2′).
  const critics = [nets.critic1, nets.critic2];
  const inUse = twinCritics ? 2 : 1;
  const traces = ops.forward('critics', critics, [sa, sa]);
  ops.followBatchStatistics(critics, traces);
  const qs = traces.map((trace) => trace.output);
  // Prioritized replay weighs each row's squared error by its importance weight wᵢ.
  const dq = ops.squaredErrorGradients(qs, y, batch.weights, inUse, tdErrors);
  const [g1, g2] = ops.backward('critics', critics, traces, dq, { weights: true, input: false }).grads;
  ops.step(nets.criticOptimizer, [...g1, ...g2], config.criticGradClip);

  // Delayed policy updates: every d-th update, the actor ascends Q1(s, π(s)) and the targets follow.
  const actorUpdated = update % policyDelay === 0;
  if (actorUpdated) {
    const actorTrace = ops.forward('actor', [nets.actor], [s])[0];
    const { rows: sPi, squashed } = ops.stateAction('policy action', s, actorTrace.output, null);
    // Beyond the paper (actorMinQ): ascend min(Q1, Q2); each row's gradient flows through the smaller critic.
    const judges = config.actorMinQ && twinCritics ? critics : [nets.critic1];
    const site = judges.length > 1 ? 'actor objective, min Q' : 'actor objective';
    const judged = ops.forward(
      site,
      judges,
      judges.map(() => sPi),
    );
    const dQ = ops.actorObjectiveGradients(judged.map((trace) => trace.output));
    // Back through the critics to their action input (their weights are left alone), then through tanh.
    const dInputs = ops.backward(site, judges, judged, dQ, { weights: false, input: true }).dInputs;
    const dPre = ops.throughSquash(ops.sum(dInputs), squashed);
    const actorGrads = ops.backward('actor', [nets.actor], [actorTrace], [dPre], {
      weights: true,
      input: false,
    }).grads[0];
    ops.step(nets.actorOptimizer, actorGrads, config.actorGradClip);
    // Soft target updates: θ′ ← τθ + (1 − τ)θ′.
    ops.polyak(nets.actorTarget, nets.actor, tau);
    ops.polyak(nets.critic1Target, nets.critic1, tau);
    ops.polyak(nets.critic2Target, nets.critic2, tau);
  }

  // The statistics and the guard are of the critics in use: critic 1 alone when twin critics are off.
  return { ...ops.finish(qs.slice(0, inUse), y, wantStats), actorUpdated };
}
