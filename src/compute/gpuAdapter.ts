/**
 * What a WebGPU adapter is, from the info it gives, and how tfjs-webgpu is set up for it; shared by the page's
 * worker (src/worker/backendSelection.ts) and Node (src/cli/webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs';

/** The fields of GPUAdapterInfo that say what an adapter is. */
export interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

/** An adapter as requestAdapter returns it, as far as these functions look. */
export interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: GpuAdapterInfo;
}

/** A software adapter (SwiftShader, a fallback adapter) runs WebGPU on the CPU. */
export function isSoftwareAdapter(adapter: GpuAdapterLike): boolean {
  const info = adapter.info ?? {};
  const text = `${info.architecture ?? ''} ${info.vendor ?? ''} ${info.description ?? ''}`.toLowerCase();
  return adapter.isFallbackAdapter === true || text.includes('swiftshader');
}

/** The adapter in a few words: 'nvidia hopper (NVIDIA H100 80GB HBM3)', 'google swiftshader (…)'. */
export function describeAdapter(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const detail = info.description || info.device;
  return detail ? `${name} (${detail})` : name;
}

/**
 * tfjs-webgpu computes products with few outputs (a critic's last layer: batch × 1) by a reduction program
 * that is fast on GPUs and pathological on a software adapter: on SwiftShader here the TD3 update of 32-32
 * nets, batch 64, took 350 ms with the automatic choice and 87 ms with the tiled program for every product
 * (7.7 s with the reduction for all). On a software adapter every product uses the tiled program.
 */
const TILED_MATMUL_PROGRAM = 3;

/** Sets tfjs-webgpu up for `adapter`, before the backend starts. */
export function configureTfjsWebgpu(adapter: GpuAdapterLike): void {
  if (isSoftwareAdapter(adapter)) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', TILED_MATMUL_PROGRAM);
}
