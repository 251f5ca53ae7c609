/**
 * tfjs-wasm's SIMD build with its memory declared shared, so that helper threads can run kernels on the
 * tensors where tfjs keeps them (src/compute/wasmThreads.ts).
 *
 * The build defines its memory itself, with a maximum, and never uses atomics or threads: declaring that
 * memory shared changes one flag byte of the memory section (limits 0x01 "min and max" → 0x03 "shared, min
 * and max"), and the maximum is lowered from 4 GiB to 1 GiB in place; nothing else changes. tfjs's threaded build is not used instead: it starts its own pthreads from an
 * inlined script that breaks once bundled.
 */

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const MEMORY_SECTION = 5;
/** 1 GiB in 64 KiB pages: tfjs keeps only tensors there (the replay buffer lives in JavaScript). */
const SHARED_MAX_PAGES = 16384;

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
      // An engine reserves a shared memory's whole maximum up front (it can never move): 4 GiB becomes
      // 1 GiB where the maximum is written in three bytes, as 65536 is, so the length stays the same.
      const initial = readUleb(bytes, flags + 1);
      const maximum = readUleb(bytes, initial.next);
      if (maximum.value > SHARED_MAX_PAGES && maximum.next - initial.next === 3) {
        if (initial.value > SHARED_MAX_PAGES) throw new Error('the memory starts larger than 1 GiB');
        bytes.set([0x80, 0x80, SHARED_MAX_PAGES >> 14], initial.next);
      }
      if (!WebAssembly.validate(bytes)) throw new Error('the module does not validate with a shared memory');
      return bytes;
    }
    at = size.next + size.value;
  }
  throw new Error('the module defines no memory');
}
