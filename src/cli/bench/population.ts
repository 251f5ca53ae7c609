/**
 * Many agents at once (src/rl/population.ts): N agents of the four ablation variants × seeds, trained one
 * after another as separate agents, and as one batched population (one update call for all N), on Node's
 * wasm backend, on Node's webgpu (Dawn) where it finds an adapter, and in the browser's worker on webgl and
 * webgpu. Updates/s in total (N × updates / seconds)
 * and per agent; each update's statistics are read back (asynchronously on GPU backends), so the figures are
 * of finished work on any backend.
 */
import { readAsBackendWants } from '../../rl/deviceReads';
import { Population, type PopulationMember } from '../../rl/population';
import { TD3 } from '../../rl/td3';
import { type Summary, summarize } from './stats';
import { benchAgentConfig, benchSpace, randomBatches } from './updateTiming';

export interface PopulationTiming extends Summary {
  members: number;
  mode: 'one after another' | 'batched';
  /** Updates/s of each agent: the total divided by the members. */
  perAgent: number;
  /** The time cap cut a repeat short of `minUpdates` (a slow software GPU). */
  capped?: boolean;
}

export interface PopulationRun {
  backend: string;
  hidden: number;
  batch: number;
  timings: PopulationTiming[];
  /** PyTorch's batched population of each size, in the same run (updates/s in total). */
  torch: (Summary & { members: number })[];
  torchError: string | null;
  /** The same batched population in PyTorch on the GPU (CUDA), where the machine has one. */
  torchGpu?: (Summary & { members: number })[];
  torchGpuDevice?: string | null;
  /** Where it ran ('node' unless said) and what the backend ran on (the GPU adapter or renderer). */
  where?: 'node' | 'browser';
  details?: string;
  /** Set when the backend could not run at all. */
  error?: string | null;
}

export interface PopulationPlan {
  sizes: number[];
  hidden: number;
  batch: number;
  repeats: number;
  /** Each repeat runs at least this many updates of every member, and for at least `minMs`. */
  minUpdates: number;
  minMs: number;
  /** A repeat stops after this long even short of `minUpdates` (null: never). */
  capMs?: number | null;
}

/** A backend's population figures when it could not run at all: why, and where. */
export function failedPopulation(
  backend: string,
  plan: PopulationPlan,
  error: string,
  where: 'node' | 'browser',
  details = '',
): PopulationRun {
  const { hidden, batch } = plan;
  return {
    backend,
    hidden,
    batch,
    timings: [],
    torch: [],
    torchError: null,
    where,
    details,
    error,
  };
}

/** Member i: variant i mod 4 (TD3, one critic, no delay, no smoothing), seed ⌊i / 4⌋. */
export function benchMembers(n: number, hidden: number): PopulationMember[] {
  const base = benchAgentConfig(hidden);
  const variants = [{}, { twinCritics: false }, { policyDelay: 1 }, { targetSmoothing: false }];
  return Array.from({ length: n }, (_, i) => ({
    config: { ...base, ...variants[i % variants.length] },
    seed: Math.floor(i / variants.length),
  }));
}

export async function benchPopulation(
  plan: PopulationPlan,
  backend: string,
  log: (line: string) => void,
): Promise<PopulationRun> {
  const space = benchSpace(3, 1);
  const timings: PopulationTiming[] = [];
  for (const n of plan.sizes) {
    const members = benchMembers(n, plan.hidden);
    const batches = members.map((_, i) => randomBatches(space, plan.batch, 4, i));
    for (const mode of ['one after another', 'batched'] as const) {
      const values: number[] = [];
      let capped = false;
      for (let r = 0; r < plan.repeats; r++) {
        const population = mode === 'batched' ? new Population(space, members) : null;
        const agents = population ? [] : members.map((m) => new TD3(space, m.config, m.seed));
        let k = 0;
        const update = async () => {
          if (population)
            await readAsBackendWants(
              population.trainRead(
                batches.map((b) => b[k % b.length]),
                true,
              ),
            );
          else
            for (const [i, agent] of agents.entries())
              await readAsBackendWants(agent.trainRead(batches[i][k % batches[i].length], true));
          k++;
        };
        await update(); // warm-up: the first update of new shapes
        await update();
        k = 0;
        const start = performance.now();
        const cap = plan.capMs ?? Number.POSITIVE_INFINITY;
        while (k < plan.minUpdates || performance.now() - start < plan.minMs) {
          if (k > 0 && performance.now() - start > cap) {
            capped = true;
            break;
          }
          await update();
        }
        values.push((n * k) / ((performance.now() - start) / 1000));
        population?.dispose();
        for (const agent of agents) agent.dispose();
      }
      const summary = summarize(values);
      timings.push({ ...summary, members: n, mode, perAgent: summary.median / n, capped });
      log(`population ${backend} N=${n} ${mode}: ${summary.median.toFixed(1)} updates/s in total`);
    }
  }
  return { backend, hidden: plan.hidden, batch: plan.batch, timings, torch: [], torchError: null };
}
