/**
 * Env copies for evaluation and the probe. Evaluation side by side: the episodes of an evaluation run on env
 * copies with one read of their actions per step, and come out as one after another, to the last digit (cpu
 * and wasm backends): starts drawn in order from the eval env's stream, terminations and the time limit as
 * alone, normalised observations too. A classic-control env gets copies enough for a probe's 256 pairs in
 * one wave, a simulator 16, to the same probe values.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { makeEnv } from '../../src/envs';
import type { Env } from '../../src/envs/types';
import { readSync } from '../../src/rl/deviceReads';
import { configFromPreset } from '../../src/rl/presets';
import { TD3 } from '../../src/rl/td3';
import { evaluatePolicy, evaluationSteps } from '../../src/train/evaluate';
import { OverestimationProbe } from '../../src/train/overestimationProbe';
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

  it("keeps 256 copies of Pendulum (a probe's pairs in one wave) and 16 of a MuJoCo env, to the same probe values", async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const made = new Map<string, number>();
    const counting = (id: string) => {
      made.set(id, (made.get(id) ?? 0) + 1);
      return makeEnv(id);
    };
    const settings = { hidden1: 8, hidden2: 8, batchSize: 16, startSteps: 100, probePairs: 256 };
    const session = await TrainingSession.create({ ...settings, env: 'Pendulum-v1' }, () => {}, counting);
    (await TrainingSession.create({ ...settings, env: 'Hopper-v5' }, () => {}, counting)).dispose();
    // Training and evaluation envs, then the copies.
    expect(Object.fromEntries(made)).toEqual({ 'Pendulum-v1': 2 + 256, 'Hopper-v5': 2 + 16 });

    session.advance(400);
    while (session.hasPendingWork) session.runFor(10, 0);
    const saved = session.exportState().probe;
    if (!saved) throw new Error('no probe state');
    const measured = async (copies: number) => {
      const envs = await Promise.all(Array.from({ length: copies }, () => makeEnv('Pendulum-v1')));
      const probe = new OverestimationProbe(
        session.buffer,
        session.env.getState().length,
        envs,
        Random.stream(0, 'x'),
      );
      probe.importState(saved);
      return probe.measure(session.policy, 256, 0.99, 1e-3);
    };
    const oneWave = await measured(256);
    expect(oneWave.pairs).toBe(256);
    expect(await measured(16)).toEqual(oneWave);
    session.dispose();
  }, 60_000);
});
