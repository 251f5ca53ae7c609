/**
 * Reading numbers back from the device, written once for both kinds of backend. Work that needs values (an
 * action, an update's statistics, a checkpoint's weights) is a generator: it yields the tensors it wants read
 * and receives their values, and a driver answers it, either
 *   synchronously, with dataSync (wasm, cpu: the values are in memory already, a read costs nothing), or
 *   asynchronously, with await data() (webgpu, webgl: a synchronous read stalls the whole GPU pipeline, and
 *   on some WebGPU adapters, SwiftShader among them, returns zeros).
 * The yielder keeps ownership of what it yields (variables are read in place); `readAndDispose` frees fresh
 * results once read. Yielding an empty list reads nothing: a session uses it to mark where work may pause.
 */
import * as tf from '@tensorflow/tfjs';

/** Work that reads device values on the way to its result `T`. */
export type Reads<T> = Generator<tf.Tensor[], T, Float32Array[]>;

/** The values of `tensors`, from whichever driver runs the work. */
export function* read(tensors: tf.Tensor[]): Reads<Float32Array[]> {
  return yield tensors;
}

/** The values of freshly computed `tensors`, which are then disposed (also if the work is abandoned). */
export function* readAndDispose(tensors: tf.Tensor[]): Reads<Float32Array[]> {
  try {
    return yield tensors;
  } finally {
    tf.dispose(tensors);
  }
}

/** A marker between two steps of work, where a driver may stop for now (nothing is read). */
export function* pause(): Reads<void> {
  yield [];
}

/** Runs `work` to its end, answering each read with dataSync. */
export function readSync<T>(work: Reads<T>): T {
  let next = work.next();
  try {
    while (!next.done) next = work.next(next.value.map((t) => t.dataSync() as Float32Array));
  } catch (error) {
    work.return(undefined as T);
    throw error;
  }
  return next.value;
}

/** Runs `work` to its end, answering each read with `await data()`: the thread is free while the device works. */
export async function readAsync<T>(work: Reads<T>): Promise<T> {
  let next = work.next();
  try {
    while (!next.done) {
      const tensors = next.value;
      const values = tensors.length
        ? ((await Promise.all(tensors.map((t) => t.data()))) as Float32Array[])
        : [];
      next = work.next(values);
    }
  } catch (error) {
    work.return(undefined as T);
    throw error;
  }
  return next.value;
}

/** Runs `work` as the active backend wants it read: at once on wasm and cpu, awaited on GPU backends. */
export function readAsBackendWants<T>(work: Reads<T>): T | Promise<T> {
  return readsAsynchronously() ? readAsync(work) : readSync(work);
}

/**
 * Whether backend `name` should be read asynchronously: the GPU backends, where a synchronous read waits for
 * everything queued before it (webgl) or is not reliable (webgpu).
 */
export function readsAsynchronously(name: string = tf.getBackend()): boolean {
  return name === 'webgpu' || name === 'webgl';
}

/**
 * Runs `work` without reading anything: every read is answered with zeros of the right sizes. For work whose
 * values do not matter, such as building a GPU backend's programs before a run (src/worker/gpuPrograms.ts).
 */
export function readNothing<T>(work: Reads<T>): T {
  let next = work.next();
  while (!next.done) next = work.next(next.value.map((t) => new Float32Array(t.size)));
  return next.value;
}
