/**
 * Loads MuJoCo's official WASM build (`@mujoco/mujoco`, single-threaded) lazily, once per JavaScript realm
 * (the Node process, the page or the Web Worker), and hands every env the same module.
 *
 * The JavaScript glue is imported dynamically, so bundles that never build a MuJoCo env do not carry it. It
 * finds `mujoco.wasm` next to itself (`new URL('mujoco.wasm', import.meta.url)`), which works in Node and in
 * a production Vite build. Where the glue is served from somewhere else (Vite's dev server pre-bundles
 * dependencies into `.vite/deps`), give the .wasm's URL with `setMujocoWasmUrl` before the first load, e.g.
 * `setMujocoWasmUrl((await import('@mujoco/mujoco/mujoco.wasm?url')).default)`.
 */

import type { MainModule } from '@mujoco/mujoco';

export type Mujoco = MainModule;

let pending: Promise<Mujoco> | null = null;
let wasmUrl: string | undefined;

/** Where `mujoco.wasm` is served; only before the first `loadMujoco()`. */
export function setMujocoWasmUrl(url: string): void {
  if (pending !== null) throw new Error('setMujocoWasmUrl: the MuJoCo module is already loading or loaded');
  wasmUrl = url;
}

/** The MuJoCo module, loaded on the first call; a failed load is retried by the next call. */
export function loadMujoco(): Promise<Mujoco> {
  if (pending === null) {
    const url = wasmUrl;
    pending = (async () => {
      const { default: factory } = await import('@mujoco/mujoco');
      const options =
        url === undefined
          ? {}
          : { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? url : prefix + path) };
      return factory(options);
    })().catch((error: unknown) => {
      pending = null;
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`Could not load the MuJoCo WASM module: ${message}`, { cause: error });
    });
  }
  return pending;
}

/**
 * The size of the module's WASM memory in bytes (read through a one-element buffer). WASM memory only grows,
 * so leaked MjModel/MjData objects show up as growth over repeated create/close cycles.
 */
export function mujocoMemoryBytes(mj: Mujoco): number {
  const probe = new mj.DoubleBuffer(1);
  try {
    const view: unknown = probe.GetView();
    if (!ArrayBuffer.isView(view))
      throw new Error('MuJoCo binding: DoubleBuffer.GetView is not a typed array');
    return view.buffer.byteLength;
  } finally {
    probe.delete();
  }
}
