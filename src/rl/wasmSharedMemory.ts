/**
 * tfjs-wasm's SIMD build with its memory declared shared, so that helper threads can run kernels on the
 * tensors where tfjs keeps them (src/rl/wasmThreads.ts).
 *
 * The build defines its memory itself, with a maximum, and never uses atomics or threads: declaring that
 * memory shared changes one flag byte of the memory section (limits 0x01 "min and max" → 0x03 "shared, min
 * and max") and nothing else. tfjs's threaded build is not used instead: it starts its own pthreads from an
 * inlined script that breaks once bundled.
 */

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const MEMORY_SECTION = 5;

function readUleb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let next = at;
  for (;;) {
    if (next >= bytes.length) throw new Error('truncated LEB128');
    const byte = bytes[next++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return { value, next };
  }
}

/** A copy of `binary` whose one memory is shared; throws if the module is not of the expected form. */
export function sharedMemoryBinary(binary: Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = Uint8Array.from(binary);
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new Error('not a WebAssembly module');
  let at = MAGIC.length;
  while (at < bytes.length) {
    const id = bytes[at];
    const size = readUleb(bytes, at + 1);
    if (id === MEMORY_SECTION) {
      const count = readUleb(bytes, size.next);
      if (count.value !== 1) throw new Error(`expected one memory, found ${count.value}`);
      const flags = count.next;
      if (bytes[flags] === 0x03) return bytes;
      if (bytes[flags] !== 0x01) throw new Error('the memory has no maximum, so it cannot be shared');
      bytes[flags] = 0x03;
      if (!WebAssembly.validate(bytes)) throw new Error('the module does not validate with a shared memory');
      return bytes;
    }
    at = size.next + size.value;
  }
  throw new Error('the module defines no memory');
}
