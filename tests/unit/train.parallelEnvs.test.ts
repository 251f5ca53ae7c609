/**
 * Parallel envs: K envs stepped side by side, their K actions read from the policy at once (what keeps a GPU
 * backend from being waited on at every env step), each env step followed by its updates; evaluations fall
 * on their own steps, checkpoints keep every env, and K = 1 is the paper's loop (cpu backend).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../src/rl/hyperparameters';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpointFile';
import type { EpisodeRecord, MetricRecord } from '../../src/train/metrics';
import { populationProblem } from '../../src/train/populationFit';
import { TrainingSession } from '../../src/train/session';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const TINY = {
  env: 'Pendulum-v1',
  seed: 5,
  hidden1: 8,
  hidden2: 8,
  batchSize: 16,
  startSteps: 100,
  bufferSize: 5000,
  totalSteps: 1000,
  // Not a multiple of 4: the step that reaches an evaluation is cut short to fall on it.
  evalEvery: 250,
  evalEpisodes: 1,
  probePairs: 0,
  logEvery: 10,
};

/** What learning produced: every record but the wall-clock throughput. */
const learning = (records: MetricRecord[]) => records.filter((r) => r.type !== 'throughput');

/** Counts the agent's action reads by their number of rows. */
function countReads(session: TrainingSession): Map<number, number> {
  const reads = new Map<number, number>();
  const agent = session.agent;
  const read = agent.actionsRead.bind(agent);
  agent.actionsRead = (observations, n) => {
    reads.set(n, (reads.get(n) ?? 0) + 1);
    return read(observations, n);
  };
  return reads;
}

async function runTo(session: TrainingSession, steps: number): Promise<void> {
  session.advance(steps - session.step);
  while (session.hasPendingWork) session.runFor(10, 0);
}

describe('parallel envs', () => {
  it('steps 4 envs with one read of their 4 actions, an update after each env step, evaluations on their steps', async () => {
    const records: MetricRecord[] = [];
    const session = await TrainingSession.create({ ...TINY, parallelEnvs: 4 }, (r) => records.push(r));
    const reads = countReads(session);
    // Read asynchronously, as on a GPU backend.
    while (!session.done) await session.runForAsync(50);
    expect(session.step).toBe(1000);
    expect(session.buffer.size).toBe(1000);
    expect(session.agent.updates).toBe(900);
    // 900 env steps by the policy: per 250 steps 62 reads of 4 and one of 2 (from step 100: 37 and one).
    expect(reads.get(4)).toBe(37 + 3 * 62);
    expect(reads.get(2)).toBe(4);
    // Single rows are the evaluations' (4 of one 200-step episode), none are training's.
    expect(reads.get(1)).toBe(4 * 200);
    expect([...reads.keys()].sort()).toEqual([1, 2, 4]);
    expect(records.filter((r) => r.type === 'eval').map((r) => r.step)).toEqual([250, 500, 750, 1000]);
    // Each env got its 250 steps: one 200-step episode each, from its own seed (seed + k), so four returns.
    const episodes = records.filter((r): r is EpisodeRecord => r.type === 'episode');
    expect(episodes.map((e) => e.length)).toEqual([200, 200, 200, 200]);
    expect(new Set(episodes.map((e) => e.return)).size).toBe(4);
    expect(episodes.every((e) => e.step > 790 && e.step <= 806)).toBe(true);
    session.dispose();
  }, 60_000);

  it('reads synchronously or asynchronously, in any chunks, to the same records, and K = 4 is not the run of K = 1', async () => {
    const run = async (parallelEnvs: number, async: boolean, chunk = Number.POSITIVE_INFINITY) => {
      const records: MetricRecord[] = [];
      const session = await TrainingSession.create(
        { ...TINY, totalSteps: 400, evalEvery: 200, parallelEnvs },
        (r) => records.push(r),
      );
      while (!session.done) {
        if (async) await session.runForAsync(50, chunk);
        else session.runFor(50, chunk);
      }
      session.dispose();
      return learning(records);
    };
    const sync = await run(4, false);
    expect(await run(4, true)).toEqual(sync);
    // Chunks of 7 env steps stop mid-group; the envs still take the actions chosen for their group.
    expect(await run(4, false, 7)).toEqual(sync);
    expect(sync.filter((r) => r.type === 'update').length).toBeGreaterThan(20);
    expect(await run(1, false)).not.toEqual(sync);
  }, 60_000);

  it('steps at most what it is asked for, one env after another in turn, wherever the caller stops', async () => {
    const session = await TrainingSession.create({ ...TINY, parallelEnvs: 3 }, () => {});
    expect(session.advance(1)).toBe(1);
    expect(session.advance(5)).toBe(5);
    expect(session.step).toBe(6);
    const state = session.exportState();
    // Envs 0, 1, 2, 0, 1, 2: two steps each, so the next to step is env 0.
    expect(state.parallel?.next).toBe(0);
    expect(state.env.episode.elapsedSteps).toBe(2);
    expect(state.parallel?.envs.map((e) => e.env.episode.elapsedSteps)).toEqual([2, 2]);
    expect(state.parallel?.waiting).toEqual([]);
    // One step of a group of three: the other two envs' actions are chosen and wait in the file.
    session.advance(1);
    const part = session.exportState().parallel;
    expect(part?.next).toBe(1);
    expect(part?.waiting).toHaveLength(2);
    session.dispose();
  });

  it('a checkpoint keeps every env, its noise and its waiting n-step transitions: the run continues exactly', async () => {
    const config = { ...TINY, parallelEnvs: 3, nStep: 2, explNoiseType: 'ou', totalSteps: 600 };
    const whole: MetricRecord[] = [];
    const uninterrupted = await TrainingSession.create(config, (r) => whole.push(r));
    await runTo(uninterrupted, 600);
    uninterrupted.dispose();

    const before: MetricRecord[] = [];
    const first = await TrainingSession.create(config, (r) => before.push(r));
    await runTo(first, 311);
    const state = first.exportState();
    first.dispose();
    expect(state.parallel?.envs).toHaveLength(2);
    // Saved one step into a group of three: the two actions chosen with it wait in the file, so the resumed
    // run takes them as the uninterrupted one does.
    expect(state.parallel?.next).toBe(2);
    expect(state.parallel?.waiting).toHaveLength(2);
    // Each env has its own OU state and its own transition waiting for its second reward.
    expect(new Set([state.noise, ...(state.parallel?.envs ?? []).map((e) => e.noise)].map(String)).size).toBe(
      3,
    );
    expect(state.parallel?.envs.map((e) => e.pendingTransitions.length)).toEqual([1, 1]);

    const reading = await decodeCheckpoint(
      await encodeCheckpoint({ state, records: before, wallSeconds: 1 }),
    );
    if (!reading.ok) throw new Error(reading.error);
    const after: MetricRecord[] = [];
    const resumed = await TrainingSession.restore(reading.checkpoint.state, (r) => after.push(r));
    await runTo(resumed, 600);
    resumed.dispose();
    expect(learning(after).length).toBeGreaterThan(10);
    expect(learning([...before, ...after])).toEqual(learning(whole));

    // A file whose envs do not match the run's is refused with the reason.
    const fewer = structuredClone(reading.checkpoint.state);
    fewer.parallel?.envs.pop();
    await expect(TrainingSession.restore(fewer, () => {})).rejects.toThrow(
      /the file has 2 parallel envs, the run 3/,
    );
    const outside = structuredClone(reading.checkpoint.state);
    if (outside.parallel) outside.parallel.next = 3;
    await expect(TrainingSession.restore(outside, () => {})).rejects.toThrow(/next env to step \(3\)/);
  }, 60_000);

  it('refuses a count out of range with the reason, and keeps such runs out of a population', () => {
    for (const parallelEnvs of [0, 65, 2.5, Number.NaN]) {
      const result = validateConfig({ parallelEnvs });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]).toMatch(/parallelEnvs = .* expected an integer in \[1, 64\]/);
    }
    expect(DEFAULT_CONFIG.parallelEnvs).toBe(1);
    const one = { ...DEFAULT_CONFIG };
    expect(populationProblem([one, { ...one, seed: 1 }])).toBeNull();
    expect(populationProblem([one, { ...one, seed: 1, parallelEnvs: 4 }])).toBe(
      'run 1 steps 4 parallel envs',
    );
  });
});
