/// <reference lib="webworker" />
/**
 * The TD3 update on tfjs-webgpu (and a population on webgl and webgpu) against the same update on the cpu
 * backend, in the browser's worker (tests/helpers/gpuArithmetic.ts), on whatever adapter this browser has
 * (SwiftShader on a machine without a GPU, whose synchronous reads fail the product's self-check:
 * src/worker/backendSelection.ts).
 */
import '@tensorflow/tfjs-backend-webgpu';
import {
  checkPopulations,
  checkPresets,
  type PopulationCheck,
  type PresetCheck,
} from '../../helpers/gpuArithmetic';

export interface WebgpuCheck {
  error?: string;
  adapter?: string;
  presets?: PresetCheck[];
  populations?: PopulationCheck[];
}

async function check(): Promise<WebgpuCheck> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = (await gpu?.requestAdapter()) as {
    info?: { vendor?: string; architecture?: string };
  } | null;
  if (!adapter) return { error: 'no WebGPU adapter in this browser' };
  return {
    adapter: `${adapter.info?.vendor ?? '?'} ${adapter.info?.architecture ?? ''}`.trim(),
    presets: await checkPresets('webgpu'),
    populations: await checkPopulations(['webgl', 'webgpu']),
  };
}

check().then(
  (result) => postMessage(result),
  (error: unknown) => postMessage({ error: (error as Error).stack ?? String(error) }),
);
