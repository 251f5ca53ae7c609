/**
 * The TD3 update of src/rl/td3.ts, step for step, on the wasm backend without tfjs operations (and the policy's
 * actions, TD3.actBatch, likewise): the same kernels
 * (src/compute/wasmKernels.ts) called on addresses in tfjs-wasm's memory, the few elementwise steps as float32
 * arithmetic in JavaScript, the parameters and Adam moments written in place.
 *
 * Why: at the authors' sizes an update is ≈11 ms of products and ≈1.5 ms of tfjs's bookkeeping around ≈100
 * small operations (tensors made, tracked, disposed, variables reassigned). With the products shared between
 * two cores, that bookkeeping was a fifth of the update. `TD3.train` reads as the paper; this file follows it
 * line by line, and tests hold the two to the same results.
 */
import * as tf from '@tensorflow/tfjs';
import { cachedIn } from '../common/cached';
import { AdamStepAddresses, type InPlaceKernels } from '../compute/wasmKernels';
import type { Adam } from './adam';
import type { ActionSpace, Batch, LiveAgentConfig, UpdateStats } from './agentTypes';
import type { Mlp } from './mlp';

const f = Math.fround;
/** The buffers of ∂loss/∂Q for each critic. */
const DQ = ['dq1', 'dq2'];

/** What the update reads and writes of the agent. */
export interface InPlaceAgent {
  space: ActionSpace;
  actor: Mlp;
  actorTarget: Mlp;
  critic1: Mlp;
  critic2: Mlp;
  critic1Target: Mlp;
  critic2Target: Mlp;
  actorOptimizer: Adam;
  criticOptimizer: Adam;
  lastActorLoss: tf.Variable;
  /** Half the action range and its centre, per action dimension. */
  halfRange: Float64Array;
  center: Float64Array;
}

/** A call site's buffers by kind (layer outputs, dW, db, dx), each [layer][network], for `rows` rows. */
type SlotSet = Partial<Record<'h' | 'dW' | 'db' | 'dx', { rows: number; addresses: number[][] }>>;

/** One network's weights and biases by address, layer by layer. */
interface NetAt {
  weights: number[];
  biases: number[];
  sizes: number[];
}

/** Activations kept by a forward pass (each layer's input, then the output), by address. */
class TraceAt {
  constructor(
    readonly inputs: number[],
    readonly output: number,
  ) {}
}

/**
 * Lists of addresses, all made here in one way: lists of several kinds (literals, Array.from, map) passed to
 * the same functions made Node's optimiser give this update's compiled code up about once per update.
 */
function addresses(count: number, at: (t: number) => number): number[] {
  const out: number[] = [];
  for (let t = 0; t < count; t++) out.push(at(t));
  return out;
}

export class InPlaceUpdate {
  /** Whether the last update's critic loss was finite (checked on every update). */
  lossFinite = true;
  /** Buffers in tfjs-wasm's memory, by name, for one batch size. */
  private readonly buffers = new Map<string, { at: number; floats: number }>();
  private heapView = new Float32Array(0);

  /** Everything the update writes in place (see `claimData`). */
  private readonly written: tf.Variable[];
  /** Both critics' parameters, in the critic optimizer's order. */
  private readonly criticParams: tf.Variable[];

  constructor(
    private readonly k: InPlaceKernels,
    private readonly agent: InPlaceAgent,
  ) {
    const { actor, actorTarget, critic1, critic2, critic1Target, critic2Target } = agent;
    this.written = [
      ...[actor, actorTarget, critic1, critic2, critic1Target, critic2Target].flatMap((net) =>
        net.variables(),
      ),
      ...agent.actorOptimizer.moments(),
      ...agent.criticOptimizer.moments(),
      agent.lastActorLoss,
    ];
    this.criticParams = [...critic1.variables(), ...critic2.variables()];
  }

  /** Algorithm 1's update for one minibatch; `actorUpdated`: this is a d-th update (the actor's turn). */
  train(
    config: LiveAgentConfig,
    batch: Batch,
    smoothingNoise: Float32Array | null,
    actorUpdated: boolean,
    wantStats: boolean,
    /** Prioritized replay: filled with each row's larger |Q − y| of the critics in use. */
    tdErrors: Float32Array | null = null,
  ): Omit<UpdateStats, 'update' | 'actorUpdated'> | null {
    const { agent } = this;
    const { twinCritics, tau, discount } = config;
    const n = batch.size;
    const { observationSize: os, actionSize: as } = agent.space;
    const width = os + as;
    this.claimData();
    const actor = this.netAt(agent.actor);
    const critic1 = this.netAt(agent.critic1);
    const critic2 = this.netAt(agent.critic2);
    // Both critics learn; with twin critics off, critic 2 is unused by y and the actor (as in TD3.train).
    const critics = [critic1, critic2];
    const inUse = twinCritics ? 2 : 1;

    // The batch, uploaded: s, [s | a], s′.
    const s = this.put('s', batch.observations);
    const sa = this.buffer('sa', n * width);
    const next = this.buffer('next', n * width);
    let heap = this.heap();
    const { observations, actions, nextObservations } = batch;
    for (let i = 0; i < n; i++) {
      const row = i * width;
      for (let d = 0; d < os; d++) {
        heap[(sa >> 2) + row + d] = observations[i * os + d];
        heap[(next >> 2) + row + d] = nextObservations[i * os + d];
      }
      for (let d = 0; d < as; d++) heap[(sa >> 2) + row + os + d] = actions[i * as + d];
    }

    // The target: ã′ = clip(π′(s′) + ε, low, high), computed as in TD3.targetQ (in units of half the range),
    // then y = r + γ (1 − terminated) min(Q1′(s′, ã′), Q2′(s′, ã′)).
    const sNext = this.put('sNext', batch.nextObservations);
    const targetTrace = this.forward(
      'actorTarget',
      [this.netAt(agent.actorTarget)],
      addresses(1, () => sNext),
      n,
    )[0];
    heap = this.heap();
    const z = targetTrace.output >> 2;
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < as; d++) {
        const half = agent.halfRange[d];
        let u = f(Math.tanh(heap[z + i * as + d]));
        if (smoothingNoise) u = Math.min(Math.max(f(u + f(smoothingNoise[i * as + d] / half)), -1), 1);
        heap[(next >> 2) + i * width + os + d] = f(f(u * f(half)) + f(agent.center[d]));
      }
    }
    const targets = twinCritics
      ? [this.netAt(agent.critic1Target), this.netAt(agent.critic2Target)]
      : [this.netAt(agent.critic1Target)];
    const qNext = this.forward(
      'criticTarget',
      targets,
      addresses(targets.length, () => next),
      n,
    ).map((trace) => trace.output >> 2);
    const y = this.buffer('y', n) >> 2;
    heap = this.heap();
    const gamma = f(discount);
    for (let i = 0; i < n; i++) {
      const q = twinCritics ? Math.min(heap[qNext[0] + i], heap[qNext[1] + i]) : heap[qNext[0] + i];
      heap[y + i] = f(batch.rewards[i] + f(f(batch.notDone[i] * gamma) * q));
    }

    // The critics: MSE(Q(s, a), y) for each; ∂/∂Q = 2(Q − y)/n.
    const traces = this.forward(
      'critic',
      critics,
      addresses(critics.length, () => sa),
      n,
    );
    const dq = addresses(critics.length, (t) => this.buffer(DQ[t], n));
    heap = this.heap();
    const scale = f(2 / n);
    // Σ (Q − y)², as the statistics' critic loss sums it: a guard on every update for one multiply-add a term.
    let check = 0;
    const w = batch.weights;
    if (tdErrors) tdErrors.fill(0);
    for (let t = 0; t < critics.length; t++) {
      const at = dq[t] >> 2;
      const q = traces[t].output >> 2;
      const guarded = t < inUse;
      for (let i = 0; i < n; i++) {
        const error = heap[q + i] - heap[y + i];
        if (guarded) check += error * error;
        // Prioritized replay weighs the row's squared error by wᵢ (as TD3.train: sub, mul w, mul 2/n).
        heap[at + i] = w ? f(f(f(error) * w[i]) * scale) : f(f(error) * scale);
        if (tdErrors && guarded) tdErrors[i] = Math.max(tdErrors[i], Math.abs(f(error)));
      }
    }
    this.lossFinite = Number.isFinite(check);
    let stats: Omit<UpdateStats, 'update' | 'actorUpdated'> | null = null;
    if (wantStats) {
      const mean = (at: number) => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += heap[at + i];
        return sum / n;
      };
      let criticLoss = 0;
      for (const trace of traces.slice(0, inUse))
        for (let i = 0; i < n; i++) criticLoss += (heap[(trace.output >> 2) + i] - heap[y + i]) ** 2 / n;
      stats = {
        criticLoss,
        actorLoss: Number.NaN,
        q1: mean(traces[0].output >> 2),
        q2: twinCritics ? mean(traces[1].output >> 2) : Number.NaN,
        targetQ: mean(y),
      };
    }
    const criticGrads = this.backward('critic', critics, traces, dq, n, true, false).grads;
    const [g1, g2] = criticGrads;
    const perCritic = g1.length;
    const bothGrads = addresses(2 * perCritic, (i) => (i < perCritic ? g1[i] : g2[i - perCritic]));
    this.clip(bothGrads, this.criticParams, config.criticGradClip);
    this.adam(agent.criticOptimizer, bothGrads, this.criticParams);

    // Delayed policy updates: the actor ascends Q1(s, π(s)); the targets follow.
    if (actorUpdated) {
      const actorTrace = this.forward(
        'actor',
        [actor],
        addresses(1, () => s),
        n,
      )[0];
      const squashed = this.buffer('squashed', n * as) >> 2;
      const sPi = this.buffer('sPi', n * width);
      const dOut = this.buffer('dQ1', n);
      const dPre = this.buffer('dPre', n * as);
      heap = this.heap();
      const a = actorTrace.output >> 2;
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < os; d++) heap[(sPi >> 2) + i * width + d] = observations[i * os + d];
        for (let d = 0; d < as; d++) {
          const u = f(Math.tanh(heap[a + i * as + d]));
          heap[squashed + i * as + d] = u;
          heap[(sPi >> 2) + i * width + os + d] = f(f(u * f(agent.halfRange[d])) + f(agent.center[d]));
        }
      }
      let dInput: number;
      if (config.actorMinQ && twinCritics) {
        // Beyond the paper: ascend min(Q1, Q2); each row's gradient flows through the smaller critic.
        const both = [critic1, critic2];
        const qTraces = this.forward(
          'qMin',
          both,
          addresses(2, () => sPi),
          n,
        );
        const dOut2 = this.buffer('dQ2', n);
        heap = this.heap();
        const [q1, q2] = [qTraces[0].output >> 2, qTraces[1].output >> 2];
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const first = heap[q1 + i] <= heap[q2 + i];
          sum = f(sum + (first ? heap[q1 + i] : heap[q2 + i]));
          heap[(dOut >> 2) + i] = first ? f(-1 / n) : 0;
          heap[(dOut2 >> 2) + i] = first ? 0 : f(-1 / n);
        }
        heap[this.k.address(agent.lastActorLoss) >> 2] = -f(sum / n);
        const dOutputs = addresses(2, (t) => (t === 0 ? dOut : dOut2));
        const [d1, d2] = this.backward('qMin', both, qTraces, dOutputs, n, false, true).dInputs;
        // ∂/∂[s | a] of both critics, summed (as tf.add does, in float32).
        dInput = this.buffer('dInputMin', n * width) >> 2;
        heap = this.heap();
        for (let j = 0; j < n * width; j++) heap[dInput + j] = f(heap[(d1 >> 2) + j] + heap[(d2 >> 2) + j]);
      } else {
        const criticTrace = this.forward(
          'q1',
          [critic1],
          addresses(1, () => sPi),
          n,
        )[0];
        heap = this.heap();
        let sum = 0;
        for (let i = 0; i < n; i++) sum = f(sum + heap[(criticTrace.output >> 2) + i]);
        const actorLoss = -f(sum / n);
        heap[this.k.address(agent.lastActorLoss) >> 2] = actorLoss;
        // ∂(−mean Q1)/∂Q1 = −1/n, back through critic1 to its action input, then through scale·tanh.
        heap.fill(f(-1 / n), dOut >> 2, (dOut >> 2) + n);
        const dOutputs = addresses(1, () => dOut);
        dInput = this.backward('q1', [critic1], [criticTrace], dOutputs, n, false, true).dInputs[0] >> 2;
      }
      heap = this.heap();
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < as; d++) {
          const u = heap[squashed + i * as + d];
          const dAction = heap[dInput + i * width + os + d];
          heap[(dPre >> 2) + i * as + d] = f(f(dAction * f(agent.halfRange[d])) * f(1 - f(u * u)));
        }
      }
      const dPres = addresses(1, () => dPre);
      const actorGrads = this.backward('actor', [actor], [actorTrace], dPres, n, true, false).grads[0];
      this.clip(actorGrads, agent.actor.variables(), config.actorGradClip);
      this.adam(agent.actorOptimizer, actorGrads, agent.actor.variables());
      // Soft target updates: θ′ ← τθ + (1 − τ)θ′.
      this.polyak(agent.actorTarget, agent.actor, tau);
      this.polyak(agent.critic1Target, agent.critic1, tau);
      this.polyak(agent.critic2Target, agent.critic2, tau);
    }
    // The actor's loss as of its last update (NaN before the first), as TD3.train reports it.
    if (stats) stats.actorLoss = this.heap()[this.k.address(agent.lastActorLoss) >> 2];
    return stats;
  }

  /**
   * π(s) for `n` observations laid out row by row, as TD3.actBatch computes it: the actor's forward pass, then
   * scale·tanh + centre. One action per env step goes through here: through tfjs operations it cost ≈0.2 ms,
   * a quarter of the `quick` preset's time per step.
   */
  actions(observations: Float32Array, n: number): Float32Array {
    const { agent } = this;
    const { observationSize: os, actionSize: as } = agent.space;
    if (observations.length !== n * os)
      throw new Error(
        `${n} observation(s) of ${os} values need ${n * os} numbers, got ${observations.length}`,
      );
    const name = cachedIn(this.actNames, n, () => `act ${n}`);
    const s = this.put(name, observations);
    const z =
      this.forward(
        name,
        [this.netAt(agent.actor)],
        addresses(1, () => s),
        n,
      )[0].output >> 2;
    const heap = this.heap();
    const out = new Float32Array(n * as);
    for (let i = 0; i < n; i++)
      for (let d = 0; d < as; d++)
        out[i * as + d] = f(
          f(f(Math.tanh(heap[z + i * as + d])) * f(agent.halfRange[d])) + f(agent.center[d]),
        );
    return out;
  }
  private readonly actNames = new Map<number, string>();

  dispose(): void {
    for (const { at } of this.buffers.values()) this.k.free(at);
    this.buffers.clear();
  }

  /** Mlp.forwardEach on addresses: each layer's products in one call. */
  private forward(name: string, nets: NetAt[], xs: number[], n: number): TraceAt[] {
    const sizes = nets[0].sizes;
    const inputs: number[][] = [];
    for (let t = 0; t < nets.length; t++) inputs.push([]);
    const layerOutputs = this.slots(name, 'h', nets.length, n, sizes.length - 1, (l) => sizes[l + 1]);
    let hs = xs;
    for (let l = 0; l + 1 < sizes.length; l++) {
      for (let t = 0; t < nets.length; t++) inputs[t].push(hs[t]);
      const outs = layerOutputs[l];
      this.k.linearEach(
        hs,
        addresses(nets.length, (t) => nets[t].weights[l]),
        addresses(nets.length, (t) => nets[t].biases[l]),
        outs,
        n,
        sizes[l],
        sizes[l + 1],
        l + 2 < sizes.length,
      );
      hs = outs;
    }
    const traces: TraceAt[] = [];
    for (let t = 0; t < nets.length; t++) traces.push(new TraceAt(inputs[t], hs[t]));
    return traces;
  }

  /**
   * Mlp.backwardEach on addresses: dW = xᵀ·dz, db = Σ dz, dx = dz·Wᵀ ⊙ (x > 0). `grads`: per network, each
   * layer's dW and db addresses in the order of Mlp.variables().
   */
  private backward(
    name: string,
    nets: NetAt[],
    traces: TraceAt[],
    dOutputs: number[],
    n: number,
    weights: boolean,
    input: boolean,
  ): { grads: number[][]; dInputs: number[] } {
    const sizes = nets[0].sizes;
    const grads: number[][] = [];
    for (let t = 0; t < nets.length; t++) grads.push(addresses(2 * (sizes.length - 1), () => 0));
    const layers = sizes.length - 1;
    const dWs = this.slots(name, 'dW', nets.length, 1, layers, (l) => sizes[l] * sizes[l + 1]);
    const dbs = this.slots(name, 'db', nets.length, 1, layers, (l) => sizes[l + 1]);
    const dxs = this.slots(name, 'dx', nets.length, n, layers, (l) => sizes[l]);
    let dzs = dOutputs;
    let dInputs: number[] = [];
    for (let l = sizes.length - 2; l >= 0; l--) {
      const [inSize, outSize] = [sizes[l], sizes[l + 1]];
      const xs = addresses(traces.length, (t) => traces[t].inputs[l]);
      if (weights) {
        const [dW, db] = [dWs[l], dbs[l]];
        this.k.matMulTNEach(xs, dzs, dW, n, inSize, outSize);
        for (let t = 0; t < dzs.length; t++) {
          const dz = dzs[t];
          this.k.columnSum(dz, n, outSize, db[t]);
          grads[t][2 * l] = dW[t];
          grads[t][2 * l + 1] = db[t];
        }
      }
      const ws = addresses(nets.length, (t) => nets[t].weights[l]);
      if (l > 0 || input) {
        const outs = dxs[l];
        this.k.matMulNTEach(dzs, ws, l > 0 ? xs : null, outs, n, outSize, inSize);
        if (l > 0) dzs = outs;
        else dInputs = outs;
      }
    }
    return { grads, dInputs };
  }

  /** One Adam step of `params` from gradients by address (0: none, the parameter is left alone). */
  /** clipByGlobalNorm (src/rl/linalg.ts) in place: the gradients times min(1, max / (‖g‖ + 10⁻⁶)). */
  private clip(grads: number[], params: tf.Variable[], maxNorm: number | undefined): void {
    if (!maxNorm) return;
    let heap = this.heap();
    let squares = 0;
    for (let i = 0; i < grads.length; i++) {
      if (grads[i] === 0) continue;
      const at = grads[i] >> 2;
      for (let j = 0; j < params[i].size; j++) squares += heap[at + j] * heap[at + j];
    }
    const factor = f(Math.min(1, f(maxNorm / f(f(Math.sqrt(squares)) + f(1e-6)))));
    if (factor === 1) return;
    heap = this.heap();
    for (let i = 0; i < grads.length; i++) {
      if (grads[i] === 0) continue;
      const at = grads[i] >> 2;
      for (let j = 0; j < params[i].size; j++) heap[at + j] = f(heap[at + j] * factor);
    }
  }

  private adam(optimizer: Adam, grads: number[], params: tf.Variable[]): void {
    const has: boolean[] = [];
    for (let i = 0; i < grads.length; i++) has.push(grads[i] !== 0);
    const steps: AdamStepAddresses[] = [];
    for (const { index, m, v, stepSize, sqrtCorrection2 } of optimizer.nextSteps(has)) {
      const param = params[index];
      const { address } = this.k;
      steps.push(
        new AdamStepAddresses(
          address(param),
          grads[index],
          address(m),
          address(v),
          param.size,
          stepSize,
          sqrtCorrection2,
        ),
      );
    }
    this.k.adam(steps, optimizer.beta1, optimizer.beta2, optimizer.epsilon);
  }

  private polyak(target: Mlp, source: Mlp, tau: number): void {
    const from = source.variables();
    target.variables().forEach((v, i) => {
      this.k.polyak(this.k.address(from[i]), this.k.address(v), v.size, tau);
    });
  }

  private netAt(net: Mlp): NetAt {
    return {
      weights: addresses(net.layers.length, (l) => this.k.address(net.layers[l].weight)),
      biases: addresses(net.layers.length, (l) => this.k.address(net.layers[l].bias)),
      sizes: net.sizes,
    };
  }

  /**
   * Everything written in place must hold its data alone: tfjs shares data between a tensor and its clones
   * (and a target network starts as its source's copy). Any that shares it gets a copy of its own first.
   */
  private claimData(): void {
    for (const v of this.written) {
      if (!this.k.ownsData(v)) tf.tidy(() => v.assign(tf.add(v, 0)));
    }
  }

  /**
   * Buffers for `count` networks' layers, [layer][network]: layer l holds size(l) × rows floats. Kept between
   * updates under (name, kind), so that no names are built per update.
   */
  private slots(
    name: string,
    kind: 'h' | 'dW' | 'db' | 'dx',
    count: number,
    rows: number,
    layers: number,
    size: (l: number) => number,
  ): number[][] {
    const byKind = cachedIn(this.slotSets, name, (): SlotSet => ({}));
    const known = byKind[kind];
    if (known && known.rows === rows && known.addresses[0].length === count) return known.addresses;
    const made: number[][] = [];
    for (let l = 0; l < layers; l++)
      made.push(addresses(count, (t) => this.buffer(`${name} ${kind}${l} ${t}`, size(l) * rows)));
    byKind[kind] = { rows, addresses: made };
    return made;
  }
  private readonly slotSets = new Map<string, SlotSet>();

  /** A buffer of `floats` values, kept between updates (made anew when the batch size changes). */
  private buffer(name: string, floats: number): number {
    const known = this.buffers.get(name);
    if (known && known.floats === floats) return known.at;
    if (known) this.k.free(known.at);
    const at = this.k.malloc(floats);
    this.buffers.set(name, { at, floats });
    return at;
  }

  /** A buffer holding `values`. */
  private put(name: string, values: Float32Array): number {
    const at = this.buffer(name, values.length);
    this.heap().set(values, at >> 2);
    return at;
  }

  /** The memory as floats (a new view after the memory has grown). */
  private heap(): Float32Array {
    if (this.heapView.buffer !== this.k.memory.buffer) this.heapView = new Float32Array(this.k.memory.buffer);
    return this.heapView;
  }
}
