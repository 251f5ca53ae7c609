/**
 * The update's array operations (src/rl/td3Update.ts) in place on the wasm backend, without tfjs operations
 * (and the policy's actions, TD3.actBatch, likewise): the same kernels (src/compute/wasmKernels.ts) called on
 * addresses in tfjs-wasm's memory, the few elementwise steps as float32 arithmetic in JavaScript, the
 * parameters and Adam moments written in place.
 *
 * Why: at the authors' sizes an update is ≈11 ms of products and ≈1.5 ms of tfjs's bookkeeping around ≈100
 * small operations (tensors made, tracked, disposed, variables reassigned). With the products shared between
 * two cores, that bookkeeping was a fifth of the update. Each operation here does in float32 what its tfjs
 * form (src/rl/tfjsOps.ts) does, in the same order; tests hold the two to the same results.
 */
import * as tf from '@tensorflow/tfjs';
import { cachedIn } from '../common/cached';
import { AdamStepAddresses, type InPlaceKernels } from '../compute/wasmKernels';
import type { Adam } from './adam';
import type { ActionSpace, Batch } from './agentTypes';
import type { Mlp } from './mlp';
import type { TD3Parts, UpdateNumbers, UpdateOps } from './td3Update';

const f = Math.fround;
/** The buffers of ∂loss/∂Q for each critic. */
const DQ = ['dq1', 'dq2'];

/** What the operations read and write of the agent: its networks and optimizers, and these. */
export interface InPlaceAgent extends TD3Parts {
  space: ActionSpace;
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

export class InPlaceOps implements UpdateOps<number, number, TraceAt> {
  /** Buffers in tfjs-wasm's memory, by name, for one batch size. */
  private readonly buffers = new Map<string, { at: number; floats: number }>();
  private heapView = new Float32Array(0);
  /** The batch of the update under way. */
  private batch: Batch | null = null;
  /** Σ (Q − y)² of the critics in use, as the statistics' critic loss sums it: the update's guard. */
  private check = 0;

  /** Everything the update writes in place (see `claimData`). */
  private readonly written: tf.Variable[];

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
  }

  upload(batch: Batch): { s: number; sa: number; sNext: number } {
    this.claimData();
    this.batch = batch;
    this.check = 0;
    const n = batch.size;
    const { observationSize: os, actionSize: as } = this.agent.space;
    const width = os + as;
    const s = this.put('s', batch.observations);
    const sa = this.buffer('sa', n * width);
    const sNext = this.put('sNext', batch.nextObservations);
    const heap = this.heap();
    const { observations, actions } = batch;
    for (let i = 0; i < n; i++) {
      const row = i * width;
      for (let d = 0; d < os; d++) heap[(sa >> 2) + row + d] = observations[i * os + d];
      for (let d = 0; d < as; d++) heap[(sa >> 2) + row + os + d] = actions[i * as + d];
    }
    return { s, sa, sNext };
  }

  forward(site: string, nets: Mlp[], inputs: number[]): TraceAt[] {
    return this.forwardAt(
      site,
      nets.map((net) => this.netAt(net)),
      addresses(inputs.length, (t) => inputs[t]),
      this.rows(),
    );
  }

  backward(
    site: string,
    nets: Mlp[],
    traces: TraceAt[],
    dOutputs: number[],
    want: { weights: boolean; input: boolean },
  ): { grads: number[][]; dInputs: number[] } {
    return this.backwardAt(
      site,
      nets.map((net) => this.netAt(net)),
      traces,
      addresses(dOutputs.length, (t) => dOutputs[t]),
      this.rows(),
      want.weights,
      want.input,
    );
  }

  followBatchStatistics(nets: Mlp[]): void {
    // Normalised networks run on tfjs operations (TD3.train); nothing here keeps running statistics.
    if (nets.some((net) => net.norm)) throw new Error('the in-place update has no normalised layers');
  }

  stateAction(
    site: string,
    s: number,
    z: number,
    smoothingNoise: Float32Array | null,
  ): { rows: number; squashed: number } {
    const { agent } = this;
    const n = this.rows();
    const { observationSize: os, actionSize: as } = agent.space;
    const width = os + as;
    const names = cachedIn(this.siteNames, site, () => ({ rows: `${site} rows`, squashed: `${site} tanh` }));
    const rows = this.buffer(names.rows, n * width);
    const squashed = this.buffer(names.squashed, n * as);
    const heap = this.heap();
    const [at, th, zs, ss] = [rows >> 2, squashed >> 2, z >> 2, s >> 2];
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < os; d++) heap[at + i * width + d] = heap[ss + i * os + d];
      for (let d = 0; d < as; d++) {
        const half = agent.halfRange[d];
        const tanh = f(Math.tanh(heap[zs + i * as + d]));
        heap[th + i * as + d] = tanh;
        // As tfjsOps: in units of half the range, clip(tanh(z) + ε / half, −1, 1), then onto [low, high].
        const u = smoothingNoise
          ? Math.min(Math.max(f(tanh + f(smoothingNoise[i * as + d] / half)), -1), 1)
          : tanh;
        heap[at + i * width + os + d] = f(f(u * f(half)) + f(agent.center[d]));
      }
    }
    return { rows, squashed };
  }
  private readonly siteNames = new Map<string, { rows: string; squashed: string }>();

  bellmanTarget(batch: Batch, qNext: number[], discount: number): number {
    const n = batch.size;
    const y = this.buffer('y', n) >> 2;
    const heap = this.heap();
    const gamma = f(discount);
    const q1 = qNext[0] >> 2;
    const q2 = qNext.length > 1 ? qNext[1] >> 2 : -1;
    for (let i = 0; i < n; i++) {
      const q = q2 >= 0 ? Math.min(heap[q1 + i], heap[q2 + i]) : heap[q1 + i];
      heap[y + i] = f(batch.rewards[i] + f(f(batch.notDone[i] * gamma) * q));
    }
    return y << 2;
  }

  squaredErrorGradients(
    qs: number[],
    yAt: number,
    weights: Float32Array | undefined,
    inUse: number,
    tdErrors: Float32Array | null,
  ): number[] {
    const n = this.rows();
    const dq = addresses(qs.length, (t) => this.buffer(DQ[t], n));
    const heap = this.heap();
    const scale = f(2 / n);
    const y = yAt >> 2;
    // The guard sums the squared errors anyway: a check on every update for one multiply-add a term.
    let check = 0;
    if (tdErrors) tdErrors.fill(0);
    for (let t = 0; t < qs.length; t++) {
      const at = dq[t] >> 2;
      const q = qs[t] >> 2;
      const guarded = t < inUse;
      for (let i = 0; i < n; i++) {
        const error = heap[q + i] - heap[y + i];
        if (guarded) check += error * error;
        // Prioritized replay weighs the row's squared error by wᵢ (as tfjsOps: sub, mul w, mul 2/n).
        heap[at + i] = weights ? f(f(f(error) * weights[i]) * scale) : f(f(error) * scale);
        if (tdErrors && guarded) tdErrors[i] = Math.max(tdErrors[i], Math.abs(f(error)));
      }
    }
    this.check = check;
    return dq;
  }

  actorObjectiveGradients(qs: number[]): number[] {
    const n = this.rows();
    const lossAt = this.k.address(this.agent.lastActorLoss) >> 2;
    const dOut = this.buffer('dQ1', n);
    if (qs.length > 1) {
      // −mean min(Q1, Q2): each row's gradient flows through the smaller critic.
      const dOut2 = this.buffer('dQ2', n);
      const heap = this.heap();
      const [q1, q2] = [qs[0] >> 2, qs[1] >> 2];
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const first = heap[q1 + i] <= heap[q2 + i];
        sum = f(sum + (first ? heap[q1 + i] : heap[q2 + i]));
        heap[(dOut >> 2) + i] = first ? f(-1 / n) : 0;
        heap[(dOut2 >> 2) + i] = first ? 0 : f(-1 / n);
      }
      heap[lossAt] = -f(sum / n);
      return addresses(2, (t) => (t === 0 ? dOut : dOut2));
    }
    const heap = this.heap();
    let sum = 0;
    for (let i = 0; i < n; i++) sum = f(sum + heap[(qs[0] >> 2) + i]);
    heap[lossAt] = -f(sum / n);
    // ∂(−mean Q1)/∂Q1 = −1/n.
    heap.fill(f(-1 / n), dOut >> 2, (dOut >> 2) + n);
    return addresses(1, () => dOut);
  }

  sum(rows: number[]): number {
    if (rows.length === 1) return rows[0];
    const { observationSize: os, actionSize: as } = this.agent.space;
    const size = this.rows() * (os + as);
    const out = this.buffer('dInputMin', size) >> 2;
    const heap = this.heap();
    const [a, b] = [rows[0] >> 2, rows[1] >> 2];
    // As tf.add does, in float32.
    for (let j = 0; j < size; j++) heap[out + j] = f(heap[a + j] + heap[b + j]);
    return out << 2;
  }

  throughSquash(dStateAction: number, squashed: number): number {
    const { agent } = this;
    const n = this.rows();
    const { observationSize: os, actionSize: as } = agent.space;
    const width = os + as;
    const dPre = this.buffer('dPre', n * as) >> 2;
    const heap = this.heap();
    const [dIn, th] = [dStateAction >> 2, squashed >> 2];
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < as; d++) {
        const u = heap[th + i * as + d];
        const dAction = heap[dIn + i * width + os + d];
        heap[dPre + i * as + d] = f(f(dAction * f(agent.halfRange[d])) * f(1 - f(u * u)));
      }
    }
    return dPre << 2;
  }

  step(optimizer: Adam, grads: number[], maxNorm: number | undefined): void {
    const at = addresses(grads.length, (i) => grads[i]);
    this.clip(at, optimizer.params, maxNorm);
    this.adam(optimizer, at, optimizer.params);
  }

  polyak(target: Mlp, source: Mlp, tau: number): void {
    const from = source.variables();
    target.variables().forEach((v, i) => {
      this.k.polyak(this.k.address(from[i]), this.k.address(v), v.size, tau);
    });
  }

  finish(qs: number[], yAt: number, wantStats: boolean): { stats: UpdateNumbers | null; finite: boolean } {
    const finite = Number.isFinite(this.check);
    if (!wantStats) return { stats: null, finite };
    const n = this.rows();
    const heap = this.heap();
    const y = yAt >> 2;
    const mean = (at: number) => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += heap[at + i];
      return sum / n;
    };
    let criticLoss = 0;
    for (const q of qs) for (let i = 0; i < n; i++) criticLoss += (heap[(q >> 2) + i] - heap[y + i]) ** 2 / n;
    const stats: UpdateNumbers = {
      criticLoss,
      // The actor's loss as of its last update (NaN before the first), as tfjsOps reports it.
      actorLoss: heap[this.k.address(this.agent.lastActorLoss) >> 2],
      q1: mean(qs[0] >> 2),
      q2: qs.length > 1 ? mean(qs[1] >> 2) : Number.NaN,
      targetQ: mean(y),
    };
    return { stats, finite };
  }

  /** The rows of the update under way. */
  private rows(): number {
    if (!this.batch) throw new Error('InPlaceOps: upload a batch first');
    return this.batch.size;
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
      this.forwardAt(
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
  private forwardAt(name: string, nets: NetAt[], xs: number[], n: number): TraceAt[] {
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
  private backwardAt(
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

  /** One Adam step of `params` from gradients by address (0: none, the parameter is left alone). */
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
