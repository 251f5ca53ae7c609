/**
 * A comparison's queue: every variant × seed as a run, ordered seed by seed across the variants, so that
 * with a few runs finished every variant already has one and the table fills evenly.
 */
import type { Config } from '../rl/hyperparameters';
import type { LabRun } from './runs';
import { type Variant, variantConfig } from './variants';

export function planRuns(
  base: Config,
  variants: readonly Variant[],
  seeds: readonly number[],
): { ok: true; runs: LabRun[] } | { ok: false; error: string } {
  if (!variants.length) return { ok: false, error: 'choose at least one variant' };
  if (!seeds.length) return { ok: false, error: 'choose at least one seed' };
  const labels = new Set<string>();
  for (const v of variants) {
    if (labels.has(v.label)) return { ok: false, error: `two variants are called "${v.label}"` };
    labels.add(v.label);
  }
  const runs: LabRun[] = [];
  for (const seed of seeds) {
    for (const variant of variants) {
      let config: Config;
      try {
        config = variantConfig(base, variant, seed);
      } catch (error) {
        return { ok: false, error: (error as Error).message };
      }
      runs.push({
        id: `${variant.id}-s${seed}`,
        variant: variant.label,
        seed,
        config,
        records: [],
        state: 'queued',
        step: 0,
        wallSeconds: null,
        reason: null,
        source: 'page',
      });
    }
  }
  return { ok: true, runs };
}
