import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { makeEnv } from '../../src/envs';
import type { Config } from '../../src/rl/hyperparameters';
import { ReplayBuffer } from '../../src/rl/replayBuffer';
import type { TD3 } from '../../src/rl/td3';
import type { MetricRecord, ProbeRecord } from '../../src/train/metrics';
import { OverestimationProbe, probeHorizon, standardError } from '../../src/train/overestimationProbe';
import { TrainingSession } from '../../src/train/session';
import { ScriptedEnv, type ScriptedEnvOptions } from '../helpers/scriptedEnv';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Small networks and short schedules so a session runs in a second on the cpu backend. */
const tiny: Partial<Config> = {
  hidden1: 8,
  hidden2: 8,
  batchSize: 16,
  startSteps: 50,
  bufferSize: 1000,
  evalEvery: 100,
  evalEpisodes: 2,
  probeEvery: 100,
  probePairs: 4,
  logEvery: 10,
};

async function run(config: Partial<Config>, steps: number, envOptions?: ScriptedEnvOptions) {
  const records: MetricRecord[] = [];
  const factory = envOptions ? async () => new ScriptedEnv(envOptions) : makeEnv;
  const session = await TrainingSession.create(
    { ...tiny, ...config, totalSteps: steps },
    (r) => records.push(r),
    factory,
  );
  while (!session.done) session.advance(50);
  return { session, records };
}

const withoutTiming = (records: MetricRecord[]) => records.filter((r) => r.type !== 'throughput');

describe('TrainingSession', () => {
  it('stores time-limit truncations as not done, so their targets bootstrap', async () => {
    // Pendulum never terminates; every 200th step is a truncation.
    const { session } = await run({ env: 'Pendulum-v1' }, 450);
    const notDone = session.buffer.notDone.subarray(0, session.buffer.size);
    expect(session.episodes).toBe(2);
    expect(Array.from(notDone).every((v) => v === 1)).toBe(true);
    session.dispose();
  });

  it('n-step returns: sums n discounted rewards, bootstraps with γ^k at a time limit and not at all at a termination', async () => {
    const gamma = 0.8;
    const f = Math.fround;
    const [r3, r2] = [f(1 + gamma + gamma ** 2), f(1 + gamma)];
    const rowsOf = (session: TrainingSession, count: number) => {
      const b = session.buffer;
      return Array.from({ length: count }, (_, i) => ({
        s: Math.round(b.observations[i] * 100),
        r: b.rewards[i],
        next: Math.round(b.nextObservations[i] * 100),
        bootstrap: b.notDone[i],
      }));
    };
    // Terminates after 5 steps: the last three transitions see the end within their window.
    const ended = await run({ nStep: 3, discount: gamma, probeEvery: 1000 }, 5, {
      terminateAt: 5,
      maxEpisodeSteps: 100,
    });
    expect(rowsOf(ended.session, 5)).toEqual([
      { s: 0, r: r3, next: 3, bootstrap: 1 },
      { s: 1, r: r3, next: 4, bootstrap: 1 },
      { s: 2, r: r3, next: 5, bootstrap: 0 },
      { s: 3, r: r2, next: 5, bootstrap: 0 },
      { s: 4, r: 1, next: 5, bootstrap: 0 },
    ]);
    expect(ended.session.buffer.size).toBe(5);
    // The update discounts the bootstrap by γ^n; the rows' weights make a cut-short one γ^k.
    expect(ended.session.agent.getConfig().discount).toBe(gamma ** 3);
    ended.session.dispose();

    // Cut by the time limit after 4 steps: bootstrap from the last observation, by γ^k in all (weight × γ³).
    const cut = await run({ nStep: 3, discount: gamma, probeEvery: 1000 }, 4, { maxEpisodeSteps: 4 });
    expect(rowsOf(cut.session, 4)).toEqual([
      { s: 0, r: r3, next: 3, bootstrap: 1 },
      { s: 1, r: r3, next: 4, bootstrap: 1 },
      { s: 2, r: r2, next: 4, bootstrap: f(gamma ** -1) },
      { s: 3, r: 1, next: 4, bootstrap: f(gamma ** -2) },
    ]);
    // The probe's simulator state of each row is the state its transition started from.
    const probeStates = cut.session.exportState().probe?.states;
    expect(Array.from(probeStates ?? []).slice(0, 4)).toEqual([0, 1, 2, 3]);
    cut.session.dispose();

    // Mid-window, the last n − 1 transitions wait: after 7 of 10 steps, 5 are in the buffer.
    const waiting = await run({ nStep: 3, discount: gamma, probeEvery: 1000 }, 7, { maxEpisodeSteps: 10 });
    expect(waiting.session.buffer.size).toBe(5);
    waiting.session.dispose();
  });

  it('stores terminations as done, and only those', async () => {
    const { session, records } = await run({}, 200, { terminateAt: 30, maxEpisodeSteps: 1000 });
    const notDone = Array.from(session.buffer.notDone.subarray(0, 200));
    const doneRows = notDone.flatMap((v, i) => (v === 0 ? [i] : []));
    expect(doneRows).toEqual([29, 59, 89, 119, 149, 179]);
    const episodes = records.filter((r) => r.type === 'episode');
    expect(episodes).toHaveLength(6);
    expect(episodes.every((e) => e.type === 'episode' && e.length === 30 && e.terminated)).toBe(true);
    session.dispose();
  });

  it('emits config first, then episodes, evals every evalEvery steps and update stats every logEvery updates', async () => {
    const { session, records } = await run({ env: 'Pendulum-v1' }, 400);
    expect(records[0].type).toBe('config');
    const evals = records.filter((r) => r.type === 'eval');
    expect(evals.map((r) => r.step)).toEqual([100, 200, 300, 400]);
    for (const e of evals) if (e.type === 'eval') expect(e.returns).toHaveLength(2);
    const updates = records.filter((r) => r.type === 'update');
    // Learning starts after 50 steps: 350 updates, a record every 10th.
    expect(updates).toHaveLength(35);
    expect(updates.every((u) => u.type === 'update' && Number.isFinite(u.criticLoss))).toBe(true);
    session.dispose();
  });

  it('gives identical metrics for the same config and seed, and different ones for another seed', async () => {
    const a = await run({ env: 'Pendulum-v1', seed: 7 }, 300);
    const b = await run({ env: 'Pendulum-v1', seed: 7 }, 300);
    const c = await run({ env: 'Pendulum-v1', seed: 8 }, 300);
    expect(withoutTiming(b.records)).toEqual(withoutTiming(a.records));
    expect(withoutTiming(c.records)).not.toEqual(withoutTiming(a.records));
    for (const r of [a, b, c]) r.session.dispose();
  });

  it('spreads evaluations and probes over small units of work without changing any result', async () => {
    const bulk = await run({ env: 'Pendulum-v1', seed: 3 }, 300);
    const records: MetricRecord[] = [];
    const sliced = await TrainingSession.create(
      { ...tiny, env: 'Pendulum-v1', seed: 3, totalSteps: 300 },
      (r) => records.push(r),
    );
    let calls = 0;
    let stepsWhileBusy = 0;
    while (!sliced.done) {
      const busy = sliced.hasPendingWork;
      const taken = sliced.runFor(0);
      if (busy) stepsWhileBusy += taken;
      calls++;
    }
    // Each evaluation (2 episodes × 200 steps) took several calls, and no env step ran while one was pending.
    expect(calls).toBeGreaterThan(300 + 3 * Math.ceil(400 / 32));
    expect(stepsWhileBusy).toBe(0);
    expect(withoutTiming(records)).toEqual(withoutTiming(bulk.records));
    sliced.dispose();
    bulk.session.dispose();
  });

  it('keeps the tensor count constant while training, and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const records: MetricRecord[] = [];
    const session = await TrainingSession.create({ ...tiny, env: 'Pendulum-v1' }, (r) => records.push(r));
    session.advance(150);
    const during = tf.memory().numTensors;
    session.advance(300);
    expect(tf.memory().numTensors).toBe(during);
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('measures the true value by Monte-Carlo rollouts: constant reward r gives r(1 − γ^H)/(1 − γ)', async () => {
    const discount = 0.9;
    const probeTolerance = 1e-4;
    // 40 pairs: more than the probe's env copies, so the rollouts run in waves.
    const { session, records } = await run(
      { discount, probeTolerance, probeEvery: 100, probePairs: 40 },
      200,
      {
        reward: 2,
        maxEpisodeSteps: 40,
      },
    );
    const probes = records.filter((r): r is ProbeRecord => r.type === 'probe');
    expect(probes.map((p) => p.step)).toEqual([100, 200]);
    const horizon = probeHorizon(discount, probeTolerance);
    expect(horizon).toBe(88);
    for (const p of probes) {
      expect(p.pairs).toBe(40);
      expect(p.horizon).toBe(horizon);
      // The time limit (40 steps) is ignored: the rollout runs the whole horizon.
      expect(p.trueValue).toBeCloseTo((2 * (1 - discount ** horizon)) / (1 - discount), 9);
      expect(p.bias).toBeCloseTo(p.estimate - p.trueValue, 9);
      // No pair terminates: the cost is every pair's whole horizon.
      expect(p.envSteps).toBe(40 * horizon);
    }
    session.dispose();
  });

  it('reward scaling: the buffer and the critics see r × scale; episode returns and the probe stay in the env units', async () => {
    const discount = 0.9;
    const probeTolerance = 1e-4;
    const { session, records } = await run(
      { discount, probeTolerance, probeEvery: 100, probePairs: 8, rewardScale: 10 },
      200,
      { reward: 2, maxEpisodeSteps: 40 },
    );
    expect(Array.from(session.buffer.rewards.subarray(0, 200)).every((r) => r === 20)).toBe(true);
    const episodes = records.filter((r) => r.type === 'episode');
    expect(episodes.every((e) => e.type === 'episode' && e.return === 2 * e.length)).toBe(true);
    const probe = records.find((r): r is ProbeRecord => r.type === 'probe');
    const horizon = probeHorizon(discount, probeTolerance);
    expect(probe?.trueValue).toBeCloseTo((2 * (1 - discount ** horizon)) / (1 - discount), 9);
    session.dispose();

    // The estimate is the critic's value divided by the scale (a stand-in agent whose Q1 is 50 and Q2 40).
    const buffer = new ReplayBuffer(10, 1, 1);
    const envs = [new ScriptedEnv({ reward: 2, maxEpisodeSteps: 40 })];
    const standInProbe = new OverestimationProbe(buffer, 1, envs, Random.stream(1, 'p'));
    for (let i = 0; i < 4; i++) {
      standInProbe.recordState([i]);
      buffer.add([i / 100], [0], 20, [(i + 1) / 100], false);
    }
    const standIn = {
      space: envs[0].spec,
      getConfig: () => ({ twinCritics: true }),
      // Values known without a device: work that reads nothing.
      *valuesRead(_o: Float32Array, _a: Float32Array, n: number) {
        yield* [];
        return { q1: new Float32Array(n).fill(50), q2: new Float32Array(n).fill(40) };
      },
      *actionsRead(_o: Float32Array, n: number) {
        yield* [];
        return new Float32Array(n);
      },
    } as unknown as TD3;
    const scaled = standInProbe.measure(standIn, 4, discount, probeTolerance, 10);
    expect(scaled.estimate).toBe(4);
    expect(scaled.estimateQ1).toBe(5);
    expect(scaled.bias).toBeCloseTo(4 - scaled.trueValue, 12);
  });

  it("gives the probe's standard error as NumPy's std(ddof=1) / √n", () => {
    // np.std([1, 2, 3, 4, 10], ddof=1) / np.sqrt(5) = 1.5811388300841895
    expect(standardError([1, 2, 3, 4, 10])).toBeCloseTo(1.5811388300841895, 12);
    expect(standardError([5, 5, 5])).toBe(0);
    expect(standardError([3])).toBeNaN();
  });

  it('stops the true-value rollout at termination', async () => {
    // Terminates when the counter reaches 5: from state t the return is Σ_{k < 5 − t} γ^k.
    const discount = 0.8;
    const { session, records } = await run({ discount, probeEvery: 100, startSteps: 10 }, 100, {
      reward: 1,
      terminateAt: 5,
      maxEpisodeSteps: 1000,
    });
    const probe = records.find((r): r is ProbeRecord => r.type === 'probe');
    expect(probe).toBeDefined();
    // Every stored state is in 0..4; each possible true value is (1 − γ^(5−t))/(1 − γ) ∈ [1, 3.3616].
    const possible = [0, 1, 2, 3, 4].map((t) => (1 - discount ** (5 - t)) / (1 - discount));
    expect(probe?.trueValue).toBeGreaterThanOrEqual(Math.min(...possible));
    expect(probe?.trueValue).toBeLessThanOrEqual(Math.max(...possible));
    // Without the stop at termination it would be ≈ 1/(1 − γ) = 5.
    expect(possible[0]).toBeCloseTo(3.3616, 4);
    // Each rollout from state t takes 5 − t steps: at least one per pair, at most five.
    const pairs = probe?.pairs ?? 0;
    expect(probe?.envSteps).toBeGreaterThanOrEqual(pairs);
    expect(probe?.envSteps).toBeLessThanOrEqual(5 * pairs);
    session.dispose();
  });

  it('reports the probe as unavailable, and never measures it, where setState is not exact', async () => {
    const { session, records } = await run({ probeEvery: 100 }, 300, { exactRestore: false });
    expect(records[1]).toMatchObject({ type: 'probeUnavailable', step: 0 });
    expect(records[1].type === 'probeUnavailable' && records[1].reason).toMatch(/cannot be restored exactly/);
    expect(records.filter((r) => r.type === 'probe')).toEqual([]);
    session.dispose();
  });

  it('stops cleanly with a clear reason when the critic diverges', async () => {
    const { session, records } = await run({ logEvery: 1 }, 400, { reward: 1e38, maxEpisodeSteps: 1000 });
    const stopped = records.find((r) => r.type === 'stopped');
    expect(stopped).toBeDefined();
    expect(stopped?.type === 'stopped' && stopped.reason).toMatch(
      /^Diverged at env step \d+, update \d+: the critic loss is not finite \(critic loss (NaN|Infinity)/,
    );
    // The record says what went non-finite and when, for the page to show and to roll back from.
    expect(stopped?.type === 'stopped' && stopped.divergence).toEqual({
      quantity: 'the critic loss',
      step: session.step,
      update: session.agent.updates,
    });
    expect(session.divergence).toEqual(stopped?.type === 'stopped' ? stopped.divergence : null);
    expect(session.done).toBe(true);
    expect(session.step).toBeLessThan(400);
    session.dispose();
  });

  it('the parameter checksum after each batch of updates catches what the loss check cannot see (critic 2 with twin critics off)', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const records: MetricRecord[] = [];
      const session = await TrainingSession.create(
        { ...tiny, env: 'Pendulum-v1', twinCritics: false, totalSteps: 1000, logEvery: 1 },
        (r) => records.push(r),
      );
      session.advance(200);
      expect(session.agent.nonFiniteNetworks()).toEqual([]);
      // Critic 2 keeps training while twin critics are off, but its loss is not the one checked.
      const poisoned = session.agent.critic2.getWeights();
      poisoned[1].bias[0] = Number.NaN;
      session.agent.critic2.setWeights(poisoned);
      const updates = session.agent.updates;
      const taken = session.advance(100);
      expect(taken, backend).toBe(100); // the loss check saw nothing: the batch ran to its end
      const stopped = records.find((r) => r.type === 'stopped');
      expect(stopped?.type === 'stopped' && stopped.reason, backend).toMatch(
        new RegExp(
          `^Diverged at env step 300, update ${updates + 100}: the weights of critic 2, critic 2 target are not finite \\(NaN or infinite\\), found by the check after updates ${updates + 1}–${updates + 100}$`,
        ),
      );
      expect(session.divergence).toEqual({
        quantity: 'the weights of critic 2, critic 2 target',
        step: 300,
        update: updates + 100,
      });
      expect(session.done).toBe(true);
      expect(session.advance(100)).toBe(0);
      session.dispose();
    }
    await tf.setBackend('cpu');
  });

  it('catches a divergence at the very update on every path, even when no statistics are read', async () => {
    const poisoned = { reward: 1, poisonAfter: 150, maxEpisodeSteps: 1000 };
    const stoppedAt = (records: MetricRecord[]) => {
      const stopped = records.find((r) => r.type === 'stopped');
      return stopped?.type === 'stopped' ? stopped.divergence?.update : undefined;
    };
    // cpu reads each loss back; wasm's in-place update sums it as it goes; wasm through tfjs operations (as
    // webgl and webgpu run) keeps each loss on the device and reads them all after the batch of updates.
    for (const [backend, inPlace] of [
      ['cpu', true],
      ['wasm', true],
      ['wasm', false],
    ] as const) {
      const path = `${backend}${inPlace ? '' : ' without the in-place update'}`;
      await tf.setBackend(backend);
      tf.env().set('TD3_IN_PLACE', inPlace);
      // Statistics on every update: where the loss first turns non-finite.
      const everyUpdate = await run({ logEvery: 1 }, 2000, poisoned);
      const expected = stoppedAt(everyUpdate.records);
      everyUpdate.session.dispose();
      expect(expected, path).toBeGreaterThan(0);
      // Statistics only every 1,000 updates: the guard still names that same update.
      const rarely = await run({ logEvery: 1000 }, 2000, poisoned);
      expect(stoppedAt(rarely.records), path).toBe(expected);
      const reason = rarely.session.stoppedReason ?? '';
      expect(reason, path).toMatch(
        new RegExp(`^Diverged at env step \\d+, update ${expected}: the critic loss is not finite`),
      );
      if (!inPlace) expect(reason, path).toMatch(/found by the check after updates \d+–\d+$/);
      rarely.session.dispose();
    }
    tf.env().set('TD3_IN_PLACE', true);
    await tf.setBackend('cpu');
  });

  it('applies live settings and rejects bad ones with a message naming the field', async () => {
    const records: MetricRecord[] = [];
    const session = await TrainingSession.create({ ...tiny, env: 'Pendulum-v1' }, (r) => records.push(r));
    session.setLiveConfig({ twinCritics: false, actorLr: 1e-3, policyDelay: 3 });
    expect(session.agent.getConfig()).toMatchObject({ twinCritics: false, actorLr: 1e-3, policyDelay: 3 });
    expect(() => session.setLiveConfig({ criticLr: Number.NaN })).toThrow(/criticLr = NaN/);
    expect(() => session.setLiveConfig({ tau: 5 })).toThrow(/tau = 5 .*\[0\.0001, 1\]/);
    expect(session.getConfig().tau).toBe(0.005); // the bad change was not applied
    session.dispose();
  });

  it('rejects an unknown env id and an invalid config before training anything', async () => {
    await expect(TrainingSession.create({ env: 'Nope-v0' }, () => {})).rejects.toThrow(/Nope-v0/);
    await expect(TrainingSession.create({ batchSize: 0 }, () => {})).rejects.toThrow(/batchSize = 0/);
  });
});
