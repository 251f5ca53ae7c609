/**
 * Which of the lab's queued runs train together as one population on a GPU backend
 * (src/train/populationSession.ts): configuration only, so the page decides before it sends them.
 */
import type { Config } from '../rl/hyperparameters';
import { populationProblem } from '../train/populationFit';

/** Runs in one population at most (the bench measures 1, 5 and 20). */
export const POPULATION_MAX = 20;

/**
 * The queued runs that train as one population with the first queued one: same env and loop, nothing a
 * population does not batch (src/train/populationFit.ts); at most `max`, in queue order. The lab's runs, or
 * the sweep's (src/cli/sweepPopulation.ts).
 */
export function populationGroup<Run extends { config: Config }>(queued: Run[], max: number): Run[] {
  const [first, ...rest] = queued;
  if (!first) return [];
  const group = [first];
  for (const run of rest) {
    if (group.length >= max) break;
    if (populationProblem([first.config, run.config]) === null) group.push(run);
  }
  return populationProblem(group.map((r) => r.config)) === null ? group : [first];
}
