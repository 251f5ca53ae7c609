/** Helpers shared by the envs; a bad action, state or seed fails loudly instead of integrating garbage. */

import { Random } from '../common/random';
import type { EnvSpec } from './types';

/** The name of the reset stream; `reset(seed)` restarts it from `Random.stream(seed, RESET_STREAM)`. */
export const RESET_STREAM = 'env-reset';

/**
 * The reset stream for `seed`. Seeds are integers in [0, 2^32), like Gymnasium's non-negative seeds; larger
 * ones would silently wrap in the 32-bit generator, so they are refused.
 */
export function resetStream(envId: string, seed: number): Random {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`${envId}: reset seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return Random.stream(seed, RESET_STREAM);
}

/** Returns the action's components as numbers; throws on a wrong length or a NaN / infinite component. */
export function checkAction(spec: EnvSpec, action: ArrayLike<number>): number[] {
  if (action == null || typeof action.length !== 'number') {
    throw new Error(
      `${spec.id}: action must be an array of ${spec.actionSize} numbers, got ${String(action)}`,
    );
  }
  if (action.length !== spec.actionSize) {
    throw new Error(`${spec.id}: action must have length ${spec.actionSize}, got length ${action.length}`);
  }
  const out: number[] = [];
  for (let i = 0; i < action.length; i++) {
    const a = action[i];
    if (typeof a !== 'number' || !Number.isFinite(a)) {
      throw new Error(`${spec.id}: action[${i}] is ${String(a)}; actions must be finite numbers`);
    }
    out.push(a);
  }
  return out;
}

/** Returns the state's components; throws on a wrong length or a non-finite component. */
export function checkState(envId: string, size: number, state: ArrayLike<number>): number[] {
  if (state == null || state.length !== size) {
    throw new Error(
      `${envId}: state must have length ${size}, got ${state == null ? String(state) : state.length}`,
    );
  }
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    const s = state[i];
    if (typeof s !== 'number' || !Number.isFinite(s)) {
      throw new Error(`${envId}: state[${i}] is ${String(s)}; states must be finite numbers`);
    }
    out.push(s);
  }
  return out;
}

/** A copy that callers may change without touching the registry's spec. */
export function copySpec(spec: Readonly<EnvSpec>): EnvSpec {
  return { ...spec, actionLow: [...spec.actionLow], actionHigh: [...spec.actionHigh] };
}

export function notStarted(envId: string): Error {
  return new Error(`${envId}: call reset() (or setState()) before step(), observe() or getState()`);
}
