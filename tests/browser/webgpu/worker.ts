/// <reference lib="webworker" />
/**
 * The TD3 update on tfjs-webgpu against the same update on the cpu backend, read back asynchronously: whether
 * the GPU path's arithmetic is right, on whatever adapter this browser has (SwiftShader on a machine without a
 * GPU, whose synchronous reads fail the product's self-check: src/worker/backendSelection.ts).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { benchSpace, randomBatches } from '../../../src/cli/bench/updateTiming';
import { readAsync } from '../../../src/rl/deviceReads';
import { Population } from '../../../src/rl/population';
import { configFromPreset, type PresetName } from '../../../src/rl/presets';
import { TD3 } from '../../../src/rl/td3';

export interface WebgpuCheck {
  error?: string;
  adapter?: string;
  /** Per preset: the largest |webgpu − cpu| over every weight, and the largest |weight|, after the updates. */
  presets?: { preset: PresetName; updates: number; maxDifference: number; maxWeight: number; ms: number }[];
  /** A population (TD3 and DDPG members) on each GPU backend against the same on the cpu backend. */
  populations?: { backend: string; maxDifference: number; maxChange: number; ms: number }[];
}

/** A population's weights, flat, after UPDATES updates on `backend`: TD3 and DDPG, other seeds. */
async function populationAfterUpdates(backend: string): Promise<{ initial: number[]; after: number[] }> {
  if (!(await tf.setBackend(backend))) throw new Error(`${backend} did not initialise`);
  await tf.ready();
  const space = benchSpace(3, 2);
  const sizes = { hidden1: 16, hidden2: 16, batchSize: 8 };
  const members = [
    { config: configFromPreset('author', sizes), seed: 7 },
    { config: configFromPreset('ddpg', sizes), seed: 8 },
  ];
  const population = new Population(space, members);
  const flat = (weights: Awaited<ReturnType<typeof readWeights>>) =>
    weights.flatMap((w) =>
      Object.values(w).flatMap((net) => net.flatMap((l) => [...l.weight.flat(), ...l.bias])),
    );
  const readWeights = () => readAsync(population.weightsRead());
  const initial = flat(await readWeights());
  const batches = members.map((_, i) => randomBatches(space, 8, UPDATES, 3 + i));
  for (let k = 0; k < UPDATES; k++)
    await readAsync(
      population.trainRead(
        batches.map((b) => b[k]),
        k % 2 === 1,
      ),
    );
  const after = flat(await readWeights());
  population.dispose();
  return { initial, after };
}

const UPDATES = 4;

async function weightsAfterUpdates(backend: string, preset: PresetName): Promise<number[][]> {
  if (!(await tf.setBackend(backend))) throw new Error(`${backend} did not initialise`);
  await tf.ready();
  const space = benchSpace(3, 2);
  const agent = new TD3(space, configFromPreset(preset, { hidden1: 16, hidden2: 16, batchSize: 8 }), 7);
  const batches = randomBatches(space, 8, UPDATES, 3);
  for (const batch of batches) agent.train(batch);
  const weights: number[][] = [];
  const { actor, critic1, critic2, actorTarget, critic1Target, critic2Target } = agent;
  for (const net of [actor, critic1, critic2, actorTarget, critic1Target, critic2Target])
    for (const layer of net.layers)
      weights.push(Array.from(await layer.weight.data()), Array.from(await layer.bias.data()));
  agent.dispose();
  return weights;
}

async function check(): Promise<WebgpuCheck> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = (await gpu?.requestAdapter()) as {
    info?: { vendor?: string; architecture?: string };
  } | null;
  if (!adapter) return { error: 'no WebGPU adapter in this browser' };
  const presets: NonNullable<WebgpuCheck['presets']> = [];
  for (const preset of ['author', 'ddpg'] as const) {
    const started = performance.now();
    const onGpu = await weightsAfterUpdates('webgpu', preset);
    const ms = performance.now() - started;
    const onCpu = await weightsAfterUpdates('cpu', preset);
    let maxDifference = 0;
    let maxWeight = 0;
    for (let i = 0; i < onCpu.length; i++)
      for (let j = 0; j < onCpu[i].length; j++) {
        maxDifference = Math.max(maxDifference, Math.abs(onCpu[i][j] - onGpu[i][j]));
        maxWeight = Math.max(maxWeight, Math.abs(onCpu[i][j]));
      }
    presets.push({ preset, updates: UPDATES, maxDifference, maxWeight, ms });
  }
  const populations: NonNullable<WebgpuCheck['populations']> = [];
  const onCpu = await populationAfterUpdates('cpu');
  for (const backend of ['webgl', 'webgpu']) {
    const started = performance.now();
    const { after } = await populationAfterUpdates(backend);
    const ms = performance.now() - started;
    let maxDifference = 0;
    let maxChange = 0;
    for (let i = 0; i < after.length; i++) {
      maxDifference = Math.max(maxDifference, Math.abs(after[i] - onCpu.after[i]));
      maxChange = Math.max(maxChange, Math.abs(onCpu.after[i] - onCpu.initial[i]));
    }
    populations.push({ backend, maxDifference, maxChange, ms });
  }
  return {
    adapter: `${adapter.info?.vendor ?? '?'} ${adapter.info?.architecture ?? ''}`.trim(),
    presets,
    populations,
  };
}

check().then(
  (result) => postMessage(result),
  (error: unknown) => postMessage({ error: (error as Error).stack ?? String(error) }),
);
