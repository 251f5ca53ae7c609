/**
 * Whether runs can train as one population (src/train/populationSession.ts), and if not why: configuration
 * only, no tensors, so the page can group its queued runs before it sends them.
 */
import type { Config } from '../rl/hyperparameters';
import { batchable } from '../rl/populationMembers';

/** Settings every run of a population shares: they set the loop's pace. */
const SHARED: (keyof Config)[] = [
  'env',
  'totalSteps',
  'startSteps',
  'batchSize',
  'updatesPerStep',
  'evalEvery',
  'evalEpisodes',
  'logEvery',
  'hidden1',
  'hidden2',
  // The probe measures every run at the same steps with as many pairs.
  'probeEvery',
  'probePairs',
];

/** Why these configurations cannot train as one population (null: they can). */
export function populationProblem(configs: Config[]): string | null {
  if (!configs.length) return 'no runs';
  for (const [i, c] of configs.entries()) {
    for (const key of SHARED)
      if (c[key] !== configs[0][key])
        return `run ${i} has another ${key} (${c[key]} against ${configs[0][key]})`;
    if (c.parallelEnvs > 1) return `run ${i} steps ${c.parallelEnvs} parallel envs`;
    if (c.nStep > 1) return `run ${i} uses n-step returns`;
    if (c.per) return `run ${i} uses prioritized replay`;
    if (c.normalizeObservations) return `run ${i} normalises observations`;
    if (c.rewardScale !== 1) return `run ${i} scales rewards`;
    if (c.explNoiseSchedule !== 'constant' || c.lrSchedule !== 'constant' || c.criticLrSchedule !== 'same')
      return `run ${i} has a schedule`;
  }
  return batchable(configs.map((config) => ({ config, seed: config.seed })));
}
