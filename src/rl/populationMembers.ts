/**
 * Which agents can share one population's batched weights (src/rl/population.ts). Configuration only, no
 * tensors: the page asks it before it sends runs to train as one population.
 */
import type { Config } from './hyperparameters';

/** The settings that decide whether agents can be batched. */
export type BatchedSettings = Pick<Config, 'hidden1' | 'hidden2'> &
  Partial<Pick<Config, 'criticNorm' | 'actorMinQ' | 'actorGradClip' | 'criticGradClip'>>;

/** Why these members cannot share one set of batched weights (null: they can). */
export function batchable(members: { config: BatchedSettings }[]): string | null {
  if (!members.length) return 'a population needs at least one member';
  const [first] = members;
  for (const [i, { config: c }] of members.entries()) {
    if (c.hidden1 !== first.config.hidden1 || c.hidden2 !== first.config.hidden2)
      return `member ${i} has ${c.hidden1}-${c.hidden2} networks, member 0 ${first.config.hidden1}-${first.config.hidden2}`;
    if (c.criticNorm && c.criticNorm !== 'none') return `member ${i} normalises its critics`;
    if (c.actorMinQ) return `member ${i}'s actor ascends min(Q1, Q2)`;
    if (c.actorGradClip || c.criticGradClip) return `member ${i} clips its gradients`;
  }
  return null;
}
