/**
 * Evaluation side by side: the episodes of an evaluation run on env copies with one read of their actions
 * per step, and come out as one after another, to the last digit (cpu and wasm backends): starts drawn in
 * order from the eval env's stream, terminations and the time limit as alone, normalised observations too.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { makeEnv } from '../../src/envs';
import type { Env } from '../../src/envs/types';
import { readSync } from '../../src/rl/deviceReads';
import { configFromPreset } from '../../src/rl/presets';
import { TD3 } from '../../src/rl/td3';
import { evaluatePolicy, evaluationSteps } from '../../src/train/evaluate';
import { TrainingSession } from '../../src/train/session';

/** Counts the policy's action reads. */
function counted(agent: TD3) {
  let reads = 0;
  return {
    policy: {
      space: agent.space,
      getConfig: () => agent.getConfig(),
      valuesRead: agent.valuesRead.bind(agent),
      actionsRead: (o: ArrayLike<number>, n: number) => {
        reads++;
        return agent.actionsRead(o, n);
      },
    },
    reads: () => reads,
  };
}

const copiesOf = (id: string, n: number): Promise<Env[]> =>
  Promise.all(Array.from({ length: n }, () => makeEnv(id)));

describe('evaluation side by side', () => {
  for (const backend of ['cpu', 'wasm'])
    it(`gives the returns of one episode after another, with fewer reads (${backend})`, async () => {
      await tf.setBackend(backend);
      await tf.ready();
      // Pendulum (the time limit), Hopper (an untrained policy falls: early terminations), HalfCheetah.
      for (const [id, episodes] of [
        ['Pendulum-v1', 5],
        ['Hopper-v5', 7],
        ['HalfCheetah-v5', 3],
      ] as const) {
        const alone = await makeEnv(id);
        const agent = new TD3(
          alone.spec,
          { ...configFromPreset('author', { env: 'Pendulum-v1' }), hidden1: 32, hidden2: 32 },
          3,
        );
        const one = counted(agent);
        const sequential = evaluatePolicy(one.policy, alone, episodes, 107);
        // Three copies: waves of 3, 3 and 1 for Hopper, so a wave's start is drawn after earlier waves ran.
        const together = counted(agent);
        const evalEnv = await makeEnv(id);
        const side = readSync(
          evaluationSteps(together.policy, evalEnv, episodes, 107, await copiesOf(id, 3)),
        );
        expect(side.returns, id).toEqual(sequential.returns);
        expect(new Set(side.returns).size, id).toBe(episodes);
        expect(together.reads(), id).toBeLessThan(one.reads() / 2);
        expect(together.reads(), id).toBeGreaterThan(0);
        agent.dispose();
      }
    }, 120_000);

  it("a session's evaluations run side by side and equal one episode after another, normalised observations too", async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const evals: number[][] = [];
    const session = await TrainingSession.create(
      {
        env: 'Pendulum-v1',
        seed: 2,
        hidden1: 8,
        hidden2: 8,
        batchSize: 16,
        startSteps: 100,
        totalSteps: 300,
        evalEvery: 300,
        evalEpisodes: 4,
        probePairs: 0,
        normalizeObservations: true,
      },
      (r) => {
        if (r.type === 'eval') evals.push(r.returns);
      },
    );
    while (!session.done) session.runFor(100);
    expect(evals).toHaveLength(1);
    // The same policy (statistics frozen in evaluation), its episodes one after another on a fresh env.
    const alone = evaluatePolicy(session.policy, await makeEnv('Pendulum-v1'), 4, 2 + 100);
    expect(evals[0]).toEqual(alone.returns);
    session.dispose();
  }, 60_000);
});
