/**
 * The TD3 update on a GPU backend against the same update on the cpu backend, read back asynchronously: whether
 * the GPU path's arithmetic is right, on whatever adapter there is. Used in the browser's worker
 * (tests/browser/webgpu/worker.ts) and in Node on Dawn (tests/unit/cli.webgpu.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { benchSpace, randomBatches } from '../../src/cli/bench/updateTiming';
import { readAsync } from '../../src/rl/deviceReads';
import { Population } from '../../src/rl/population';
import { configFromPreset, type PresetName } from '../../src/rl/presets';
import { TD3 } from '../../src/rl/td3';

export const UPDATES = 4;

/** Per preset: the largest |gpu − cpu| over every weight, and the largest |weight|, after the updates. */
export interface PresetCheck {
  preset: PresetName;
  updates: number;
  maxDifference: number;
  maxWeight: number;
  ms: number;
}

/** A population (TD3 and DDPG members) on a GPU backend against the same on the cpu backend. */
export interface PopulationCheck {
  backend: string;
  maxDifference: number;
  maxChange: number;
  ms: number;
}

async function use(backend: string): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error(`${backend} did not initialise`);
  await tf.ready();
}

async function weightsAfterUpdates(backend: string, preset: PresetName): Promise<number[][]> {
  await use(backend);
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

/** A population's weights, flat, before and after UPDATES updates on `backend`: TD3 and DDPG, other seeds. */
async function populationAfterUpdates(backend: string): Promise<{ initial: number[]; after: number[] }> {
  await use(backend);
  const space = benchSpace(3, 2);
  const sizes = { hidden1: 16, hidden2: 16, batchSize: 8 };
  const members = [
    { config: configFromPreset('author', sizes), seed: 7 },
    { config: configFromPreset('ddpg', sizes), seed: 8 },
  ];
  const population = new Population(space, members);
  const readWeights = async () =>
    (await readAsync(population.weightsRead())).flatMap((w) =>
      Object.values(w).flatMap((net) => net.flatMap((l) => [...l.weight.flat(), ...l.bias])),
    );
  const initial = await readWeights();
  const batches = members.map((_, i) => randomBatches(space, 8, UPDATES, 3 + i));
  for (let k = 0; k < UPDATES; k++)
    await readAsync(
      population.trainRead(
        batches.map((b) => b[k]),
        k % 2 === 1,
      ),
    );
  const after = await readWeights();
  population.dispose();
  return { initial, after };
}

/** TD3 and DDPG agents, UPDATES updates each, on `backend` against the cpu backend. */
export async function checkPresets(backend: string): Promise<PresetCheck[]> {
  const checks: PresetCheck[] = [];
  for (const preset of ['author', 'ddpg'] as const) {
    const started = performance.now();
    const onGpu = await weightsAfterUpdates(backend, preset);
    const ms = performance.now() - started;
    const onCpu = await weightsAfterUpdates('cpu', preset);
    let maxDifference = 0;
    let maxWeight = 0;
    for (let i = 0; i < onCpu.length; i++)
      for (let j = 0; j < onCpu[i].length; j++) {
        maxDifference = Math.max(maxDifference, Math.abs(onCpu[i][j] - onGpu[i][j]));
        maxWeight = Math.max(maxWeight, Math.abs(onCpu[i][j]));
      }
    checks.push({ preset, updates: UPDATES, maxDifference, maxWeight, ms });
  }
  return checks;
}

/** The population of a TD3 and a DDPG member on each of `backends` against the cpu backend. */
export async function checkPopulations(backends: string[]): Promise<PopulationCheck[]> {
  const checks: PopulationCheck[] = [];
  const onCpu = await populationAfterUpdates('cpu');
  for (const backend of backends) {
    const started = performance.now();
    const { after } = await populationAfterUpdates(backend);
    const ms = performance.now() - started;
    let maxDifference = 0;
    let maxChange = 0;
    for (let i = 0; i < after.length; i++) {
      maxDifference = Math.max(maxDifference, Math.abs(after[i] - onCpu.after[i]));
      maxChange = Math.max(maxChange, Math.abs(onCpu.after[i] - onCpu.initial[i]));
    }
    checks.push({ backend, maxDifference, maxChange, ms });
  }
  return checks;
}
