/**
 * Schedules: a setting that moves from its start value to an end value as training goes on. Used for the
 * exploration noise σ (linear or exponential decay) and the learning rates (linear or cosine annealing).
 *
 * Progress p runs from 0 when learning starts (the first update, after the random steps) to 1 at the last
 * step of the run, so a schedule spans the steps that learn and is a pure function of the step: a resumed
 * run continues it exactly, with nothing more to save.
 */

export const SCHEDULES = ['constant', 'linear', 'exponential', 'cosine'] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** Progress through the learning phase at env step `step`: 0 until learning starts, 1 at `totalSteps`. */
export function learningProgress(step: number, startSteps: number, totalSteps: number): number {
  if (totalSteps <= startSteps) return 1;
  return Math.min(1, Math.max(0, (step - startSteps) / (totalSteps - startSteps)));
}

/**
 * The value at progress p ∈ [0, 1]:
 *   constant     start
 *   linear       start + (end − start) p
 *   exponential  start (end / start)^p        (geometric: the same factor every step; end > 0, and a
 *                start of 0 stays 0)
 *   cosine       end + (start − end)(1 + cos πp)/2    (SGDR's annealing, Loshchilov & Hutter 2017)
 */
export function scheduled(schedule: Schedule, start: number, end: number, p: number): number {
  switch (schedule) {
    case 'constant':
      return start;
    case 'linear':
      return start + (end - start) * p;
    case 'exponential':
      if (end <= 0) throw new Error(`an exponential schedule needs an end above 0, not ${end}`);
      return start <= 0 ? 0 : start * (end / start) ** p;
    case 'cosine':
      return end + ((start - end) * (1 + Math.cos(Math.PI * p))) / 2;
  }
}
