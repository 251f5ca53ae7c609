/**
 * Checkpoints: a run saved between two env steps and continued from the file records exactly what the
 * uninterrupted run records (cpu backend); a damaged, truncated, foreign or edited file is refused with the
 * reason, and never half loaded.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { sha256Hex } from '../../src/common/sha256';
import type { Config } from '../../src/rl/hyperparameters';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpointFile';
import type { MetricRecord } from '../../src/train/metrics';
import { TrainingSession } from '../../src/train/session';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const TINY = {
  env: 'Pendulum-v1',
  seed: 3,
  hidden1: 8,
  hidden2: 8,
  batchSize: 16,
  startSteps: 60,
  bufferSize: 5000,
  totalSteps: 420,
  evalEvery: 100,
  evalEpisodes: 1,
  probeEvery: 100,
  probePairs: 3,
  logEvery: 10,
};

/** A row of `n` weights in the file's float32-bytes form, the first of them `first`, the rest 0.1. */
const f32list = (first: number, n: number) => {
  const row = new Float32Array(n).fill(0.1);
  row[0] = first;
  return { f32list: Buffer.from(row.buffer).toString('base64') };
};

/** What learning produced: every record but the wall-clock throughput. */
const learning = (records: MetricRecord[]) => records.filter((r) => r.type !== 'throughput');

async function runTo(session: TrainingSession, steps: number): Promise<void> {
  session.advance(steps - session.step);
  // Finish the evaluation or probe the last step started, so the session can be saved.
  while (session.hasPendingWork) session.runFor(10, 0);
}

async function checkpointText(
  steps: number,
  seed = TINY.seed,
): Promise<{ text: string; before: MetricRecord[] }> {
  const before: MetricRecord[] = [];
  const session = await TrainingSession.create({ ...TINY, seed }, (r) => before.push(r));
  await runTo(session, steps);
  const text = await encodeCheckpoint({ state: session.exportState(), records: before, wallSeconds: 1 });
  session.dispose();
  return { text, before };
}

/**
 * Trains `config` to the end uninterrupted, and again saved at step `at`, written, read and resumed; expects
 * both to record the same, and returns the saved state, as exported and as read back, and the whole run.
 */
async function resumedExactly(config: Partial<Config>, at: number) {
  const whole: MetricRecord[] = [];
  const uninterrupted = await TrainingSession.create(config, (r) => whole.push(r));
  await runTo(uninterrupted, TINY.totalSteps);
  uninterrupted.dispose();

  const before: MetricRecord[] = [];
  const first = await TrainingSession.create(config, (r) => before.push(r));
  await runTo(first, at);
  const state = first.exportState();
  first.dispose();
  const reading = await decodeCheckpoint(await encodeCheckpoint({ state, records: before, wallSeconds: 1 }));
  if (!reading.ok) throw new Error(reading.error);
  const after: MetricRecord[] = [];
  const resumed = await TrainingSession.restore(reading.checkpoint.state, (r) => after.push(r));
  await runTo(resumed, TINY.totalSteps);
  resumed.dispose();
  expect(learning([...before, ...after])).toEqual(learning(whole));
  return { state, saved: reading.checkpoint.state, whole };
}

describe('checkpoints', () => {
  it('a run continued from its checkpoint file records exactly what the uninterrupted run records', async () => {
    const whole: MetricRecord[] = [];
    const uninterrupted = await TrainingSession.create(TINY, (r) => whole.push(r));
    await runTo(uninterrupted, TINY.totalSteps);
    uninterrupted.dispose();

    // Saved at step 250: mid-episode (Pendulum's episodes are 200 steps), after learning has started.
    const { text, before } = await checkpointText(250);
    const reading = await decodeCheckpoint(text);
    expect(reading.ok).toBe(true);
    if (!reading.ok) return;
    expect(reading.checkpoint.records).toEqual(before);
    const after: MetricRecord[] = [];
    const resumed = await TrainingSession.restore(reading.checkpoint.state, (r) => after.push(r));
    expect(resumed.step).toBe(250);
    await runTo(resumed, TINY.totalSteps);
    resumed.dispose();

    expect(learning(after).length).toBeGreaterThan(10);
    expect(
      learning(after).some((r) => r.type === 'eval') && learning(after).some((r) => r.type === 'probe'),
    ).toBe(true);
    expect(learning([...before, ...after])).toEqual(learning(whole));
  }, 60_000);

  it('an n-step run continues exactly too: the transitions still summing their rewards are saved', async () => {
    const { state, saved } = await resumedExactly({ ...TINY, nStep: 4 }, 250);
    // Mid-episode at step 250: the last three transitions wait for their fourth reward.
    expect(state.pendingTransitions).toHaveLength(3);
    // A waiting transition that does not fit the run is refused.
    const bad = structuredClone(saved);
    bad.pendingTransitions?.[0].observation.push(0);
    await expect(TrainingSession.restore(bad, () => {})).rejects.toThrow(/waiting n-step transition/);
  }, 60_000);

  it('a run that normalises observations continues exactly: the statistics are saved', async () => {
    const { state } = await resumedExactly({ ...TINY, normalizeObservations: true }, 250);
    expect(state.normalizer?.count).toBeGreaterThan(250);
  }, 60_000);

  it('a run with BatchNorm critics continues exactly: γ, β and the running averages are in the file', async () => {
    const { state, saved } = await resumedExactly({ ...TINY, criticNorm: 'batch' }, 250);
    const norm = state.agent.weights.critic1[0].norm;
    expect(norm?.runningVariance?.some((v) => v !== 1)).toBe(true);
    expect(saved.agent.weights.critic2Target[1].norm?.scale).toHaveLength(TINY.hidden2 as number);
    // A file whose critic lacks them is refused, not trained on.
    const bad = structuredClone(saved);
    delete bad.agent.weights.critic1[0].norm;
    await expect(TrainingSession.restore(bad, () => {})).rejects.toThrow(/normalisation/);
  }, 60_000);

  it('a prioritized-replay run continues exactly: the priorities are saved with the buffer', async () => {
    const { state, whole } = await resumedExactly({ ...TINY, per: true }, 250);
    expect(state.buffer?.priorities).toHaveLength(250);
    // Learning has reprioritized rows: not all at the first priority any more.
    expect(new Set(state.buffer?.priorities).size).toBeGreaterThan(10);
    // And prioritized replay changed the run against uniform sampling.
    const uniform: MetricRecord[] = [];
    const plain = await TrainingSession.create(TINY, (r) => uniform.push(r));
    await runTo(plain, TINY.totalSteps);
    plain.dispose();
    expect(learning(uniform)).not.toEqual(learning(whole));
  }, 60_000);

  it('without the replay buffer the file is smaller and training goes on, no longer exactly', async () => {
    const session = await TrainingSession.create(TINY, () => {});
    await runTo(session, 250);
    const full = await encodeCheckpoint({ state: session.exportState(), records: [], wallSeconds: 0 });
    const lean = await encodeCheckpoint({
      state: session.exportState({ buffer: false }),
      records: [],
      wallSeconds: 0,
    });
    session.dispose();
    expect(lean.length).toBeLessThan(full.length);
    const reading = await decodeCheckpoint(lean);
    expect(reading.ok).toBe(true);
    if (!reading.ok) return;
    const resumed = await TrainingSession.restore(reading.checkpoint.state, () => {});
    await runTo(resumed, 300);
    expect(resumed.step).toBe(300);
    resumed.dispose();
  }, 60_000);

  it('refuses every one of 60 damaged, truncated, foreign or edited files, with the reason', async () => {
    const { text } = await checkpointText(120);
    const newline = text.indexOf('\n');
    const header = JSON.parse(text.slice(0, newline));
    const body = text.slice(newline + 1);
    const rng = Random.stream(1, 'corruption');
    const reseal = async (edited: string) => {
      const sha256 = await sha256Hex(edited);
      return `${JSON.stringify({ ...header, length: edited.length, sha256 })}\n${edited}`;
    };
    const bad: [string, string][] = [
      ['empty', ''],
      ['not JSON', 'hello\nworld'],
      ['foreign format', `${JSON.stringify({ ...header, format: 'other' })}\n${body}`],
      ['future version', `${JSON.stringify({ ...header, version: 2 })}\n${body}`],
      ['no header', body],
    ];
    for (let k = 0; k < 20; k++) {
      const cut = 1 + rng.int(text.length - 2);
      bad.push([`truncated at ${cut}`, text.slice(0, cut)]);
    }
    for (let k = 0; k < 20; k++) {
      const at = newline + 1 + rng.int(body.length);
      const c = text.charCodeAt(at);
      bad.push([
        `byte ${at} changed`,
        `${text.slice(0, at)}${String.fromCharCode(c === 48 ? 49 : 48)}${text.slice(at + 1)}`,
      ]);
    }
    // Edited and sealed again with a matching checksum: the content checks still refuse them.
    const value = JSON.parse(body);
    const edits: [string, (v: typeof value) => void][] = [
      ['no agent', (v) => delete v.state.agent],
      ['a layer too few', (v) => v.state.agent.weights.actor.pop()],
      ['a weight row too short', (v) => v.state.agent.weights.critic1[0].weight[0].pop()],
      ['an rng of 3 words', (v) => v.state.random.sampling.splice(0, 2)],
      ['tau out of range', (v) => (v.state.config.tau = 7)],
      ['unknown env', (v) => (v.state.config.env = 'Nope-v0')],
      ['negative step', (v) => (v.state.step = -1)],
      ['buffer size beyond its rows', (v) => (v.state.buffer.size += 5)],
      ['a buffer array not base64 of floats', (v) => (v.state.buffer.rewards = { f32: 'AAA' })],
      ['an observation too long', (v) => v.state.observation.push(0)],
      ['an Adam moment missing', (v) => v.state.agent.criticOptimizer.m.pop()],
      ['records not a list', (v) => (v.records = 5)],
      ['negative wall time', (v) => (v.wallSeconds = -3)],
      ['elapsed steps not whole', (v) => (v.state.env.episode.elapsedSteps = 1.5)],
      ['a string where a number goes', (v) => (v.state.episodeReturn = 'lots')],
      // Well-formed, but training on it would be training on garbage. Rows of 16 or more weights are stored
      // as float32 bytes; the schema checks them once decoded, like any number.
      [
        'a NaN weight in critic 2',
        (v) => (v.state.agent.weights.critic2[0].weight[0] = f32list(Number.NaN, 8)),
      ],
      ['an infinite actor weight', (v) => (v.state.agent.weights.actor[1].weight[2] = f32list(Infinity, 8))],
    ];
    for (const [name, edit] of edits) {
      const copy = JSON.parse(body);
      edit(copy);
      bad.push([name, await reseal(JSON.stringify(copy))]);
    }
    expect(bad.length).toBeGreaterThanOrEqual(60);

    const refused: string[] = [];
    for (const [name, file] of bad) {
      const reading = await decodeCheckpoint(file);
      let error: string | null = reading.ok ? null : reading.error;
      if (reading.ok) {
        // Passed the file checks: the session refuses it when it tries to load it.
        try {
          const s = await TrainingSession.restore(reading.checkpoint.state, () => {});
          s.dispose();
        } catch (e) {
          error = (e as Error).message;
        }
      }
      expect(error, `${name} was accepted`).not.toBeNull();
      expect(error?.length ?? 0, name).toBeGreaterThan(10);
      refused.push(`${name}: ${error}`);
    }
    expect(refused.find((r) => r.startsWith('a NaN weight'))).toMatch(/critic2\.0\.weight\.0\.0: .*NaN/);
    expect(refused.find((r) => r.startsWith('an infinite actor'))).toMatch(
      /actor\.1\.weight\.2\.0: .*Infinity/,
    );
    // The intact file still loads: nothing about reading the others changed it.
    expect((await decodeCheckpoint(text)).ok).toBe(true);
  }, 120_000);
});
