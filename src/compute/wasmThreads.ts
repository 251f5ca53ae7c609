/**
 * Helper threads for the wasm kernels (src/compute/wasmKernels.ts): more than one core for one agent.
 *
 * A helper is a worker (a Node worker thread, or a Web Worker beside the training worker) that instantiates
 * the same kernel modules on the same WebAssembly.Memory, which must therefore be shared. The two sides talk
 * through a small control block in that memory, never through messages (a worker blocked in a loop cannot
 * receive them): the caller writes a job and bumps a counter, the helper runs it and bumps another. Kernels
 * reach the helper the same way, as bytes in the shared memory that it compiles itself.
 *
 * A helper spins for a short while after each job (the next one usually follows within microseconds), then
 * sleeps in Atomics.wait, so a paused run costs no CPU. A job is claimed before it runs, by the helper or, if
 * the caller finishes its own part first, taken back by the caller: a helper that is asleep or descheduled
 * then delays nothing. Splitting a product leaves each element's sum in the same order: results are bit for
 * bit those of one thread.
 */

/** Starts one helper running `source` and posts it `init`; resolves once it answers (it is then ready). */
export type HelperSpawner = (source: string, init: HelperInit) => Promise<HelperHandle>;

export interface HelperInit {
  memory: WebAssembly.Memory;
  /** Byte offset of this helper's control block. */
  control: number;
  /** How long the helper spins for the next job before it sleeps. */
  spinMs: number;
}

export interface HelperHandle {
  terminate(): void;
}

/** Control block: int32 slots on its first cache line, then the arguments as float64 (ints and floats alike). */
const POSTED = 0; // job counter, bumped by the caller
const DONE = 1; // counter of the last finished job, bumped by the helper
const OP = 2; // 0 run a kernel, 1 compile one, 2 stop
const KERNEL = 3; // kernel id
const FAILED = 4; // 1 if the last job threw
const CLAIMED = 5; // the last job claimed, by the helper (to run it) or by the caller (taken back)
const ASLEEP = 6; // 1 while the helper sleeps in Atomics.wait: only then does a post need a notify (a syscall)
const ARGS_BYTE = 64;
export const MAX_ARGS = 16;
export const CONTROL_BYTES = ARGS_BYTE + 8 * MAX_ARGS;

const RUN = 0;
const COMPILE = 1;
const STOP = 2;

/**
 * The helper's program, plain JavaScript for both worker kinds: in a Node worker thread (eval'd, CommonJS)
 * it talks through worker_threads' parentPort, in a browser worker through `self`.
 */
export const HELPER_SOURCE = `
const port = typeof require === 'function' ? require('node:worker_threads').parentPort : self;
const onFirstMessage = (handler) => {
  if (typeof port.once === 'function') port.once('message', handler);
  else port.addEventListener('message', (event) => handler(event.data), { once: true });
};
onFirstMessage(({ memory, control, spinMs }) => {
  const ctrl = new Int32Array(memory.buffer, control, ${ARGS_BYTE / 4});
  const a = new Float64Array(memory.buffer, control + ${ARGS_BYTE}, ${MAX_ARGS});
  const kernels = [];
  let seen = Atomics.load(ctrl, ${POSTED});
  port.postMessage('ready');
  for (;;) {
    let spins = 0;
    let since = performance.now();
    while (Atomics.load(ctrl, ${POSTED}) === seen) {
      if (++spins % 1024 === 0 && performance.now() - since > spinMs) {
        Atomics.store(ctrl, ${ASLEEP}, 1);
        Atomics.wait(ctrl, ${POSTED}, seen, 1000);
        Atomics.store(ctrl, ${ASLEEP}, 0);
        since = performance.now();
      }
    }
    seen = Atomics.load(ctrl, ${POSTED});
    const op = ctrl[${OP}];
    if (op === ${STOP}) {
      Atomics.store(ctrl, ${DONE}, seen);
      Atomics.notify(ctrl, ${DONE});
      return;
    }
    // Every job before this one has been claimed; if the caller took this one back, it is not ours.
    if (Atomics.compareExchange(ctrl, ${CLAIMED}, seen - 1, seen) !== seen - 1) continue;
    try {
      if (op === ${COMPILE}) {
        const bytes = new Uint8Array(memory.buffer, a[0], a[1]).slice();
        const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
        kernels[ctrl[${KERNEL}]] = instance.exports.run;
      } else {
        // Arguments past a kernel's own are ignored.
        kernels[ctrl[${KERNEL}]](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
      }
      ctrl[${FAILED}] = 0;
    } catch (error) {
      ctrl[${FAILED}] = 1;
    }
    Atomics.store(ctrl, ${DONE}, seen);
    Atomics.notify(ctrl, ${DONE});
  }
});
`;

const alignUp = (address: number, to: number) => Math.ceil(address / to) * to;

/** How long a caller waits for a helper's job before it gives the helper up. */
const JOB_TIMEOUT_MS = 5000;
/** How long the caller spins for a helper to finish before it sleeps. */
const CALLER_SPIN_MS = 2;

export interface ThreadMemory {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(pointer: number): void;
}

export class KernelThreads {
  private readonly controls: Int32Array[];
  private readonly args: Float64Array[];
  private readonly posted: number[];
  private readonly ids = new Map<string, number>();
  private broken = false;

  private constructor(
    private readonly heap: ThreadMemory,
    private readonly handles: HelperHandle[],
    controlOffsets: number[],
  ) {
    this.controls = controlOffsets.map((offset) => new Int32Array(heap.memory.buffer, offset, ARGS_BYTE / 4));
    this.args = controlOffsets.map(
      (offset) => new Float64Array(heap.memory.buffer, offset + ARGS_BYTE, MAX_ARGS),
    );
    this.posted = this.controls.map((ctrl) => Atomics.load(ctrl, POSTED));
  }

  /**
   * Starts `helpers` helpers on `heap`'s memory, which must be shared. Rejects if one does not answer within
   * `timeoutMs` (a worker that cannot start would otherwise hold up the backend's start for ever).
   */
  static async start(
    heap: ThreadMemory,
    helpers: number,
    spawn: HelperSpawner,
    { spinMs = 0.5, timeoutMs = 10_000 } = {},
  ): Promise<KernelThreads> {
    if (!(heap.memory.buffer instanceof SharedArrayBuffer)) throw new Error('the wasm memory is not shared');
    // Each block on cache lines of its own: other data written beside it would bounce between the cores.
    const offsets = Array.from({ length: helpers }, () => alignUp(heap.malloc(CONTROL_BYTES + 128), 64));
    for (const offset of offsets) new Uint8Array(heap.memory.buffer, offset, CONTROL_BYTES).fill(0);
    const spawned = offsets.map((control) => spawn(HELPER_SOURCE, { memory: heap.memory, control, spinMs }));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`a helper thread did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return new KernelThreads(heap, await Promise.race([Promise.all(spawned), timeout]), offsets);
    } catch (error) {
      // Whichever helpers did start are stopped again.
      for (const started of spawned)
        started.then(
          (handle) => handle.terminate(),
          () => {},
        );
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Helper threads at work (0 once stopped or given up). */
  get helpers(): number {
    return this.broken ? 0 : this.handles.length;
  }

  /**
   * Starts kernel `key` (built by `bytes` the first time) on helper `h` with `args`; `tryWait(h)` joins it.
   * False if the helpers were given up: the caller then runs the job itself.
   */
  tryPost(h: number, key: string, bytes: () => Uint8Array, args: number[]): boolean {
    if (this.broken) return false;
    try {
      this.post(h, key, bytes, args);
      return true;
    } catch {
      this.stop();
      return false;
    }
  }

  /**
   * Takes helper `h`'s posted job back if the helper has not begun it (it will not run it then): true when
   * taken back. False when the helper has it: `tryWait(h)` joins it.
   */
  takeBack(h: number): boolean {
    if (this.broken) return false;
    const job = this.posted[h];
    return Atomics.compareExchange(this.controls[h], CLAIMED, job - 1, job) === job - 1;
  }

  /** Waits for helper `h`'s job; false if it failed or never answered (all helpers are then given up). */
  tryWait(h: number): boolean {
    try {
      this.wait(h);
      return true;
    } catch {
      return false;
    }
  }

  private post(h: number, key: string, bytes: () => Uint8Array, args: number[]): void {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.compileEverywhere(id, bytes());
      this.ids.set(key, id);
    }
    this.send(h, RUN, id, args);
  }

  /** Waits for helper `h`'s job. Throws, and gives all helpers up, if it failed or took too long. */
  private wait(h: number): void {
    // Stopped helpers finish nothing more (one may have been stopped part way through this job).
    if (this.broken) throw new Error('wasm helper threads were stopped');
    const ctrl = this.controls[h];
    const target = this.posted[h];
    const start = performance.now();
    let spins = 0;
    while (Atomics.load(ctrl, DONE) !== target) {
      if (++spins % 256 !== 0) continue;
      const waited = performance.now() - start;
      if (waited > JOB_TIMEOUT_MS) {
        this.stop();
        throw new Error(`wasm helper thread ${h} did not answer within ${JOB_TIMEOUT_MS} ms`);
      }
      if (waited > CALLER_SPIN_MS) Atomics.wait(ctrl, DONE, Atomics.load(ctrl, DONE), 50);
    }
    if (ctrl[FAILED]) {
      this.stop();
      throw new Error(`wasm helper thread ${h}: its kernel failed`);
    }
  }

  /** Stops and releases every helper. */
  stop(): void {
    if (this.broken) return;
    this.broken = true;
    this.controls.forEach((ctrl, h) => {
      ctrl[OP] = STOP;
      Atomics.store(ctrl, POSTED, ++this.posted[h]);
      Atomics.notify(ctrl, POSTED);
    });
    for (const handle of this.handles) handle.terminate();
  }

  private send(h: number, op: number, kernel: number, args: number[]): void {
    if (this.broken) throw new Error('wasm helper threads were stopped');
    if (args.length > MAX_ARGS) throw new Error(`a helper's kernel takes at most ${MAX_ARGS} arguments`);
    const ctrl = this.controls[h];
    ctrl[OP] = op;
    ctrl[KERNEL] = kernel;
    this.args[h].set(args);
    Atomics.store(ctrl, POSTED, ++this.posted[h]);
    // A helper that is spinning sees the post by itself; waking one that sleeps costs a system call.
    if (Atomics.load(ctrl, ASLEEP)) Atomics.notify(ctrl, POSTED);
  }

  private compileEverywhere(id: number, bytes: Uint8Array): void {
    const pointer = this.heap.malloc(bytes.length);
    try {
      new Uint8Array(this.heap.memory.buffer, pointer, bytes.length).set(bytes);
      for (let h = 0; h < this.controls.length; h++) this.send(h, COMPILE, id, [pointer, bytes.length]);
      for (let h = 0; h < this.controls.length; h++) this.wait(h);
    } finally {
      this.heap.free(pointer);
    }
  }
}
