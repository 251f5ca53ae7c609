/** Messages between the bench driver, the bench page (bench/browser/main.ts) and its worker. */
import type { PopulationPlan, PopulationRun } from './population';
import type { UpdateCase, UpdatePlan, UpdateTiming } from './updateTiming';

/** One agent's update timed for one case, or many agents (src/cli/bench/population.ts). */
export type WorkerRequest =
  | { kind?: 'update'; backend: string; case: UpdateCase; plan: UpdatePlan }
  | { kind: 'population'; backend: string; population: PopulationPlan };

export type WorkerReply =
  | { ok: true; timing: UpdateTiming; details: string }
  | { ok: true; population: PopulationRun; details: string }
  | { ok: false; error: string; details: string };
