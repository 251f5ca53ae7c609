/**
 * Hand-written WASM SIMD kernels for the tfjs wasm backend: the matrix products, column sums, Adam step and
 * Polyak average of the TD3 update.
 *
 * Why: tfjs-wasm hands every matMul to XNNPACK, which first packs the right-hand matrix — and in training that
 * matrix is new at every call (weights change each step, gradients are fresh), so a 256×256 product pays
 * ≈0.7 ms of packing on top of ≈2 ms of arithmetic. Its transposed forms are ~10× slower, and transposes and
 * column sums cost ≈0.3–0.4 ms each. These kernels read the operands where tfjs keeps them (they import
 * tfjs-wasm's own WebAssembly.Memory), need no packing, take Aᵀ directly and fuse bias, ReLU and the ReLU mask
 * of the backward pass; Adam and Polyak run as one pass over each network's parameters.
 *
 * The WebAssembly is generated here, byte by byte (no toolchain): each product is specialised to its shapes
 * (constant strides and trip counts), compiled once and cached. Register blocking: 2 rows × 16 columns of C in
 * eight 4-lane accumulators; A's entries are broadcast, B's rows loaded 4 lanes at a time; with relaxed SIMD
 * (Chromium; Node ≥ 22, or Node 20 with --experimental-wasm-relaxed-simd) each step is one fused multiply-add.
 *
 * They register as kernels of the 'wasm' backend under their own names, so tfjs tracks their outputs like any
 * other (tidy, dispose, memory counts). They have no gradients: the TD3 update differentiates by hand. The
 * flag TD3_WASM_KERNELS (default true) switches them off, e.g. to compare with tfjs's kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { cachedIn } from '../common/cached';
import { ShareChooser } from './shareChooser';
import { type HelperSpawner, KernelThreads } from './wasmThreads';

export interface FastKernels {
  /** x·W + b, then ReLU if asked. */
  linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, relu: boolean): tf.Tensor2D;
  /** aᵀ·b. */
  matMulTN(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D;
  /** a·bᵀ, then ⊙ (mask > 0) if a mask is given. */
  matMulNT(a: tf.Tensor2D, b: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D;
  /** The same, for several products of one shape in one call (their work shared out as one). */
  linearEach(xs: tf.Tensor2D[], ws: tf.Tensor2D[], bs: tf.Tensor1D[], relu: boolean): tf.Tensor2D[];
  matMulTNEach(as: tf.Tensor2D[], bs: tf.Tensor2D[]): tf.Tensor2D[];
  matMulNTEach(as: tf.Tensor2D[], bs: tf.Tensor2D[], masks?: tf.Tensor2D[]): tf.Tensor2D[];
  /** Σ over rows. */
  columnSum(x: tf.Tensor2D): tf.Tensor1D;
  /** [a | b], row by row. */
  concatColumns(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D;
  /** One Adam step of several parameters; returns [θ′, m′, v′] per parameter. */
  adam(params: AdamParamStep[], beta1: number, beta2: number, epsilon: number): tf.Tensor[][];
  /** τ·source + (1 − τ)·target for each pair. */
  polyak(sources: tf.Tensor[], targets: tf.Tensor[], tau: number): tf.Tensor[];
}

export interface AdamParamStep {
  param: tf.Tensor;
  grad: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  /** lr / (1 − β1ᵗ) */
  stepSize: number;
  /** √(1 − β2ᵗ) */
  sqrtCorrection2: number;
}

const FLAG = 'TD3_WASM_KERNELS';
tf.env().registerFlag(FLAG, () => true);

// ---------------------------------------------------------------------------------------------------------
// WebAssembly encoding: just what these kernels use.

type Bytes = number[];
type WasmBytes = Uint8Array<ArrayBuffer>;

function uleb(value: number): Bytes {
  const out: Bytes = [];
  let n = value >>> 0;
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

function sleb(value: number): Bytes {
  const out: Bytes = [];
  let n = value | 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vector = (items: Bytes[]): Bytes => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Bytes): Bytes => [id, ...uleb(body.length), ...body];
const name = (text: string): Bytes => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Instructions, as byte arrays. */
const op = {
  get: (i: number): Bytes => [0x20, ...uleb(i)],
  set: (i: number): Bytes => [0x21, ...uleb(i)],
  tee: (i: number): Bytes => [0x22, ...uleb(i)],
  i32: (n: number): Bytes => [0x41, ...sleb(n)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32DivU: [0x6e],
  i32LtU: [0x49],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  /** i32.atomic.rmw.add: the value before. */
  i32AtomicAdd: [0xfe, 0x1e, 2, 0],
  if: [0x04, 0x40],
  loop: [0x03, 0x40],
  block: [0x02, 0x40],
  end: [0x0b],
  brIf: (depth: number): Bytes => [0x0d, ...uleb(depth)],
  br: (depth: number): Bytes => [0x0c, ...uleb(depth)],
  f32Load: (offset: number): Bytes => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset: number): Bytes => [0x38, 2, ...uleb(offset)],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  f32Max: [0x97],
  f32Gt: [0x5e],
  f32Const0: [0x43, 0, 0, 0, 0],
  select: [0x1b],
  simd: (code: number, ...immediates: number[]): Bytes => [0xfd, ...uleb(code), ...immediates],
};
const v = {
  load: (offset: number): Bytes => op.simd(0x00, 4, ...uleb(offset)),
  store: (offset: number): Bytes => op.simd(0x0b, 4, ...uleb(offset)),
  load32Splat: (offset: number): Bytes => op.simd(0x09, 2, ...uleb(offset)),
  zero: op.simd(0x0c, ...new Array(16).fill(0)),
  shuffle: (lanes32: number[]): Bytes =>
    op.simd(0x0d, ...lanes32.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3])),
  splat: op.simd(0x13),
  extractLane: (lane: number): Bytes => op.simd(0x1f, lane),
  replaceLane: (lane: number): Bytes => op.simd(0x20, lane),
  gt: op.simd(0x44),
  and: op.simd(0x4e),
  sqrt: op.simd(0xe3),
  add: op.simd(0xe4),
  sub: op.simd(0xe5),
  mul: op.simd(0xe6),
  div: op.simd(0xe7),
  max: op.simd(0xe9),
};

/** Whether the modules built now import a shared memory (set by `kernel` for the memory it compiles for). */
let importShared = false;

/** A module importing `env.memory` (shared, up to 4 GiB, when `importShared`) and exporting one function `run`. */
function moduleBytes(params: number[], locals: [number, number][], body: Bytes): WasmBytes {
  const memoryLimits = importShared ? [0x03, 0x00, ...uleb(65536)] : [0x00, 0x00];
  const code = [...vector(locals.map(([count, type]) => [...uleb(count), type])), ...body, ...op.end];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, vector([[0x60, ...vector(params.map((p) => [p])), 0]])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name('run'), 0x00, 0]])),
    ...section(10, vector([[...uleb(code.length), ...code]])),
  ]);
}

/** `for (counter = count; counter > 0; counter--) body`, emitted only when count > 0. */
function repeat(count: number, counter: number, body: Bytes): Bytes {
  if (count <= 0) return [];
  return [
    ...op.i32(count),
    ...op.set(counter),
    ...op.loop,
    ...body,
    ...op.get(counter),
    ...op.i32(1),
    ...op.i32Sub,
    ...op.tee(counter),
    ...op.brIf(0),
    ...op.end,
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Kernel generators.

export interface GemmShape {
  /** Rows and columns of C, and the inner dimension. */
  m: number;
  n: number;
  k: number;
  /** A is stored k×m (C = Aᵀ·B) instead of m×k. */
  transA: boolean;
  bias: boolean;
  relu: boolean;
  /** C ⊙ (mask > 0), mask laid out like C. */
  mask: boolean;
  /** Write C transposed (n×m). */
  transC: boolean;
}

/** f32x4.relaxed_madd (one fused multiply-add where the CPU has one): in Chromium ≥ 114 and Node ≥ 22. */
const RELAXED_MADD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32,
  1, 32, 2, 253, 133, 2, 11,
]);
let relaxed: boolean | null = null;
export function hasRelaxedSimd(): boolean {
  relaxed ??= typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_MADD_PROBE);
  return relaxed;
}
/** Probe again (after Node's V8 flag was set: src/cli/backend.ts). */
export function resetRelaxedSimdProbe(): void {
  relaxed = null;
  // Plans name their kernels by whether FMA is used.
  plans.clear();
}

/** The register block of C: 2 rows × 4 vectors of 4 columns (eight accumulators, as x64 has 16 registers). */
const TILE_ROWS = 2;
const TILE_VECS = 4;
/** Bytes of the packed B panel per unit of the inner dimension k. */
const PANEL_BYTES_PER_K = TILE_VECS * 16;

/** How a product's module is built: register block, unrolling, FMA, packing, and how threads share it. */
export interface GemmOptions {
  ROWS?: number;
  VECS?: number;
  UNROLL?: number;
  FMA?: boolean;
  PACK?: boolean;
  /**
   * Several threads run the same call (each with a panel buffer of its own) and take column panels in turn from
   * an int32 counter in shared memory (the last param, zero before the call): a slow or late thread takes
   * fewer. The thread that draws the number just past the last panel does the last columns (n mod 16).
   */
  shared?: boolean;
  /** Products of this same shape in one call (the twin critics' layers): their panels are drawn as one list. */
  count?: number;
}

/**
 * C = op(A)·B (+ bias) (ReLU) (⊙ mask > 0), all row-major float32.
 * Function params: a, b, c, bias, mask for each product, then panel (byte addresses; unused ones ignored), and
 * the counter when shared.
 * Register block ROWS × 4·VECS of C; the inner loop unrolled UNROLL times; FMA: relaxed_madd instead of
 * mul + add (measured here: 4×2 with FMA ≈ 35 GFLOP/s, without ≈ 26, tfjs-wasm's XNNPACK ≈ 15–20).
 * Every element's sum runs in the same order whoever computes it: results do not depend on the thread count.
 */
export function gemmModule(s: GemmShape, options: GemmOptions = {}): WasmBytes {
  const {
    ROWS = TILE_ROWS,
    VECS = TILE_VECS,
    UNROLL = 1,
    FMA = hasRelaxedSimd(),
    PACK = true,
    shared = false,
    count = 1,
  } = options;
  if (s.n === 1 && !s.transA && !s.transC && !shared && count === 1) return rowDotModule(s);
  const PER_PRODUCT = 5;
  const PANEL = PER_PRODUCT * count;
  const COUNTER = PANEL + 1;
  const params = PANEL + (shared ? 2 : 1);
  let next = params;
  // The product being computed: its a, b, c, bias and mask.
  const [A, B, C, BIAS, MASK] = [next++, next++, next++, next++, next++];
  const which = next++;
  const i = next++;
  const j = next++;
  const kk = next++;
  const pa = next++;
  const pb = next++;
  const pc = next++;
  const pm = next++;
  const drawn = next++;
  const i32Locals = next - params;
  const acc = Array.from({ length: ROWS * VECS }, () => next++);
  const bv = Array.from({ length: VECS }, () => next++);
  const av = next++;
  const zero = next++;
  const v128Locals = next - params - i32Locals;

  const rowStride = s.transA ? 4 : s.k * 4; // bytes between A's rows i and i + 1 (of op(A))
  const kStride = s.transA ? s.m * 4 : 4; // bytes between A's columns k and k + 1 (of op(A))
  const body: Bytes = [...v.zero, ...op.set(zero)];

  /**
   * Rows [i0, i0 + iCount·rows) of the column block at j (bytes), `rows` × 4·vecs at a time; only the first
   * `lastLanes` lanes of its last vector are columns of C (the block past the last whole panel).
   */
  const rowTiles = (
    rows: number,
    vecs: number,
    i0: number,
    iCount: number,
    packed: boolean,
    lastLanes: number,
  ): Bytes => {
    if (iCount <= 0) return [];
    const width = packed ? 4 * vecs : s.n;
    const accOf = (r: number, q: number) => acc[r * vecs + q];
    const lanesOf = (q: number) => (q === vecs - 1 ? lastLanes : 4);
    /** A vector of 4 floats from `base` + offset, or of its first lanes (the rest zero): no read past C's row. */
    const loadLanes = (base: Bytes, offset: number, lanes: number): Bytes => {
      if (lanes === 4) return [...base, ...v.load(offset)];
      const out: Bytes = [...v.zero];
      for (let lane = 0; lane < lanes; lane++)
        out.push(...base, ...op.f32Load(offset + 4 * lane), ...v.replaceLane(lane));
      return out;
    };
    const inner: Bytes = [];
    // Accumulators start at zero or at the bias.
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < vecs; q++) {
        if (s.bias)
          inner.push(...loadLanes([...op.get(BIAS), ...op.get(j), ...op.i32Add], q * 16, lanesOf(q)));
        else inner.push(...op.get(zero));
        inner.push(...op.set(accOf(r, q)));
      }
    }
    // pa = A + i·rowStride, pb = B + j·4
    inner.push(...op.get(A), ...op.get(i), ...op.i32(rowStride), ...op.i32Mul, ...op.i32Add, ...op.set(pa));
    if (packed) inner.push(...op.get(PANEL), ...op.set(pb));
    else inner.push(...op.get(B), ...op.get(j), ...op.i32Add, ...op.set(pb));
    const step = (u: number): Bytes => {
      const out: Bytes = [];
      for (let q = 0; q < vecs; q++)
        out.push(...op.get(pb), ...v.load(u * width * 4 + q * 16), ...op.set(bv[q]));
      for (let r = 0; r < rows; r++) {
        out.push(...op.get(pa), ...v.load32Splat(r * rowStride + u * kStride), ...op.set(av));
        for (let q = 0; q < vecs; q++) {
          const x = accOf(r, q);
          if (FMA) out.push(...op.get(av), ...op.get(bv[q]), ...op.get(x), ...op.simd(0x105), ...op.set(x));
          else out.push(...op.get(x), ...op.get(av), ...op.get(bv[q]), ...v.mul, ...v.add, ...op.set(x));
        }
      }
      return out;
    };
    const advance = (steps: number): Bytes => [
      ...op.get(pa),
      ...op.i32(kStride * steps),
      ...op.i32Add,
      ...op.set(pa),
      ...op.get(pb),
      ...op.i32(width * 4 * steps),
      ...op.i32Add,
      ...op.set(pb),
    ];
    const unrolled: Bytes = [];
    for (let u = 0; u < UNROLL; u++) unrolled.push(...step(u));
    inner.push(...repeat(Math.floor(s.k / UNROLL), kk, [...unrolled, ...advance(UNROLL)]));
    for (let u = 0; u < s.k % UNROLL; u++) inner.push(...step(u));
    // Epilogue: ReLU, mask, store.
    if (s.mask) {
      inner.push(...op.get(MASK), ...op.get(i), ...op.i32(s.n * 4), ...op.i32Mul, ...op.i32Add);
      inner.push(...op.get(j), ...op.i32Add, ...op.set(pm));
    }
    if (s.transC) {
      // C[(j + col)·m + i + r]
      inner.push(...op.get(C), ...op.get(j), ...op.i32(s.m), ...op.i32Mul, ...op.i32Add);
      inner.push(...op.get(i), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.set(pc));
    } else {
      inner.push(...op.get(C), ...op.get(i), ...op.i32(s.n * 4), ...op.i32Mul, ...op.i32Add);
      inner.push(...op.get(j), ...op.i32Add, ...op.set(pc));
    }
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < vecs; q++) {
        const x = accOf(r, q);
        const lanes = lanesOf(q);
        if (s.relu) inner.push(...op.get(x), ...op.get(zero), ...v.max, ...op.set(x));
        if (s.mask) {
          inner.push(...op.get(x), ...loadLanes(op.get(pm), r * s.n * 4 + q * 16, lanes));
          inner.push(...op.get(zero), ...v.gt, ...v.and, ...op.set(x));
        }
        if (s.transC) {
          for (let lane = 0; lane < lanes; lane++) {
            inner.push(...op.get(pc), ...op.get(x), ...v.extractLane(lane));
            inner.push(...op.f32Store(((4 * q + lane) * s.m + r) * 4));
          }
        } else if (lanes === 4) {
          inner.push(...op.get(pc), ...op.get(x), ...v.store(r * s.n * 4 + q * 16));
        } else {
          for (let lane = 0; lane < lanes; lane++) {
            inner.push(...op.get(pc), ...op.get(x), ...v.extractLane(lane));
            inner.push(...op.f32Store(r * s.n * 4 + q * 16 + lane * 4));
          }
        }
      }
    }
    return [
      ...op.i32(i0),
      ...op.set(i),
      ...op.loop,
      ...inner,
      ...op.get(i),
      ...op.i32(rows),
      ...op.i32Add,
      ...op.tee(i),
      ...op.i32(i0 + iCount * rows),
      ...op.i32LtU,
      ...op.brIf(0),
      ...op.end,
    ];
  };

  /**
   * Every row of the column block at j (bytes): `cols` columns, 4·vecs wide (the last vector partly padding).
   * When more than one row tile reads it, the k×4·vecs panel of B is first copied to PANEL, contiguous: read in
   * place, its rows lie n·4 bytes apart and map to a few L1 sets (thrashing). A block narrower than its
   * vectors is always copied, zero-padded, so that no load reads past B's rows.
   */
  const columnBlock = (cols: number): Bytes => {
    const vecs = Math.ceil(cols / 4);
    const lastLanes = cols - 4 * (vecs - 1);
    // A narrower block takes more rows per tile, to keep as many independent sums in flight (the fused
    // multiply-adds' latency): 256×256×6 went from ≈19 to ≈34 GFLOP/s with 4 rows × 2 vectors.
    const rows = Math.max(1, Math.floor((ROWS * VECS) / vecs));
    const blockRows = Math.floor(s.m / rows) * rows;
    const packed = lastLanes < 4 || (PACK && blockRows / rows + (s.m - blockRows) > 1);
    const out: Bytes = [];
    if (packed) {
      const copyRow: Bytes = [];
      for (let q = 0; q < vecs; q++) {
        if (q < vecs - 1 || lastLanes === 4) {
          copyRow.push(...op.get(pb), ...op.get(pa), ...v.load(q * 16), ...v.store(q * 16));
          continue;
        }
        copyRow.push(...op.get(pb), ...v.zero, ...v.store(q * 16));
        for (let lane = 0; lane < lastLanes; lane++) {
          const at = q * 16 + lane * 4;
          copyRow.push(...op.get(pb), ...op.get(pa), ...op.f32Load(at), ...op.f32Store(at));
        }
      }
      copyRow.push(...op.get(pa), ...op.i32(s.n * 4), ...op.i32Add, ...op.set(pa));
      copyRow.push(...op.get(pb), ...op.i32(16 * vecs), ...op.i32Add, ...op.set(pb));
      out.push(...op.get(B), ...op.get(j), ...op.i32Add, ...op.set(pa), ...op.get(PANEL), ...op.set(pb));
      out.push(...repeat(s.k, kk, copyRow));
    }
    out.push(...rowTiles(rows, vecs, 0, blockRows / rows, packed, lastLanes));
    out.push(...rowTiles(1, vecs, blockRows, s.m - blockRows, packed, lastLanes));
    return out;
  };

  const panelCols = 4 * VECS;
  const panels = Math.floor(s.n / panelCols);
  /** The columns past the last whole panel, as one narrower block. */
  const lastCols = s.n - panels * panelCols;
  const lastBlock: Bytes =
    lastCols > 0 ? [...op.i32(panels * panelCols * 4), ...op.set(j), ...columnBlock(lastCols)] : [];
  /** A, B, C, BIAS, MASK = product t's params. */
  const product = (t: number): Bytes =>
    [A, B, C, BIAS, MASK].flatMap((local, q) => [...op.get(PER_PRODUCT * t + q), ...op.set(local)]);
  if (!shared) {
    for (let t = 0; t < count; t++) {
      body.push(...product(t));
      if (panels > 0) {
        body.push(...op.i32(0), ...op.set(j), ...op.loop, ...columnBlock(panelCols));
        body.push(...op.get(j), ...op.i32(panelCols * 4), ...op.i32Add, ...op.tee(j));
        body.push(...op.i32(panels * panelCols * 4), ...op.i32LtU, ...op.brIf(0), ...op.end);
      }
      body.push(...lastBlock);
    }
  } else {
    // Draw panel numbers (all products' panels, one list) until they run out; the one who draws the number
    // just past the last does every product's last columns.
    const total = count * panels;
    /** A, B, C, BIAS, MASK = the params of product number `which` (a local). */
    const productWhich: Bytes = [A, B, C, BIAS, MASK].flatMap((local, q) => {
      const out: Bytes = [...op.get(q)];
      for (let t = 1; t < count; t++)
        out.push(...op.get(PER_PRODUCT * t + q), ...op.get(which), ...op.i32(t), ...op.i32Eq, ...op.select);
      return [...out, ...op.set(local)];
    });
    body.push(...op.block, ...op.loop);
    body.push(...op.get(COUNTER), ...op.i32(1), ...op.i32AtomicAdd, ...op.tee(drawn));
    body.push(...op.i32(total), ...op.i32LtU, ...op.i32Eqz, ...op.brIf(1));
    // Product drawn / panels, column block drawn mod panels.
    body.push(...op.get(drawn), ...op.i32(Math.max(panels, 1)), ...op.i32DivU, ...op.set(which));
    body.push(...productWhich, ...op.get(drawn), ...op.get(which), ...op.i32(panels), ...op.i32Mul);
    body.push(...op.i32Sub, ...op.i32(panelCols * 4), ...op.i32Mul, ...op.set(j));
    body.push(...columnBlock(panelCols), ...op.br(0), ...op.end, ...op.end);
    const last: Bytes = [];
    if (lastCols > 0) for (let t = 0; t < count; t++) last.push(...product(t), ...lastBlock);
    body.push(...op.get(drawn), ...op.i32(total), ...op.i32Eq, ...op.if, ...last, ...op.end);
  }
  return moduleBytes(
    new Array(params).fill(I32),
    [
      [i32Locals, I32],
      [v128Locals, V128],
    ],
    body,
  );
}

/**
 * out[c×r] = in[r×c]ᵀ; 4×4 blocks with shuffles where both are multiples of 4. Params: in, out. `outStride`:
 * out's row length, when these r rows are a slice of a taller input (their columns then land side by side).
 */
function transposeModule(rows: number, cols: number, outStride = rows): WasmBytes {
  const [IN, OUT] = [0, 1];
  const [i, j, p, q, count] = [2, 3, 4, 5, 6];
  const r = [7, 8, 9, 10];
  const t = [11, 12, 13, 14];
  const body: Bytes = [];
  if (rows % 4 === 0 && cols % 4 === 0) {
    // for i in rows/4, for j in cols/4: p = in + (4i·cols + 4j)·4, q = out + (4j·rows + 4i)·4
    const block: Bytes = [];
    for (let k = 0; k < 4; k++) block.push(...op.get(p), ...v.load(k * cols * 4), ...op.set(r[k]));
    const pairs: [number, number, number[], number][] = [
      [r[0], r[1], [0, 4, 1, 5], t[0]],
      [r[2], r[3], [0, 4, 1, 5], t[1]],
      [r[0], r[1], [2, 6, 3, 7], t[2]],
      [r[2], r[3], [2, 6, 3, 7], t[3]],
    ];
    for (const [x, y, lanes, out] of pairs)
      block.push(...op.get(x), ...op.get(y), ...v.shuffle(lanes), ...op.set(out));
    const columns: [number, number, number[]][] = [
      [t[0], t[1], [0, 1, 4, 5]],
      [t[0], t[1], [2, 3, 6, 7]],
      [t[2], t[3], [0, 1, 4, 5]],
      [t[2], t[3], [2, 3, 6, 7]],
    ];
    columns.forEach(([x, y, lanes], k) => {
      block.push(
        ...op.get(q),
        ...op.get(x),
        ...op.get(y),
        ...v.shuffle(lanes),
        ...v.store(k * outStride * 4),
      );
    });
    block.push(...op.get(p), ...op.i32(16), ...op.i32Add, ...op.set(p));
    block.push(...op.get(q), ...op.i32(16 * outStride), ...op.i32Add, ...op.set(q));
    const rowBlock: Bytes = [
      ...op.get(IN),
      ...op.get(i),
      ...op.i32(16 * cols),
      ...op.i32Mul,
      ...op.i32Add,
      ...op.set(p),
      ...op.get(OUT),
      ...op.get(i),
      ...op.i32(16),
      ...op.i32Mul,
      ...op.i32Add,
      ...op.set(q),
      ...repeat(cols / 4, j, block),
      ...op.get(i),
      ...op.i32(1),
      ...op.i32Add,
      ...op.set(i),
    ];
    body.push(...op.i32(0), ...op.set(i), ...repeat(rows / 4, count, rowBlock));
  } else {
    // Scalar: for each row, out[col·rows + row] = in[row·cols + col].
    const element: Bytes = [
      ...op.get(q),
      ...op.get(p),
      ...op.f32Load(0),
      ...op.f32Store(0),
      ...op.get(p),
      ...op.i32(4),
      ...op.i32Add,
      ...op.set(p),
      ...op.get(q),
      ...op.i32(outStride * 4),
      ...op.i32Add,
      ...op.set(q),
    ];
    const row: Bytes = [
      ...op.get(IN),
      ...op.get(i),
      ...op.i32(cols * 4),
      ...op.i32Mul,
      ...op.i32Add,
      ...op.set(p),
      ...op.get(OUT),
      ...op.get(i),
      ...op.i32(4),
      ...op.i32Mul,
      ...op.i32Add,
      ...op.set(q),
      ...repeat(cols, j, element),
      ...op.get(i),
      ...op.i32(1),
      ...op.i32Add,
      ...op.set(i),
    ];
    body.push(...op.i32(0), ...op.set(i), ...repeat(rows, count, row));
  }
  return moduleBytes(
    [I32, I32],
    [
      [5, I32],
      [8, V128],
    ],
    body,
  );
}

/** out[j] = Σᵢ x[i][j] for an r×c matrix, c a multiple of 4. Params: x, out. */
function columnSumModule(rows: number, cols: number): WasmBytes {
  const [X, OUT] = [0, 1];
  const [j, p, count] = [2, 3, 4];
  const acc = [5, 6, 7, 8];
  const body: Bytes = [];
  const pass = (vecs: number, j0: number, jCount: number) => {
    if (jCount <= 0) return;
    const block: Bytes = [];
    for (let q = 0; q < vecs; q++) block.push(...v.zero, ...op.set(acc[q]));
    block.push(...op.get(X), ...op.get(j), ...op.i32Add, ...op.set(p));
    const step: Bytes = [];
    for (let q = 0; q < vecs; q++) {
      step.push(...op.get(acc[q]), ...op.get(p), ...v.load(q * 16), ...v.add, ...op.set(acc[q]));
    }
    step.push(...op.get(p), ...op.i32(cols * 4), ...op.i32Add, ...op.set(p));
    block.push(...repeat(rows, count, step));
    for (let q = 0; q < vecs; q++) {
      block.push(...op.get(OUT), ...op.get(j), ...op.i32Add, ...op.get(acc[q]), ...v.store(q * 16));
    }
    block.push(
      ...op.get(j),
      ...op.i32(16 * vecs),
      ...op.i32Add,
      ...op.tee(j),
      ...op.i32((j0 + jCount * 4 * vecs) * 4),
      ...op.i32LtU,
      ...op.brIf(0),
    );
    body.push(...op.i32(j0 * 4), ...op.set(j), ...op.loop, ...block, ...op.end);
  };
  const main = Math.floor(cols / 16) * 16;
  pass(4, 0, main / 16);
  pass(1, main, Math.floor((cols - main) / 4));
  // The last cols mod 4 columns, one scalar sum each.
  const sum = 9;
  for (let col = Math.floor(cols / 4) * 4; col < cols; col++) {
    const step: Bytes = [...op.get(sum), ...op.get(p), ...op.f32Load(col * 4), ...op.f32Add, ...op.set(sum)];
    step.push(...op.get(p), ...op.i32(cols * 4), ...op.i32Add, ...op.set(p));
    body.push(...op.f32Const0, ...op.set(sum), ...op.get(X), ...op.set(p), ...repeat(rows, count, step));
    body.push(...op.get(OUT), ...op.get(sum), ...op.f32Store(col * 4));
  }
  return moduleBytes(
    [I32, I32],
    [
      [3, I32],
      [4, V128],
      [1, F32],
    ],
    body,
  );
}

/**
 * C = A·b (+ bias) (ReLU) (⊙ mask > 0) for a single column b (n = 1, A not transposed): one dot product per
 * row, over k four lanes at a time in four independent sums (the register-blocked product would do n = 1 one
 * scalar at a time). Params as gemmModule's.
 */
function rowDotModule(s: GemmShape): WasmBytes {
  const [A, B, C, BIAS, MASK] = [0, 1, 2, 3, 4];
  const [i, kk, pa, pb, rowsLeft] = [6, 7, 8, 9, 10];
  const acc = [11, 12, 13, 14];
  const sum = 15;
  const row: Bytes = [];
  for (const x of acc) row.push(...v.zero, ...op.set(x));
  row.push(...op.get(A), ...op.get(i), ...op.i32(s.k * 4), ...op.i32Mul, ...op.i32Add, ...op.set(pa));
  row.push(...op.get(B), ...op.set(pb));
  const vectorStep = (lanes: number[]): Bytes => {
    const out: Bytes = [];
    lanes.forEach((x, q) => {
      out.push(...op.get(pa), ...v.load(q * 16), ...op.get(pb), ...v.load(q * 16));
      out.push(...v.mul, ...op.get(x), ...v.add, ...op.set(x));
    });
    const bytes = lanes.length * 16;
    out.push(...op.get(pa), ...op.i32(bytes), ...op.i32Add, ...op.set(pa));
    out.push(...op.get(pb), ...op.i32(bytes), ...op.i32Add, ...op.set(pb));
    return out;
  };
  row.push(...repeat(Math.floor(s.k / 16), kk, vectorStep(acc)));
  row.push(...repeat(Math.floor((s.k % 16) / 4), kk, vectorStep([acc[0]])));
  // (acc0 + acc1) + (acc2 + acc3), then its four lanes in order, then the last k mod 4 products.
  row.push(...op.get(acc[0]), ...op.get(acc[1]), ...v.add, ...op.get(acc[2]), ...op.get(acc[3]), ...v.add);
  row.push(...v.add, ...op.set(acc[0]));
  row.push(...op.get(acc[0]), ...v.extractLane(0));
  for (let lane = 1; lane < 4; lane++) row.push(...op.get(acc[0]), ...v.extractLane(lane), ...op.f32Add);
  row.push(...op.set(sum));
  for (let r = 0; r < s.k % 4; r++) {
    row.push(...op.get(sum), ...op.get(pa), ...op.f32Load(r * 4), ...op.get(pb), ...op.f32Load(r * 4));
    row.push(...op.f32Mul, ...op.f32Add, ...op.set(sum));
  }
  if (s.bias) row.push(...op.get(sum), ...op.get(BIAS), ...op.f32Load(0), ...op.f32Add, ...op.set(sum));
  if (s.relu) row.push(...op.get(sum), ...op.f32Const0, ...op.f32Max, ...op.set(sum));
  const at = (base: number): Bytes => [
    ...op.get(base),
    ...op.get(i),
    ...op.i32(4),
    ...op.i32Mul,
    ...op.i32Add,
  ];
  if (s.mask) {
    row.push(...op.get(sum), ...op.f32Const0, ...at(MASK), ...op.f32Load(0), ...op.f32Const0, ...op.f32Gt);
    row.push(...op.select, ...op.set(sum));
  }
  row.push(...at(C), ...op.get(sum), ...op.f32Store(0));
  row.push(...op.get(i), ...op.i32(1), ...op.i32Add, ...op.set(i));
  const body: Bytes = [...op.i32(0), ...op.set(i), ...repeat(s.m, rowsLeft, row)];
  return moduleBytes(
    [I32, I32, I32, I32, I32, I32],
    [
      [5, I32],
      [4, V128],
      [1, F32],
    ],
    body,
  );
}

/** out[r×(ca+cb)] = [a | b] for a r×ca and b r×cb (tfjs-wasm's Concat takes ~0.1 ms for 256 rows). */
function concatColumnsModule(rows: number, ca: number, cb: number): WasmBytes {
  const [A, B, OUT] = [0, 1, 2];
  const [pa, pb, pOut, rowsLeft, left] = [3, 4, 5, 6, 7];
  /** Copies `count` floats from `from` to pOut, advancing both. */
  const copy = (from: number, count: number): Bytes =>
    repeat(count, left, [
      ...op.get(pOut),
      ...op.get(from),
      ...op.f32Load(0),
      ...op.f32Store(0),
      ...op.get(from),
      ...op.i32(4),
      ...op.i32Add,
      ...op.set(from),
      ...op.get(pOut),
      ...op.i32(4),
      ...op.i32Add,
      ...op.set(pOut),
    ]);
  const body: Bytes = [
    ...op.get(A),
    ...op.set(pa),
    ...op.get(B),
    ...op.set(pb),
    ...op.get(OUT),
    ...op.set(pOut),
  ];
  body.push(...repeat(rows, rowsLeft, [...copy(pa, ca), ...copy(pb, cb)]));
  return moduleBytes([I32, I32, I32], [[5, I32]], body);
}

/** The float operations of an element-wise kernel, four lanes at a time or one. */
interface Lanes {
  bytes: number;
  load: (offset: number) => Bytes;
  store: (offset: number) => Bytes;
  add: Bytes;
  sub: Bytes;
  mul: Bytes;
  div: Bytes;
  sqrt: Bytes;
}
const VECTOR: Lanes = {
  bytes: 16,
  load: v.load,
  store: v.store,
  add: v.add,
  sub: v.sub,
  mul: v.mul,
  div: v.div,
  sqrt: v.sqrt,
};
const SCALAR: Lanes = {
  bytes: 4,
  load: op.f32Load,
  store: op.f32Store,
  add: op.f32Add,
  sub: op.f32Sub,
  mul: op.f32Mul,
  div: op.f32Div,
  sqrt: op.f32Sqrt,
};

/**
 * The loops of an element-wise kernel over the `length` floats (i32 param LEN): `step(VECTOR)` four floats at
 * a time, then `step(SCALAR)` for the last length mod 4. `off` (the byte offset) and `end` are i32 locals.
 */
function overFloats(LEN: number, off: number, end: number, step: (lanes: Lanes) => Bytes): Bytes {
  const loop = (lanes: Lanes): Bytes => [
    ...op.block,
    ...op.get(off),
    ...op.get(end),
    0x4f /* i32.ge_u */,
    ...op.brIf(0),
    ...op.loop,
    ...step(lanes),
    ...op.get(off),
    ...op.i32(lanes.bytes),
    ...op.i32Add,
    ...op.tee(off),
    ...op.get(end),
    ...op.i32LtU,
    ...op.brIf(0),
    ...op.end,
    ...op.end,
  ];
  return [
    // Vector part: off from 0 to (length & ~3)·4; then the scalar tail up to length·4.
    ...op.i32(0),
    ...op.set(off),
    ...op.get(LEN),
    ...op.i32(-4),
    0x71 /* i32.and */,
    ...op.i32(4),
    ...op.i32Mul,
    ...op.set(end),
    ...loop(VECTOR),
    ...op.get(LEN),
    ...op.i32(4),
    ...op.i32Mul,
    ...op.set(end),
    ...loop(SCALAR),
  ];
}

/**
 * One Adam step over `length` floats, exactly tfjs's sequence of float32 operations in src/rl/adam.ts:
 * m′ = m·β1 + g·(1−β1); v′ = v·β2 + g²·(1−β2); θ′ = θ − (m′ / (√v′ / c2 + ε))·stepSize.
 * Params: p, g, m, v, pOut, mOut, vOut, length (i32); β1, 1−β1, β2, 1−β2, c2, ε, stepSize (f32).
 */
function adamModule(): WasmBytes {
  const [P, G, M, V, PO, MO, VO, LEN] = [0, 1, 2, 3, 4, 5, 6, 7];
  const scalars = [8, 9, 10, 11, 12, 13, 14]; // β1, 1−β1, β2, 1−β2, c2, ε, stepSize
  const [off, end] = [15, 16];
  const splatted = [17, 18, 19, 20, 21, 22, 23];
  const vectorTemps = [24, 25, 26]; // g, m′, v′
  const scalarTemps = [27, 28, 29];
  const at = (base: number): Bytes => [...op.get(base), ...op.get(off), ...op.i32Add];
  const step = (l: Lanes): Bytes => {
    const [B1, NB1, B2, NB2, C2, EPS, STEP] = l === VECTOR ? splatted : scalars;
    const [g, m, vv] = l === VECTOR ? vectorTemps : scalarTemps;
    return [
      ...at(G),
      ...l.load(0),
      ...op.set(g),
      // m′
      ...at(M),
      ...l.load(0),
      ...op.get(B1),
      ...l.mul,
      ...op.get(g),
      ...op.get(NB1),
      ...l.mul,
      ...l.add,
      ...op.set(m),
      ...at(MO),
      ...op.get(m),
      ...l.store(0),
      // v′
      ...at(V),
      ...l.load(0),
      ...op.get(B2),
      ...l.mul,
      ...op.get(g),
      ...op.get(g),
      ...l.mul,
      ...op.get(NB2),
      ...l.mul,
      ...l.add,
      ...op.set(vv),
      ...at(VO),
      ...op.get(vv),
      ...l.store(0),
      // θ′
      ...at(PO),
      ...at(P),
      ...l.load(0),
      ...op.get(m),
      ...op.get(vv),
      ...l.sqrt,
      ...op.get(C2),
      ...l.div,
      ...op.get(EPS),
      ...l.add,
      ...l.div,
      ...op.get(STEP),
      ...l.mul,
      ...l.sub,
      ...l.store(0),
    ];
  };
  const body: Bytes = [];
  scalars.forEach((param, k) => {
    body.push(...op.get(param), ...v.splat, ...op.set(splatted[k]));
  });
  body.push(...overFloats(LEN, off, end, step));
  return moduleBytes(
    [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32],
    [
      [2, I32],
      [10, V128],
      [3, F32],
    ],
    body,
  );
}

/** out = s·τ + t·(1−τ) over `length` floats (tfjs's order in Mlp.polyakFrom). Params: s, t, out, length, τ, 1−τ. */
function polyakModule(): WasmBytes {
  const [S, T, OUT, LEN, TAU, REST] = [0, 1, 2, 3, 4, 5];
  const [off, end, vTau, vRest] = [6, 7, 8, 9];
  const at = (base: number): Bytes => [...op.get(base), ...op.get(off), ...op.i32Add];
  const step = (l: Lanes): Bytes => {
    const [tau, rest] = l === VECTOR ? [vTau, vRest] : [TAU, REST];
    return [
      ...at(OUT),
      ...at(S),
      ...l.load(0),
      ...op.get(tau),
      ...l.mul,
      ...at(T),
      ...l.load(0),
      ...op.get(rest),
      ...l.mul,
      ...l.add,
      ...l.store(0),
    ];
  };
  const body: Bytes = [
    ...op.get(TAU),
    ...v.splat,
    ...op.set(vTau),
    ...op.get(REST),
    ...v.splat,
    ...op.set(vRest),
  ];
  body.push(...overFloats(LEN, off, end, step));
  return moduleBytes(
    [I32, I32, I32, I32, F32, F32],
    [
      [2, I32],
      [2, V128],
    ],
    body,
  );
}

// ---------------------------------------------------------------------------------------------------------
// The tfjs side: kernels of the wasm backend working in its memory.

/** What these kernels need of tfjs-wasm's BackendWasm (internal API, checked at first use). */
interface WasmBackendLike {
  wasm: { asm?: { memory?: WebAssembly.Memory }; _malloc(bytes: number): number; _free(ptr: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number; refCount?: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

type Kernel = (...args: number[]) => void;

/** Compiled kernels per memory (a new backend instance has a new memory) and per specialisation. */
const compiled = new WeakMap<WebAssembly.Memory, Map<string, Kernel>>();
let compiledCount = 0;
/** How many kernel modules have been compiled so far (each shape once). */
export function kernelsCompiled(): number {
  return compiledCount;
}

function kernel(memory: WebAssembly.Memory, key: string, build: () => WasmBytes): Kernel {
  return cachedIn(
    cachedIn(compiled, memory, () => new Map()),
    key,
    () => {
      compiledCount++;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytesFor(memory, build)), {
        env: { memory },
      });
      return instance.exports.run as Kernel;
    },
  );
}

const isShared = (memory: WebAssembly.Memory) =>
  typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

/** A module's bytes, built to import `memory` as it is (shared or not). */
function bytesFor(memory: WebAssembly.Memory, build: () => WasmBytes): WasmBytes {
  importShared = isShared(memory);
  return build();
}

// ---------------------------------------------------------------------------------------------------------
// Helper threads (src/compute/wasmThreads.ts): products' column panels drawn by every core, transposes and Adam
// steps split among them, when tfjs's memory is shared.

const pools = new WeakMap<WebAssembly.Memory, KernelThreads>();

function threadsFor(memory: WebAssembly.Memory): KernelThreads | null {
  const pool = pools.get(memory);
  return pool && pool.helpers > 0 ? pool : null;
}

/** The helpers for smaller jobs (transposes, Adam steps): none while the last large product ran faster alone. */
function helpersFor(pool: KernelThreads | null): KernelThreads | null {
  return pool && (sharing === 'always' || !aloneLately.has(pool)) ? pool : null;
}

const CACHE_LINE = 64;
/**
 * Work below which a kernel stays on this thread: multiply-adds of each product, elements of a transpose. A
 * helper's round trip costs a few µs (50–100 µs if it has to be woken); at the `quick` preset's sizes (64-64,
 * batch 128) splitting measured no faster, at the authors' (256-256, batch 256) about 1.5× faster.
 */
const MIN_SPLIT_PRODUCT = 1 << 20;
const MIN_SPLIT_TRANSPOSE = 1 << 14;
/** Parameters smaller than this take their Adam step on this thread. */
const MIN_PARALLEL_ADAM = 1 << 14;
const alignUp = (address: number, to: number) => Math.ceil(address / to) * to;

/** Transposes of fewer rows than this stay on one thread (a helper's round trip costs a few µs). */
const MIN_ROWS_PER_PART = 32;

/** `rows` cut into one part per thread, each a whole number of `unit`s; one part if not worth splitting. */
function rowParts(rows: number, unit: number, pool: KernelThreads | null): number[] {
  const count = pool ? Math.min(pool.helpers + 1, Math.floor(rows / MIN_ROWS_PER_PART)) : 1;
  if (count < 2) return [rows];
  const units = Math.floor(rows / unit);
  const parts: number[] = [];
  for (let p = 0; p < count; p++) {
    const from = Math.round((units * p) / count) * unit;
    const to = p === count - 1 ? rows : Math.round((units * (p + 1)) / count) * unit;
    parts.push(to - from);
  }
  return parts;
}

/** One kernel call: which kernel (built by `build` the first time) and its arguments. */
interface Job {
  key: string;
  build: () => WasmBytes;
  args: number[];
  /**
   * Set for a product whose threads share its column panels through the int32 counter at this address (all
   * run the same call): one taken back needs no running, and if one fails the product is redone whole.
   */
  counter?: number;
}

/**
 * Runs `elsewhere[h]` on helper h while this thread runs `here`, one after another. A job that a helper has not
 * begun when this thread is done is taken back and run here (a sleeping or descheduled helper delays
 * nothing), as is one a helper could not take or failed. With `elsewhere` empty, or no helpers, everything
 * runs here.
 */
function runJobs(
  memory: WebAssembly.Memory,
  pool: KernelThreads | null,
  here: Job[],
  elsewhere: Job[] = [],
): void {
  // (No named closures here: under tsx every one created costs a defineProperty, per call.)
  // Posted jobs are a prefix: once one cannot be posted, the helpers are given up and none after it is.
  let posted = 0;
  while (pool && posted < elsewhere.length && posted < pool.helpers) {
    const job = elsewhere[posted];
    if (!pool.tryPost(posted, job.key, () => bytesFor(memory, job.build), job.args)) break;
    posted++;
  }
  for (const job of here) runHere(memory, job);
  let redo: Job | undefined;
  for (let h = 0; h < posted; h++) {
    const job = elsewhere[h];
    if (pool?.takeBack(h)) {
      if (job.counter === undefined) runHere(memory, job);
    } else if (!pool?.tryWait(h)) {
      if (job.counter === undefined) runHere(memory, job);
      else redo = job;
    }
  }
  for (let h = posted; h < elsewhere.length; h++)
    if (elsewhere[h].counter === undefined) runHere(memory, elsewhere[h]);
  if (redo?.counter !== undefined) {
    // A helper failed part way through its panels: every panel again, here, once the others are done.
    new Int32Array(memory.buffer, redo.counter, 1)[0] = 0;
    runHere(memory, redo);
  }
}

function runHere(memory: WebAssembly.Memory, job: Job): void {
  kernel(memory, job.key, job.build)(...job.args);
}

/**
 * Starts `helpers` helper threads for the active wasm backend's kernels, if its memory is shared (see
 * `sharedMemoryBinary` in src/compute/wasmSharedMemory.ts); returns how many threads now run each product (1 when
 * it could not). Stops helpers started before for this memory.
 */
export async function enableKernelThreads(helpers: number, spawn: HelperSpawner): Promise<number> {
  const active = activeWasm();
  if (!active || helpers < 1 || !isShared(active.memory)) return 1;
  const { backend, memory } = active;
  pools.get(memory)?.stop();
  pools.delete(memory);
  const heap = {
    memory,
    malloc: (bytes: number) => backend.wasm._malloc(bytes),
    free: (pointer: number) => backend.wasm._free(pointer),
  };
  pools.set(memory, await KernelThreads.start(heap, helpers, spawn));
  return helpers + 1;
}

/** Threads that run each product on the active wasm backend (1: this one alone). */
export function kernelThreadCount(): number {
  const active = activeWasm();
  return active ? (threadsFor(active.memory)?.helpers ?? 0) + 1 : 1;
}

/** Stops the active wasm backend's helper threads. */
export function disableKernelThreads(): void {
  const active = activeWasm();
  if (active) pools.get(active.memory)?.stop();
}

/** The active backend and its memory, when it is wasm. */
function activeWasm(): { backend: WasmBackendLike; memory: WebAssembly.Memory } | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const memory = backend.wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? { backend, memory } : null;
}

function memoryOf(backend: WasmBackendLike): WebAssembly.Memory {
  const memory = backend.wasm.asm?.memory;
  if (!memory) throw new Error('tfjs-wasm memory not found');
  return memory;
}

const address = (backend: WasmBackendLike, t: tf.TensorInfo | undefined): number => {
  if (!t) return 0;
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('tensor not on the wasm backend');
  return data.memoryOffset;
};

const gemmKey = (s: GemmShape) =>
  `gemm ${s.m} ${s.n} ${s.k} ${+s.transA}${+s.bias}${+s.relu}${+s.mask}${+s.transC}${+hasRelaxedSimd()}`;

const KERNELS = {
  gemm: 'TD3Gemm',
  concatColumns: 'TD3ConcatColumns',
  columnSum: 'TD3ColumnSum',
  adam: 'TD3Adam',
  polyak: 'TD3Polyak',
} as const;

/**
 * The module builder of kernel `key`, `make` the first time: one per shape, kept, so that jobs of a key share
 * it and `kernel`/`tryPost` are handed the same function each call.
 */
const builds = new Map<string, () => WasmBytes>();
function builderFor(key: string, make: () => WasmBytes): () => WasmBytes {
  return cachedIn(builds, key, () => make);
}

/**
 * A transposed copy of the rows×cols matrix at `from` (freed with `scratch`), its rows shared out among the
 * threads (each writes its own columns of it).
 */
function transposedCopy(
  b: WasmBackendLike,
  memory: WebAssembly.Memory,
  pool: KernelThreads | null,
  scratch: number[],
  from: number,
  rows: number,
  cols: number,
): number {
  const to = b.wasm._malloc(rows * cols * 4);
  scratch.push(to);
  let row = 0;
  const unit = rows % 4 === 0 && cols % 4 === 0 ? 4 : 1;
  const jobs: Job[] = [];
  for (const part of rowParts(rows, unit, rows * cols >= MIN_SPLIT_TRANSPOSE ? pool : null)) {
    const key = `transpose ${part} ${cols} ${rows}`;
    const build = builderFor(key, () => transposeModule(part, cols, rows));
    jobs.push({ key, build, args: [from + row * cols * 4, to + row * 4] });
    row += part;
  }
  runJobs(memory, pool, jobs.slice(0, 1), jobs.slice(1));
  return to;
}

/** The TD3Gemm kernel: `count` products of one shape (attrs), inputs a0, b0, bias0, mask0, a1, … */
function gemmKernel(
  b: WasmBackendLike,
  inputs: tf.NamedTensorInfoMap,
  attrs?: tf.NamedAttrMap,
): tf.TensorInfo[] {
  const { count, ...shape } = attrs as unknown as ProductShape & { count: number };
  const outShape = shape.transC ? [shape.n, shape.m] : [shape.m, shape.n];
  const outputs: tf.TensorInfo[] = [];
  const operands: number[] = [];
  for (let t = 0; t < count; t++) {
    const out = b.makeOutput(outShape, 'float32');
    outputs.push(out);
    operands.push(
      address(b, inputs[GEMM_INPUT_NAMES.a[t]]),
      address(b, inputs[GEMM_INPUT_NAMES.b[t]]),
      address(b, out),
      address(b, inputs[GEMM_INPUT_NAMES.bias[t]]),
      address(b, inputs[GEMM_INPUT_NAMES.mask[t]]),
    );
  }
  runProducts(b, shape, count, operands);
  return outputs;
}

/** A product's shape as the kernels are asked for it: B may be stored n×k (transposed first). */
type ProductShape = GemmShape & { transB: boolean };

/** What runProducts works out once per shape and count: the product run after transposes, and its kernels. */
interface ProductPlan {
  /** A stored k×m with many columns: its column-strided reads thrash L1 (≈22 vs ≈27 GFLOP/s measured in the
   * update); a transpose (≈0.05 ms for 256×256) and the plain product are faster. B stored n×k is always
   * transposed first. */
  transposeA: boolean;
  transB: boolean;
  product: GemmShape;
  alone: { key: string; build: () => WasmBytes };
  shared: { key: string; build: () => WasmBytes };
  /** Large enough to share with the helpers; the chooser's key. */
  large: boolean;
  chooserKey: string;
}

/** Plans by shape (canonical: `shapeOf`) and count, made on first use. */
const plans = new Map<ProductShape, Map<number, ProductPlan>>();
function planOf(shape: ProductShape, count: number): ProductPlan {
  return cachedIn(
    cachedIn(plans, shape, () => new Map()),
    count,
    () => makePlan(shape, count),
  );
}

function makePlan(shape: ProductShape, count: number): ProductPlan {
  const transposeA = shape.transA && shape.m >= 64;
  const { transB, ...rest } = shape;
  const product: GemmShape = transposeA ? { ...rest, transA: false } : rest;
  const key = gemmKey(product);
  const sharedKey = `${key} shared ${count}`;
  return {
    transposeA,
    transB,
    product,
    alone: { key, build: builderFor(key, () => gemmModule(product)) },
    shared: {
      key: sharedKey,
      build: builderFor(sharedKey, () => gemmModule(product, { shared: true, count })),
    },
    large: product.m * product.n * product.k >= MIN_SPLIT_PRODUCT,
    chooserKey: `${key} ${count}`,
  };
}

/**
 * `count` products of one shape; `operands` holds each one's a, b, c, bias and mask addresses (0 when unused),
 * in tfjs-wasm's memory.
 */
function runProducts(b: WasmBackendLike, shape: ProductShape, count: number, operands: number[]): void {
  const memory = memoryOf(b);
  const scratch: number[] = [];
  const pool = threadsFor(memory);
  const plan = planOf(shapeOf(shape), count);
  const { transposeA, transB, product } = plan;
  if (transposeA || transB) {
    operands = [...operands];
    const helpers = helpersFor(pool);
    for (let t = 0; t < count; t++) {
      if (transposeA)
        operands[5 * t] = transposedCopy(b, memory, helpers, scratch, operands[5 * t], shape.k, shape.m);
      if (transB)
        operands[5 * t + 1] = transposedCopy(
          b,
          memory,
          helpers,
          scratch,
          operands[5 * t + 1],
          shape.n,
          shape.k,
        );
    }
  }
  // Large products are shared out by column panels among this thread and the helper threads, if any, unless
  // doing them alone has been measured faster lately (src/compute/shareChooser.ts).
  const work = count * product.m * product.n * product.k;
  const chooser = pool && plan.large ? chooserOf(pool, plan.chooserKey) : null;
  const share = chooser !== null && (sharing === 'always' || chooser.next());
  const threads = share && pool ? pool.helpers + 1 : 1;
  const started = chooser ? performance.now() : 0;
  // The panel counter, and each thread's panel, on cache lines of their own (a line written by two threads
  // would bounce between the cores).
  const panelBytes = alignUp(product.k * PANEL_BYTES_PER_K, CACHE_LINE);
  const block = b.wasm._malloc(CACHE_LINE * 2 + threads * panelBytes);
  scratch.push(block);
  const counter = alignUp(block, CACHE_LINE);
  const firstPanel = counter + CACHE_LINE;
  const jobs: Job[] = [];
  if (!share) {
    // One product at a time (a product with one column has a module of its own: gemmModule).
    const { key, build } = plan.alone;
    for (let t = 0; t < count; t++)
      jobs.push({ key, build, args: [...operands.slice(5 * t, 5 * t + 5), firstPanel] });
    runJobs(memory, null, jobs);
  } else {
    new Int32Array(memory.buffer, counter, 1)[0] = 0;
    const { key, build } = plan.shared;
    for (let t = 0; t < threads; t++)
      jobs.push({ key, build, args: [...operands, firstPanel + t * panelBytes, counter], counter });
    runJobs(memory, pool, jobs.slice(0, 1), jobs.slice(1));
  }
  if (chooser && pool) {
    chooser.record(share, performance.now() - started, work);
    if (chooser.sharingPreferred()) aloneLately.delete(pool);
    else aloneLately.add(pool);
  }
  for (const pointer of scratch) b.wasm._free(pointer);
}

/** 'measured' (the default): each large product shared or not as src/compute/shareChooser.ts finds faster. */
let sharing: 'measured' | 'always' = 'measured';
/** Share every large product with the helpers (tests that must exercise them), or go back to measuring. */
export function setProductSharing(mode: 'measured' | 'always'): void {
  sharing = mode;
}

/** One chooser per product shape (costs per multiply-add differ between shapes), per set of helpers. */
const choosers = new WeakMap<KernelThreads, Map<string, ShareChooser>>();
/** Helpers whose last large product was measured faster alone. */
const aloneLately = new WeakSet<KernelThreads>();
function chooserOf(pool: KernelThreads, key: string): ShareChooser {
  return cachedIn(
    cachedIn(choosers, pool, () => new Map()),
    key,
    () => new ShareChooser(),
  );
}

/** One parameter's Adam step, by address: θ, g, m, v (a class: one shape for the engine). */
export class AdamStepAddresses {
  constructor(
    readonly param: number,
    readonly grad: number,
    readonly m: number,
    readonly v: number,
    readonly length: number,
    readonly stepSize: number,
    readonly sqrtCorrection2: number,
  ) {}
}

/**
 * Adam steps of several parameters, θ′, m′, v′ written at `outs` (three addresses per step), or over θ, m, v when
 * `outs` is null; the largest go to the helper threads (one each), the rest stay here.
 */
function runAdam(
  memory: WebAssembly.Memory,
  steps: AdamStepAddresses[],
  outs: number[] | null,
  beta1: number,
  beta2: number,
  epsilon: number,
): void {
  const jobs: (Job & { length: number })[] = steps.map((p, k) => ({
    key: 'adam',
    build: adamModule,
    args: [
      p.param,
      p.grad,
      p.m,
      p.v,
      ...(outs ? outs.slice(3 * k, 3 * k + 3) : [p.param, p.m, p.v]),
      p.length,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      p.sqrtCorrection2,
      epsilon,
      p.stepSize,
    ],
    length: p.length,
  }));
  const pool = helpersFor(threadsFor(memory));
  const largest = pool ? [...jobs].sort((x, y) => y.length - x.length).slice(0, pool.helpers) : [];
  const elsewhere = largest.filter((job) => job.length >= MIN_PARALLEL_ADAM);
  runJobs(
    memory,
    pool,
    jobs.filter((job) => !elsewhere.includes(job)),
    elsewhere,
  );
}

/** out = s·τ + t·(1−τ) over a tensor of `shape` (out may be t: in place). */
function runPolyak(
  memory: WebAssembly.Memory,
  s: number,
  t: number,
  out: number,
  shape: number[],
  tau: number,
): void {
  kernel(memory, 'polyak', polyakModule)(
    s,
    t,
    out,
    shape.reduce((x, y) => x * y, 1),
    tau,
    1 - tau,
  );
}

function runColumnSum(memory: WebAssembly.Memory, x: number, rows: number, cols: number, out: number): void {
  kernel(memory, `colsum ${rows} ${cols}`, () => columnSumModule(rows, cols))(x, out);
}

function registerKernels(): void {
  tf.registerKernel({
    kernelName: KERNELS.gemm,
    backendName: 'wasm',
    // Inputs a0, b0, bias0, mask0, a1, …: `count` products of one shape (attrs), one output each.
    kernelFunc: ({ inputs, backend, attrs }) => gemmKernel(backend as WasmBackendLike, inputs, attrs),
  });
  tf.registerKernel({
    kernelName: KERNELS.concatColumns,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as WasmBackendLike;
      const [rows, ca] = (inputs.a as tf.TensorInfo).shape;
      const cb = (inputs.b as tf.TensorInfo).shape[1];
      const out = b.makeOutput([rows, ca + cb], 'float32');
      kernel(memoryOf(b), `concat ${rows} ${ca} ${cb}`, () => concatColumnsModule(rows, ca, cb))(
        address(b, inputs.a),
        address(b, inputs.b),
        address(b, out),
      );
      return out;
    },
  });
  tf.registerKernel({
    kernelName: KERNELS.columnSum,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as WasmBackendLike;
      const x = inputs.x as tf.TensorInfo;
      const [rows, cols] = x.shape;
      const out = b.makeOutput([cols], 'float32');
      runColumnSum(memoryOf(b), address(b, x), rows, cols, address(b, out));
      return out;
    },
  });
  tf.registerKernel({
    kernelName: KERNELS.adam,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as WasmBackendLike;
      const { count, beta1, beta2, epsilon, stepSizes, corrections } = attrs as unknown as {
        count: number;
        beta1: number;
        beta2: number;
        epsilon: number;
        stepSizes: number[];
        corrections: number[];
      };
      const outputs: tf.TensorInfo[] = [];
      const steps: AdamStepAddresses[] = [];
      for (let k = 0; k < count; k++) {
        const p = inputs[`p${k}`] as tf.TensorInfo;
        steps.push(
          new AdamStepAddresses(
            address(b, p),
            address(b, inputs[`g${k}`]),
            address(b, inputs[`m${k}`]),
            address(b, inputs[`v${k}`]),
            p.shape.reduce((x, y) => x * y, 1),
            stepSizes[k],
            corrections[k],
          ),
        );
        outputs.push(...[0, 1, 2].map(() => b.makeOutput(p.shape, 'float32')));
      }
      runAdam(
        memoryOf(b),
        steps,
        outputs.map((out) => address(b, out)),
        beta1,
        beta2,
        epsilon,
      );
      return outputs;
    },
  });
  tf.registerKernel({
    kernelName: KERNELS.polyak,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as WasmBackendLike;
      const { count, tau } = attrs as unknown as { count: number; tau: number };
      const outputs: tf.TensorInfo[] = [];
      for (let k = 0; k < count; k++) {
        const s = inputs[`s${k}`] as tf.TensorInfo;
        const out = b.makeOutput(s.shape, 'float32');
        runPolyak(memoryOf(b), address(b, s), address(b, inputs[`t${k}`]), address(b, out), s.shape, tau);
        outputs.push(out);
      }
      return outputs;
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Entry points.

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap);

/** Input names of the gemm kernel's products: a0, b0, bias0, mask0, a1, … (built once). */
const GEMM_INPUT_NAMES: Record<string, string[]> = {};
for (const operand of ['a', 'b', 'bias', 'mask'])
  GEMM_INPUT_NAMES[operand] = Array.from({ length: 8 }, (_, t) => `${operand}${t}`);

/** The gemm kernel's inputs: operand lists (one entry per product) under their names. */
function gemmInputs(
  a: tf.Tensor[],
  b: tf.Tensor[],
  bias?: tf.Tensor[],
  mask?: tf.Tensor[],
): Record<string, tf.Tensor> {
  const inputs: Record<string, tf.Tensor> = {};
  for (let t = 0; t < a.length; t++) {
    inputs[GEMM_INPUT_NAMES.a[t]] = a[t];
    inputs[GEMM_INPUT_NAMES.b[t]] = b[t];
    if (bias) inputs[GEMM_INPUT_NAMES.bias[t]] = bias[t];
    if (mask) inputs[GEMM_INPUT_NAMES.mask[t]] = mask[t];
  }
  return inputs;
}

const sameShape = (x: tf.Tensor, y: tf.Tensor) =>
  x.shape.length === y.shape.length && x.shape.every((size, d) => size === y.shape[d]);

/** Products of one shape, at most 8: an error naming the first operand that differs. */
function sameShapes(what: string, ...lists: (tf.Tensor[] | undefined)[]): void {
  const count = lists[0]?.length ?? 0;
  if (count < 1 || count > GEMM_INPUT_NAMES.a.length)
    throw new Error(`${what}: 1 to ${GEMM_INPUT_NAMES.a.length} products in one call, not ${count}`);
  for (const list of lists) {
    if (!list) continue;
    if (list.length !== count) throw new Error(`${what}: operand lists of different lengths`);
    for (let t = 1; t < count; t++)
      if (!sameShape(list[t], list[0]))
        throw new Error(
          `${what}: products of one shape only (${list[0].shape.join('×')} beside ${list[t].shape.join('×')})`,
        );
  }
}

/** One object per distinct product shape, so that each shape's plan is made once (and found by identity). */
const canonical = new WeakSet<ProductShape>();
const shapes = new Map<string, ProductShape>();
function shapeOf(s: ProductShape): ProductShape {
  if (canonical.has(s)) return s;
  const key = `${s.m} ${s.n} ${s.k} ${+s.transA}${+s.transB}${+s.bias}${+s.relu}${+s.mask}${+s.transC}`;
  return cachedIn(shapes, key, () => {
    const { m, n, k, transA, transB, bias, relu, mask, transC } = s;
    const known = { m, n, k, transA, transB, bias, relu, mask, transC };
    canonical.add(known);
    return known;
  });
}

/** The shapes below by a number made of their arguments (no string per call), each made once. */
const shapesByArgs = new Map<number, ProductShape>();
function memoShape(
  kind: number,
  a: number,
  b: number,
  c: number,
  flag: boolean,
  make: () => ProductShape,
): ProductShape {
  if (a >= 16384 || b >= 16384 || c >= 16384) return shapeOf(make());
  return cachedIn(shapesByArgs, ((a * 16384 + b) * 16384 + c) * 8 + kind * 2 + +flag, () => shapeOf(make()));
}

/** x·W + b (ReLU), x m×k, W k×n: operands x, W, bias. */
const linearShape = (m: number, k: number, n: number, relu: boolean): ProductShape =>
  memoShape(0, m, k, n, relu, () => ({
    m,
    n,
    k,
    transA: false,
    transB: false,
    bias: true,
    relu,
    mask: false,
    transC: false,
  }));

/** aᵀ·b, a k×m, b k×n; `swap`: the operands go in as (b, a). */
function matMulTNShape(k: number, m: number, n: number): { shape: ProductShape; swap: boolean } {
  const swap = n === 1 || (n % 4 !== 0 && m % 4 === 0);
  return { shape: memoShape(1, k, m, n, false, () => matMulTNShapeOf(k, m, n)), swap };
}
function matMulTNShapeOf(k: number, m: number, n: number): ProductShape {
  const base = { k, transA: true, transB: false, bias: false, relu: false, mask: false };
  // aᵀ·b for one column b is bᵀ·a, one row: b (k×1) is laid out as the row bᵀ (1×k), and the 1×m result as m×1.
  if (n === 1) return { ...base, m: 1, n: m, transA: false, transC: false };
  if (n % 4 === 0) return { ...base, m, n, transC: false };
  // (aᵀ·b) = (bᵀ·a)ᵀ: the product with the roles swapped, written transposed.
  if (m % 4 === 0) return { ...base, m: n, n: m, transC: true };
  return { ...base, m, n, transC: false };
}

/** a·bᵀ (⊙ mask > 0), a m×k, b n×k. */
const matMulNTShape = (m: number, k: number, n: number, mask: boolean): ProductShape =>
  memoShape(2, m, k, n, mask, () => ({
    m,
    n,
    k,
    transA: false,
    // B (n×k) with one column is laid out as Bᵀ (k×n) already.
    transB: k !== 1,
    bias: false,
    relu: false,
    mask,
    transC: false,
  }));

const fast: FastKernels = {
  linear(x, w, b, relu) {
    return this.linearEach([x], [w], [b], relu)[0];
  },
  linearEach(xs, ws, bs, relu) {
    sameShapes('linearEach', xs, ws, bs);
    const [m, k] = xs[0].shape;
    const attrs = { ...linearShape(m, k, ws[0].shape[1], relu), count: xs.length };
    return run(KERNELS.gemm, gemmInputs(xs, ws, bs), attrs) as tf.Tensor2D[];
  },
  matMulTN(a, b) {
    return this.matMulTNEach([a], [b])[0];
  },
  matMulTNEach(as, bs) {
    sameShapes('matMulTNEach', as, bs);
    const [k, m] = as[0].shape;
    const n = bs[0].shape[1];
    const { shape, swap } = matMulTNShape(k, m, n);
    const inputs = swap ? gemmInputs(bs, as) : gemmInputs(as, bs);
    const outputs = run(KERNELS.gemm, inputs, { ...shape, count: as.length }) as tf.Tensor2D[];
    return n === 1 ? outputs.map((row) => tf.reshape(row, [m, 1])) : outputs;
  },
  matMulNT(a, b, mask) {
    return this.matMulNTEach([a], [b], mask && [mask])[0];
  },
  matMulNTEach(as, bs, masks) {
    sameShapes('matMulNTEach', as, bs, masks);
    const [m, k] = as[0].shape;
    const attrs = { ...matMulNTShape(m, k, bs[0].shape[0], !!masks), count: as.length };
    return run(KERNELS.gemm, gemmInputs(as, bs, undefined, masks), attrs) as tf.Tensor2D[];
  },
  concatColumns(a, b) {
    if (a.shape[0] !== b.shape[0]) throw new Error(`concatColumns: ${a.shape[0]} rows beside ${b.shape[0]}`);
    return run(KERNELS.concatColumns, { a, b }) as tf.Tensor2D;
  },
  columnSum(x) {
    return run(KERNELS.columnSum, { x }) as tf.Tensor1D;
  },
  adam(params, beta1, beta2, epsilon) {
    const inputs: Record<string, tf.Tensor> = {};
    params.forEach((p, k) => {
      inputs[`p${k}`] = p.param;
      inputs[`g${k}`] = p.grad;
      inputs[`m${k}`] = p.m;
      inputs[`v${k}`] = p.v;
    });
    const outputs = run(KERNELS.adam, inputs, {
      count: params.length,
      beta1,
      beta2,
      epsilon,
      stepSizes: params.map((p) => p.stepSize),
      corrections: params.map((p) => p.sqrtCorrection2),
    }) as tf.Tensor[];
    return params.map((_, k) => outputs.slice(3 * k, 3 * k + 3));
  },
  polyak(sources, targets, tau) {
    const inputs: Record<string, tf.Tensor> = {};
    sources.forEach((s, k) => {
      inputs[`s${k}`] = s;
      inputs[`t${k}`] = targets[k];
    });
    return run(KERNELS.polyak, inputs, { count: sources.length, tau }) as tf.Tensor[];
  },
};

let state: 'unknown' | 'ready' | 'unavailable' = 'unknown';

/** Whether the kernels can run on this wasm backend instance: a memory we can reach. */
function usable(): boolean {
  if (state !== 'unknown') return state === 'ready';
  state = 'unavailable';
  try {
    if (typeof WebAssembly !== 'object') return false;
    const backend = tf.backend() as unknown as WasmBackendLike;
    const memory = backend.wasm?.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory)) return false;
    if (typeof backend.dataIdMap?.get !== 'function' || typeof backend.makeOutput !== 'function')
      return false;
    registerKernels();
    state = 'ready';
  } catch {
    state = 'unavailable';
  }
  return state === 'ready';
}

/** The fast kernels when the active backend is wasm and they can run there; null otherwise. */
export function fastKernels(): FastKernels | null {
  if (tf.getBackend() !== 'wasm' || !tf.env().getBool(FLAG)) return null;
  return usable() ? fast : null;
}

// ---------------------------------------------------------------------------------------------------------
// In place: the same kernels called on addresses in tfjs-wasm's memory, with no tfjs operation around them
// (src/rl/inPlaceOps.ts runs the whole TD3 update this way: tfjs's bookkeeping costs more than a millisecond
// per update, most of what is left besides the products).

/** The kernels by address; parameters and moments are updated in place. */
export interface InPlaceKernels {
  memory: WebAssembly.Memory;
  /** Where a tensor's data lies in `memory`. */
  address(t: tf.Tensor): number;
  /** Whether no other tensor shares `t`'s data (tfjs shares it between clones): only then may it be written. */
  ownsData(t: tf.Tensor): boolean;
  /** Room for `floats` float32 values in `memory` (16-byte aligned), and its release. */
  malloc(floats: number): number;
  free(at: number): void;
  /** The products of FastKernels: operand and output addresses, one entry per product of one shape. */
  linearEach(
    xs: number[],
    ws: number[],
    bs: number[],
    outs: number[],
    m: number,
    k: number,
    n: number,
    relu: boolean,
  ): void;
  matMulTNEach(as: number[], bs: number[], outs: number[], k: number, m: number, n: number): void;
  matMulNTEach(
    as: number[],
    bs: number[],
    masks: number[] | null,
    outs: number[],
    m: number,
    k: number,
    n: number,
  ): void;
  columnSum(x: number, rows: number, cols: number, out: number): void;
  /** Adam steps written over θ, m and v. */
  adam(steps: AdamStepAddresses[], beta1: number, beta2: number, epsilon: number): void;
  /** target ← τ·source + (1 − τ)·target. */
  polyak(source: number, target: number, length: number, tau: number): void;
}

/** Each product's a, b, c, bias and mask, as runProducts takes them. */
function operandList(
  as: number[],
  bs: number[],
  outs: number[],
  biases?: number[],
  masks?: number[] | null,
): number[] {
  const operands: number[] = [];
  for (let t = 0; t < as.length; t++) operands.push(as[t], bs[t], outs[t], biases?.[t] ?? 0, masks?.[t] ?? 0);
  return operands;
}

function makeInPlace(b: WasmBackendLike): InPlaceKernels {
  const memory = memoryOf(b);
  const dataOf = (t: tf.Tensor) => {
    const data = b.dataIdMap.get(t.dataId);
    if (!data) throw new Error('tensor not on the wasm backend');
    return data;
  };
  return {
    memory,
    address: (t) => dataOf(t).memoryOffset,
    ownsData: (t) => (dataOf(t).refCount ?? 1) <= 1,
    malloc: (floats) => b.wasm._malloc(floats * 4),
    free: (at) => b.wasm._free(at),
    linearEach(xs, ws, bs, outs, m, k, n, relu) {
      runProducts(b, linearShape(m, k, n, relu), xs.length, operandList(xs, ws, outs, bs));
    },
    matMulTNEach(as, bs, outs, k, m, n) {
      const { shape, swap } = matMulTNShape(k, m, n);
      runProducts(b, shape, as.length, swap ? operandList(bs, as, outs) : operandList(as, bs, outs));
    },
    matMulNTEach(as, bs, masks, outs, m, k, n) {
      runProducts(b, matMulNTShape(m, k, n, !!masks), as.length, operandList(as, bs, outs, undefined, masks));
    },
    columnSum: (x, rows, cols, out) => runColumnSum(memory, x, rows, cols, out),
    adam: (steps, beta1, beta2, epsilon) => runAdam(memory, steps, null, beta1, beta2, epsilon),
    polyak: (source, target, length, tau) => runPolyak(memory, source, target, target, [length], tau),
  };
}

let inPlace: { backend: WasmBackendLike; kernels: InPlaceKernels } | null = null;
/** The in-place kernels when the fast kernels are available (the wasm backend, the flag on); null otherwise. */
export function inPlaceKernels(): InPlaceKernels | null {
  if (!fastKernels()) return null;
  const backend = tf.backend() as unknown as WasmBackendLike;
  if (inPlace?.backend !== backend) inPlace = { backend, kernels: makeInPlace(backend) };
  return inPlace.kernels;
}
