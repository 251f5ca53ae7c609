/// <reference lib="webworker" />
/**
 * The bench Web Worker: the product's backend set-up (src/worker/backendSelection.ts: wasm paths, wasm
 * helper threads, webgpu registered), then the real TD3 update timed by src/cli/bench/updateTiming.ts, or
 * many agents at once by src/cli/bench/population.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { WorkerReply, WorkerRequest } from '../../src/cli/bench/browserProtocol';
import { benchPopulation } from '../../src/cli/bench/population';
import { timeUpdates } from '../../src/cli/bench/updateTiming';
import { fastKernels, hasRelaxedSimd } from '../../src/compute/wasmKernels';
import { activateBackend, wasmThreadsInUse } from '../../src/worker/backendSelection';
import type { BackendName } from '../../src/worker/protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function details(backend: string): Promise<string> {
  const parts: string[] = [`crossOriginIsolated ${scope.crossOriginIsolated}`];
  try {
    if (backend === 'wasm') {
      parts.push(`SIMD ${(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'on' : 'off'}`);
      parts.push(wasmThreadsInUse());
      parts.push(
        fastKernels()
          ? `TD3 WASM kernels${hasRelaxedSimd() ? ' with relaxed-SIMD FMA' : ' (no FMA)'}`
          : "tfjs's kernels",
      );
    } else if (backend === 'webgpu') {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      const adapter = (await gpu?.requestAdapter()) as {
        isFallbackAdapter?: boolean;
        info?: { vendor?: string; architecture?: string; description?: string };
      } | null;
      const info = adapter?.info;
      const own = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } })
        .adapterInfo;
      const words = [info?.vendor ?? own?.vendor, info?.architecture ?? own?.architecture, info?.description];
      parts.push(`adapter ${words.filter(Boolean).join(' ') || 'unknown'}`);
      if (adapter?.isFallbackAdapter) parts.push('fallback adapter');
    } else if (backend === 'webgl') {
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
      const debug = gl?.getExtension('WEBGL_debug_renderer_info');
      if (gl)
        parts.push(
          `renderer ${String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER))}`,
        );
    }
  } catch (error) {
    parts.push(`(details failed: ${(error as Error).message})`);
  }
  return parts.join(', ');
}

scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  let reply: WorkerReply;
  try {
    if (tf.getBackend() !== request.backend) {
      const problem = await activateBackend(request.backend as BackendName);
      if (problem) throw new Error(`${request.backend} ${problem}`);
    }
    reply =
      request.kind === 'population'
        ? {
            ok: true,
            population: {
              ...(await benchPopulation(request.population, request.backend, () => {})),
              where: 'browser',
            },
            details: await details(request.backend),
          }
        : {
            ok: true,
            timing: await timeUpdates(request.case, request.plan),
            details: await details(request.backend),
          };
  } catch (error) {
    reply = { ok: false, error: (error as Error).message, details: await details(request.backend) };
  }
  scope.postMessage(reply);
};
