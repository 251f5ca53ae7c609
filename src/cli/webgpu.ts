/**
 * WebGPU in Node, for command-line runs and the bench on a machine with a GPU. Dawn's Node bindings (the
 * optional npm package `webgpu`, Chromium's own WebGPU implementation) give Node the browser's `navigator.gpu`,
 * and tfjs-webgpu then runs on it exactly as in the page. Dawn reaches the GPU through Vulkan on Linux, Metal
 * on macOS and Direct3D 12 on Windows.
 */
import * as tf from '@tensorflow/tfjs';
import {
  configureTfjsWebgpu,
  describeAdapter,
  type GpuAdapterLike,
  isSoftwareAdapter,
} from '../compute/gpuAdapter';

interface DawnGpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

interface DawnModule {
  create(options: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** Where Debian's chromium keeps SwiftShader's Vulkan driver: WebGPU on the CPU, for tests and trying it out. */
export const SWIFTSHADER_VULKAN = '/usr/lib/chromium/vk_swiftshader_icd.json';

const NO_ADAPTER =
  "no WebGPU adapter: Dawn found no GPU driver it can use (on Linux it needs the GPU's Vulkan driver and " +
  `libvulkan1). To try WebGPU on the CPU, point Vulkan at SwiftShader: VK_ICD_FILENAMES=${SWIFTSHADER_VULKAN}`;

export interface NodeWebgpu {
  /** The adapter in words, e.g. 'nvidia hopper (NVIDIA H100 80GB HBM3)'. */
  adapter: string;
  /** A software adapter (SwiftShader): WebGPU on the CPU, far slower than wasm. */
  software: boolean;
}

let started: Promise<NodeWebgpu> | null = null;
// Dawn's instance, held for the life of the process.
let gpu: DawnGpu | null = null;

/** Gives Node a `navigator.gpu` and registers tfjs's webgpu backend on it, once; says which adapter it found. */
export function startNodeWebgpu(): Promise<NodeWebgpu> {
  started ??= start().catch((error) => {
    started = null;
    throw error;
  });
  return started;
}

async function start(): Promise<NodeWebgpu> {
  let dawn: DawnModule;
  try {
    // By a name held in a variable, so that the type checker does not load the package's global WebGPU types.
    const name = 'webgpu';
    dawn = (await import(name)) as DawnModule;
  } catch (error) {
    throw new Error(
      `WebGPU in Node needs the optional package "webgpu" (Dawn), which did not load (${(error as Error).message}); ` +
        'npm install installs it on Linux, macOS and Windows',
    );
  }
  gpu ??= dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(NO_ADAPTER);
  // tfjs-webgpu uses the browser's names: GPUBufferUsage, GPUMapMode, … and navigator.gpu, which it looks for
  // when it is first imported (Node 21+ has a navigator of its own, without gpu).
  for (const [key, value] of Object.entries(dawn.globals))
    if (!(key in globalThis))
      Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  const navigator = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', {
    value: Object.assign(Object.create(navigator), { gpu }),
    configurable: true,
    writable: true,
  });
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu'))
    throw new Error('tfjs-webgpu was loaded before navigator.gpu existed, so it did not register itself');
  configureTfjsWebgpu(adapter); // its flags exist once it is loaded
  return { adapter: describeAdapter(adapter), software: isSoftwareAdapter(adapter) };
}
