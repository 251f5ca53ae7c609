/** Which queued lab runs train together as one population on a GPU backend (src/lab/populationGroup.ts). */
import { describe, expect, it } from 'vitest';
import { planRuns } from '../../src/lab/plan';
import { POPULATION_MAX, populationGroup } from '../../src/lab/populationGroup';
import { ABLATION_VARIANTS, EXTENSION_VARIANTS, TABLE2_VARIANTS } from '../../src/lab/variants';
import { configFromPreset } from '../../src/rl/presets';

const base = configFromPreset('quick', { env: 'Pendulum-v1' });

describe('population groups of the lab queue', () => {
  it("takes the paper's ablation over five seeds as one population", () => {
    const plan = planRuns(
      base,
      TABLE2_VARIANTS.map((id) => ABLATION_VARIANTS[id]),
      [0, 1, 2, 3, 4],
    );
    if (!plan.ok) throw new Error(plan.error);
    expect(plan.runs).toHaveLength(25);
    const group = populationGroup(plan.runs, POPULATION_MAX);
    expect(group).toHaveLength(20);
    expect(group).toEqual(plan.runs.slice(0, 20));
    expect(populationGroup(plan.runs.slice(20), POPULATION_MAX)).toHaveLength(5);
  });

  it('leaves out the runs a population does not batch, and keeps the queue order', () => {
    const plan = planRuns(
      base,
      [
        ABLATION_VARIANTS.td3,
        EXTENSION_VARIANTS.per,
        EXTENSION_VARIANTS['layer-norm'],
        ABLATION_VARIANTS.ddpg,
      ],
      [0, 1],
    );
    if (!plan.ok) throw new Error(plan.error);
    const group = populationGroup(plan.runs, POPULATION_MAX);
    expect(group.map((r) => r.id)).toEqual(['td3-s0', 'ddpg-s0', 'td3-s1', 'ddpg-s1']);
    // A queue that starts with a run no population batches takes it alone.
    const alone = populationGroup(plan.runs.slice(1), POPULATION_MAX);
    expect(alone.map((r) => r.id)).toEqual(['per-s0']);
    expect(populationGroup([], POPULATION_MAX)).toEqual([]);
  });
});
