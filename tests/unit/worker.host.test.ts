import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/train/checkpointFile';
import type { MetricRecord } from '../../src/train/metrics';
import type { Yielder } from '../../src/worker/trainingHost';
import { ScriptedEnv } from '../helpers/scriptedEnv';
import { makeHost, shutdownTestHost, TINY, until } from '../helpers/testHost';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

afterEach(() => shutdownTestHost());

describe('TrainingHost (the worker side of the protocol)', () => {
  it('starts, streams metrics and frames, pauses, resumes and stops', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY });
    expect(h.status()?.backend).toBe('cpu');
    await until(() => (h.status()?.step ?? 0) > 200);
    expect(h.records()[0].type).toBe('config');
    expect(h.records().some((r) => r.type === 'eval')).toBe(true);
    expect(
      h.events.some((e) => e.type === 'frame' && e.envId === 'Pendulum-v1' && e.state.length === 2),
    ).toBe(true);

    await h.host.receive({ type: 'pause' });
    await until(() => h.status()?.state === 'paused');
    const paused = h.status()?.step ?? 0;
    await new Promise((r) => setTimeout(r, 150));
    expect(h.status()?.step).toBe(paused);

    await h.host.receive({ type: 'resume' });
    await until(() => (h.status()?.step ?? 0) > paused + 20);
    await h.host.receive({ type: 'stop' });
    expect(h.status()?.state).toBe('stopped');
  });

  it('runs its chunks through the yielder it is given, and cancels the pending one when shut down', async () => {
    let scheduled = 0;
    let cancelled = 0;
    const yieldToEvents: Yielder = (callback) => {
      scheduled++;
      const immediate = setImmediate(callback);
      return () => {
        cancelled++;
        clearImmediate(immediate);
      };
    };
    const h = makeHost({ yieldToEvents });
    await h.host.receive({ type: 'start', config: TINY });
    await until(() => (h.status()?.step ?? 0) > 200);
    expect(scheduled).toBeGreaterThan(5);
    h.host.shutdown();
    expect(cancelled).toBe(1);
    // (Shutting down posts the last metrics; nothing comes after.)
    const events = h.events.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(h.events.length).toBe(events);
  });

  it('runs exactly n steps for step(n), then pauses', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY });
    await h.host.receive({ type: 'pause' });
    const before = h.status()?.step ?? 0;
    await h.host.receive({ type: 'step', steps: 37 });
    await until(() => h.status()?.state === 'paused' && h.status()?.step === before + 37);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.status()?.step).toBe(before + 37);
  });

  it('applies live settings at once and says which ones need a restart', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY });
    await h.host.receive({ type: 'setParams', params: { twinCritics: false, actorLr: 0.002, hidden1: 64 } });
    expect(h.status()?.config?.twinCritics).toBe(false);
    expect(h.status()?.config?.actorLr).toBe(0.002);
    expect(h.status()?.config?.hidden1).toBe(8);
    expect(h.notices().at(-1)).toMatch(/hidden1 can only change with a restart/);
  });

  it('refuses bad input with a message and keeps the run going', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY });
    await h.host.receive({ type: 'setParams', params: { criticLr: Number.NaN } });
    expect(h.notices().at(-1)).toMatch(/criticLr = NaN is not allowed/);
    await h.host.receive({ type: 'setParams', params: { wings: 2 } });
    expect(h.notices().at(-1)).toMatch(/Unknown setting "wings"/);
    await h.host.receive({ type: 'launch' });
    expect(h.notices().at(-1)).toMatch(/Malformed command/);
    await h.host.receive({ type: 'step', steps: -5 });
    expect(h.notices().at(-1)).toMatch(/Malformed command at steps/);
    await h.host.receive({ type: 'start', config: { ...TINY, env: 'Nope-v0' } });
    expect(h.notices().at(-1)).toMatch(/Nope-v0/);
    await h.host.receive({ type: 'start', config: { ...TINY, tau: 3 } });
    expect(h.notices().at(-1)).toMatch(/tau = 3 is not allowed/);
    // The first run is untouched by the bad starts and settings.
    expect(h.status()?.config).toMatchObject({ env: 'Pendulum-v1', tau: 0.005, criticLr: 3e-4 });
    expect(h.status()?.state).toBe('running');
    const step = h.status()?.step ?? 0;
    await until(() => (h.status()?.step ?? 0) > step);
  });

  it('restarts with the same seed (identical metrics) or a new one', async () => {
    const h = makeHost();
    const evalsOfRun = (from: number) =>
      h
        .records()
        .slice(from)
        .filter((r) => r.type === 'eval')
        .slice(0, 2)
        .map((r) => (r.type === 'eval' ? r.mean : 0));
    await h.host.receive({ type: 'start', config: TINY });
    await until(() => (h.status()?.step ?? 0) >= 250);
    const first = evalsOfRun(0);
    const mark = h.records().length;
    await h.host.receive({ type: 'restart', newSeed: false });
    await until(
      () =>
        h
          .records()
          .slice(mark)
          .filter((r) => r.type === 'eval').length >= 2,
    );
    expect(evalsOfRun(mark)).toEqual(first);
    await h.host.receive({ type: 'restart', newSeed: true });
    expect(h.status()?.config?.seed).not.toBe(0);
  });

  it('moves to the next backend when the current one fails mid-run, and goes on from the same state', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY });
    await until(() => (h.status()?.updates ?? 0) > 100);
    // Reach into the running session to make its next update fail the way a lost GPU device does.
    const session = (
      h.host as unknown as { session: { agent: { trainRead: () => unknown; updates: number } } }
    ).session;
    const failing = session.agent;
    failing.trainRead = () => {
      throw new Error('GPU device lost');
    };
    await until(() => h.notices().some((n) => /The cpu backend failed \(GPU device lost\)/.test(n)));
    expect(h.notices().at(-1)).toMatch(/training continues on wasm from update \d+/);
    expect(h.status()?.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(session.agent).not.toBe(failing);
    const updates = h.status()?.updates ?? 0;
    expect(updates).toBeGreaterThan(100);
    await until(() => (h.status()?.updates ?? 0) > updates + 20);
    expect(h.status()?.state).toBe('running');
    await h.host.receive({ type: 'stop' });
    await tf.setBackend('cpu');
  });

  it('computes the Pendulum Q-landscape over a grid', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY });
    await h.host.receive({ type: 'landscape', resolution: 9 });
    const landscape = h.events.find((e) => e.type === 'landscape');
    expect(landscape?.type === 'landscape' && landscape.value.length).toBe(81);
    expect(
      landscape?.type === 'landscape' && Array.from(landscape.action).every((a) => a >= -2 && a <= 2),
    ).toBe(true);
  });
});

describe('the protocol seen from the page', () => {
  it('accepts every event the host sends, and rejects malformed ones with the place that is wrong', async () => {
    const { parseEvent } = await import('../../src/worker/protocol');
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY });
    await until(() => (h.status()?.step ?? 0) > 120);
    await h.host.receive({ type: 'landscape', resolution: 5 });
    await h.host.receive({ type: 'bogus' });
    const kinds = new Set(h.events.map((e) => e.type));
    expect([...kinds].sort()).toEqual(['frame', 'landscape', 'metrics', 'notice', 'status']);
    for (const event of h.events) expect(parseEvent(event)).toMatchObject({ ok: true });
    expect(parseEvent({ type: 'status', runId: null, state: 'flying' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/state/),
    });
    expect(
      parseEvent({ type: 'frame', source: 'train', envId: 'x', state: 'no', action: [], step: 1 }),
    ).toMatchObject({
      ok: false,
      error: expect.stringMatching(/at state/),
    });
    expect(parseEvent(42)).toMatchObject({ ok: false });
  });

  it('names each run in its status and metrics events, one run after another, and draws no frames when asked not to', async () => {
    const h = makeHost();
    const first = { ...TINY, totalSteps: 200, seed: 1 };
    await h.host.receive({ type: 'start', config: first, runId: 'a', view: false });
    await until(() => h.status()?.state === 'done' && h.status()?.runId === 'a');
    const second = { ...TINY, totalSteps: 200, seed: 2 };
    await h.host.receive({ type: 'start', config: second, runId: 'b', view: false });
    await until(() => h.status()?.state === 'done' && h.status()?.runId === 'b');
    expect(h.events.some((e) => e.type === 'frame')).toBe(false);
    // Every record of a run arrives under its name: each run's config record, and its evals up to its end.
    const recordsOf = (id: string) =>
      h.events.flatMap((e) => (e.type === 'metrics' && e.runId === id ? e.records : []));
    for (const [id, seed] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      const records = recordsOf(id);
      expect(records[0]).toMatchObject({ type: 'config', config: { seed } });
      expect(records.filter((r) => r.type === 'config')).toHaveLength(1);
      expect(records.filter((r) => r.type === 'eval').map((r) => r.step)).toEqual([100, 200]);
      // ... all of them before the status that says the run is done (the lab reads a run as finished there).
      const lastRecords = h.events.reduce(
        (last, e, i) => (e.type === 'metrics' && e.runId === id ? i : last),
        -1,
      );
      const done = h.events.findIndex((e) => e.type === 'status' && e.runId === id && e.state === 'done');
      expect(lastRecords).toBeLessThan(done);
    }
    // Run b's status never says "done" before b has started.
    const bStates = h.events.flatMap((e) => (e.type === 'status' && e.runId === 'b' ? [e.state] : []));
    expect(bStates[0]).toBe('starting');
  });
});

describe('TrainingHost checkpoints', () => {
  const RUN = { ...TINY, totalSteps: 400, seed: 2 };
  const learning = (records: MetricRecord[]) => records.filter((r) => r.type !== 'throughput');

  it('saves the run on request, and a run resumed from it ends with the records of the uninterrupted run', async () => {
    const whole = makeHost();
    await whole.host.receive({ type: 'start', config: RUN });
    await until(() => whole.status()?.state === 'done', 60_000);
    const all = learning(whole.records());
    shutdownTestHost();

    const h = makeHost();
    await h.host.receive({ type: 'start', config: RUN, runId: 'first' });
    await h.host.receive({ type: 'step', steps: 230 });
    await until(() => h.status()?.state === 'paused');
    await h.host.receive({ type: 'saveCheckpoint' });
    const saved = h.events.find((e) => e.type === 'checkpoint');
    expect(saved).toMatchObject({
      type: 'checkpoint',
      runId: 'first',
      envId: 'Pendulum-v1',
      reason: 'manual',
    });
    if (saved?.type !== 'checkpoint') return;
    expect(saved.step).toBeGreaterThanOrEqual(230);
    // A damaged file is refused and the paused run is untouched.
    const stepBefore = h.status()?.step;
    await h.host.receive({ type: 'resumeFrom', text: saved.text.slice(0, -10) });
    expect(h.notices().at(-1)).toMatch(/^Not resumed: Not a usable checkpoint: the file is cut short/);
    expect(h.status()).toMatchObject({ state: 'paused', step: stepBefore, runId: 'first' });

    // Resumed in a fresh host (a new page): paused at the saved step, its history sent first, then on to the end.
    shutdownTestHost();
    const r = makeHost();
    await r.host.receive({ type: 'resumeFrom', text: saved.text, runId: 'again' });
    expect(r.status()).toMatchObject({ state: 'paused', step: saved.step, runId: 'again' });
    expect(r.notices().at(-1)).toMatch(/Restored the run at env step \d+: press Resume/);
    await r.host.receive({ type: 'resume' });
    await until(() => r.status()?.state === 'done', 60_000);
    expect(learning(r.records())).toEqual(all);
  }, 120_000);

  it('leaves the replay buffer out when asked, now and on the schedule: a far smaller file that resumes and trains on', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'autoCheckpoint', everySteps: 100, buffer: false });
    await h.host.receive({ type: 'start', config: RUN });
    await h.host.receive({ type: 'step', steps: 250 });
    await until(() => h.status()?.state === 'paused');
    await h.host.receive({ type: 'saveCheckpoint' });
    await h.host.receive({ type: 'saveCheckpoint', buffer: false });
    await h.host.receive({ type: 'pause' }); // lets the queued saves finish
    const saved = h.events.flatMap((e) => (e.type === 'checkpoint' ? [e] : []));
    const autos = saved.filter((c) => c.reason === 'auto');
    const [whole, lean] = saved.filter((c) => c.reason === 'manual');
    expect(autos.length).toBeGreaterThanOrEqual(2);
    expect(autos.every((c) => !c.buffer)).toBe(true);
    expect([whole.buffer, lean.buffer]).toEqual([true, false]);
    expect(lean.step).toBe(whole.step);
    // The buffer is left out, and with it at least its 250 transitions' float32 bytes (3 + 1 + 1 + 3 + 1
    // numbers each; base64 makes them a third longer).
    const leanReading = await decodeCheckpoint(lean.text);
    expect(leanReading.ok && leanReading.checkpoint.state.buffer).toBe(null);
    expect(whole.text.length - lean.text.length).toBeGreaterThan(whole.step * 9 * 4);

    shutdownTestHost();
    const r = makeHost();
    await r.host.receive({ type: 'resumeFrom', text: lean.text });
    expect(r.status()).toMatchObject({ state: 'paused', step: lean.step });
    await r.host.receive({ type: 'resume' });
    await until(() => r.status()?.state === 'done', 60_000);
    expect(r.status()?.step).toBe(RUN.totalSteps);
    expect(r.records().some((rec) => rec.type === 'stopped')).toBe(false);
  }, 60_000);

  it('saves on its own every n env steps once asked to', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'autoCheckpoint', everySteps: 100 });
    await h.host.receive({ type: 'start', config: { ...RUN, totalSteps: 350 } });
    await until(() => h.status()?.state === 'done', 60_000);
    await h.host.receive({ type: 'pause' }); // lets the queued saves finish
    const steps = h.events.flatMap((e) => (e.type === 'checkpoint' ? [[e.step, e.reason]] : []));
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.every(([, reason]) => reason === 'auto')).toBe(true);
    expect((steps[0][0] as number) >= 100 && (steps[0][0] as number) < 200).toBe(true);
  }, 60_000);

  it('a divergence mid-run pauses it with the quantity and update at fault, saves nothing after, refuses to go on, and rolls back to the last checkpoint', async () => {
    const h = makeHost({
      envFactory: async () => new ScriptedEnv({ poisonAfter: 320, maxEpisodeSteps: 1000 }),
    });
    await h.host.receive({ type: 'autoCheckpoint', everySteps: 100 });
    await h.host.receive({ type: 'start', config: { ...RUN, totalSteps: 5000, logEvery: 1 } });
    await until(() => h.status()?.divergence != null, 60_000);
    const status = h.status();
    expect(status?.state).toBe('paused');
    expect(status?.stoppedReason).toMatch(
      /^Diverged at env step \d+, update \d+: the critic loss is not finite/,
    );
    expect(status?.divergence).toEqual({
      quantity: 'the critic loss',
      step: status?.step,
      update: status?.updates,
    });
    // Resume and Step are refused with the way out; the run stays where it is.
    for (const command of [{ type: 'resume' }, { type: 'step', steps: 10 }] as const) {
      await h.host.receive(command);
      expect(h.notices().at(-1)).toMatch(
        /This run cannot go on: the critic loss became non-finite at update \d+\. Roll back to a checkpoint from before step \d+, or restart/,
      );
      expect(h.status()).toMatchObject({ state: 'paused', step: status?.step });
    }
    const saved = h.events.flatMap((e) => (e.type === 'checkpoint' ? [e] : []));
    expect(saved.length).toBeGreaterThan(0);
    // Every checkpoint is from before the poison: none was taken once the run had diverged.
    expect(saved.every((c) => c.step <= 320)).toBe(true);
    await h.host.receive({ type: 'saveCheckpoint' });
    expect(h.notices().at(-1)).toMatch(/stopped by itself/);
    const last = saved.at(-1);
    if (!last) return;
    await h.host.receive({ type: 'resumeFrom', text: last.text });
    expect(h.status()).toMatchObject({ state: 'paused', step: last.step, stoppedReason: null });
  }, 60_000);
});

/** A freshly made Pendulum policy, exported as the page exports one. */
async function pendulumPolicy() {
  const { exportPolicy } = await import('../../src/rl/policyExport');
  const { TD3 } = await import('../../src/rl/td3');
  const { configFromPreset } = await import('../../src/rl/presets');
  const space = { id: 'Pendulum-v1', observationSize: 3, actionSize: 1, actionLow: [-2], actionHigh: [2] };
  const config = configFromPreset('quick', { hidden1: 8, hidden2: 8 });
  const agent = new TD3(space, config, 1);
  const policy = await exportPolicy(agent, space, config, 0);
  agent.dispose();
  return policy;
}

describe('TrainingHost watching an exported policy', () => {
  it('runs an exported LayersModel in its env without any training run, and refuses one for another env', async () => {
    const policy = await pendulumPolicy();
    const h = makeHost();
    await h.host.receive({
      type: 'watchExported',
      modelJson: policy.modelJson,
      weights: policy.weights.slice(0),
      envId: 'MountainCarContinuous-v0',
    });
    expect(h.notices().at(-1)).toMatch(
      /^Not watched: the model maps 3 numbers to 1, but MountainCarContinuous-v0 has 2 observations/,
    );
    await h.host.receive({
      type: 'watchExported',
      modelJson: '{"nope":1}',
      weights: policy.weights.slice(0),
      envId: 'Pendulum-v1',
    });
    expect(h.notices().at(-1)).toMatch(/^Not watched: model.json has no topology/);
    await h.host.receive({
      type: 'watchExported',
      modelJson: policy.modelJson,
      weights: policy.weights,
      envId: 'Pendulum-v1',
    });
    // Without policy.config.json the sizes are checked, and the page says the checksum could not be.
    expect(h.notices().at(-1)).toBe(
      'Watching the exported policy on Pendulum-v1 (without policy.config.json: sizes checked, no checksum)',
    );
    await until(() => h.events.filter((e) => e.type === 'frame' && e.source === 'watch').length >= 3, 10_000);
    const frame = h.events.find((e) => e.type === 'frame' && e.source === 'watch');
    expect(frame?.type === 'frame' && frame.envId).toBe('Pendulum-v1');
    if (frame?.type === 'frame') expect(Math.abs(frame.action[0])).toBeLessThanOrEqual(2);
  });
});

describe('TrainingHost refusing corrupted policy files', () => {
  it('refuses 50 damaged, truncated or edited exported policies, each with a reason, and keeps watching nothing', async () => {
    const { Random } = await import('../../src/common/random');
    const policy = await pendulumPolicy();
    const rng = Random.stream(3, 'policy-corruption');
    const model = JSON.parse(policy.modelJson);
    const cases: [string, string, ArrayBuffer][] = [];
    for (let k = 0; k < 15; k++) {
      const cut = 1 + rng.int(policy.modelJson.length - 2);
      cases.push([`model.json cut at ${cut}`, policy.modelJson.slice(0, cut), policy.weights.slice(0)]);
    }
    for (let k = 0; k < 15; k++) {
      const cut = rng.int(policy.weights.byteLength - 1);
      cases.push([`weights cut at ${cut}`, policy.modelJson, policy.weights.slice(0, cut)]);
    }
    const edits: [string, (m: typeof model) => void][] = [
      ['no topology', (m) => delete m.modelTopology],
      ['no manifest', (m) => delete m.weightsManifest],
      ['empty manifest', (m) => (m.weightsManifest = [])],
      ['a weight spec missing', (m) => m.weightsManifest[0].weights.pop()],
      ['a weight shape changed', (m) => (m.weightsManifest[0].weights[0].shape = [4, 8])],
      ['a dtype changed', (m) => (m.weightsManifest[0].weights[0].dtype = 'int64')],
      ['a layer removed', (m) => m.modelTopology.config.layers.splice(1, 1)],
      ['unknown layer class', (m) => (m.modelTopology.config.layers[1].class_name = 'Evil')],
      ['input size changed', (m) => (m.modelTopology.config.layers[0].config.batch_input_shape = [null, 5])],
      ['output size changed', (m) => (m.modelTopology.config.layers.at(-1).config.units = 2)],
      ['topology a string', (m) => (m.modelTopology = 'model')],
      ['manifest weights not a list', (m) => (m.weightsManifest[0].weights = 5)],
      ['a weight spec without a name', (m) => delete m.weightsManifest[0].weights[0].name],
      ['layers not a list', (m) => (m.modelTopology.config.layers = {})],
      ['no model config', (m) => delete m.modelTopology.config],
      ['units not a number', (m) => (m.modelTopology.config.layers[0].config.units = 'many')],
      ['an unknown activation', (m) => (m.modelTopology.config.layers[0].config.activation = 'evil')],
      ['two weight specs swapped', (m) => m.weightsManifest[0].weights.reverse()],
    ];
    for (const [name, edit] of edits) {
      const copy = JSON.parse(policy.modelJson);
      edit(copy);
      cases.push([name, JSON.stringify(copy), policy.weights.slice(0)]);
    }
    cases.push(['random bytes as weights', policy.modelJson, new Uint8Array(7).buffer]);
    cases.push(['not JSON', '\u0000\u0001', policy.weights.slice(0)]);
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(model.weightsManifest[0].weights.length).toBeGreaterThan(0);

    const h = makeHost();
    for (const entry of cases) {
      const [name, modelJson, weights] = entry;
      const before = h.notices().length;
      // Half the cases come with policy.config.json (checksums checked), half without (only the model's checks).
      const withConfig = cases.indexOf(entry) % 2 === 0 || name === 'two weight specs swapped';
      await h.host.receive({
        type: 'watchExported',
        modelJson,
        weights,
        envId: 'Pendulum-v1',
        ...(withConfig ? { config: { ...policy.config } } : {}),
      });
      const said = h.notices().slice(before);
      expect(said, name).toHaveLength(1);
      expect(said[0], name).toMatch(/^Not watched: /);
    }
    await new Promise((r) => setTimeout(r, 150));
    expect(h.events.some((e) => e.type === 'frame')).toBe(false);
    // The intact files still work afterwards.
    await h.host.receive({
      type: 'watchExported',
      modelJson: policy.modelJson,
      weights: policy.weights,
      envId: 'Pendulum-v1',
      config: { ...policy.config },
    });
    expect(h.notices().at(-1)).toBe('Watching the exported policy on Pendulum-v1');
  }, 60_000);
});
