/** Messages between the bench driver, the bench page (bench/browser/main.ts) and its worker. */
import type { UpdateCase, UpdatePlan, UpdateTiming } from './updateTiming';

export interface WorkerRequest {
  backend: string;
  case: UpdateCase;
  plan: UpdatePlan;
}

export type WorkerReply =
  | { ok: true; timing: UpdateTiming; details: string }
  | { ok: false; error: string; details: string };
