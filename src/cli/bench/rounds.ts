/**
 * Repeats taken in rounds: on a shared machine the load changes from minute to minute, so PyTorch and the
 * Node backends are timed one repeat each in turn, round after round, rather than all of one then all of the
 * other. Each round's results are merged here; medians are then over the rounds.
 */
import { summarize } from './stats';
import type { BackendRun, TorchRun } from './types';

/** `next`'s repeats appended to `sum`'s (null `sum`: the first round). */
export function mergeTorch(sum: TorchRun | null, next: TorchRun): TorchRun {
  if (!sum) return next;
  if (!sum.available || !next.available) return sum.available ? sum : next;
  return {
    ...sum,
    results: sum.results.map((r) => {
      const more = next.results.find(
        (x) => x.name === r.name && x.hidden === r.hidden && x.batch === r.batch,
      );
      return more ? { ...r, ...summarize([...r.values, ...more.values]) } : r;
    }),
  };
}

/** Each backend's timings with `next` round's repeats appended (backends matched by where and name). */
export function mergeRuns(sum: BackendRun[], next: BackendRun[]): BackendRun[] {
  if (!sum.length) return next;
  return sum.map((run) => {
    const more = next.find((x) => x.where === run.where && x.backend === run.backend);
    if (!more) return run;
    return {
      ...run,
      error: run.error ?? more.error,
      timings: run.timings.map((t) => {
        const m = more.timings.find((x) => x.case.name === t.case.name);
        if (!m) return t;
        return {
          ...t,
          ...summarize([...t.values, ...m.values]),
          updatesTimed: [...t.updatesTimed, ...m.updatesTimed],
          capped: t.capped || m.capped,
          tensorDrift: Math.max(t.tensorDrift, m.tensorDrift),
        };
      }),
    };
  });
}
