/**
 * Fuzz: hundreds of invalid configurations and malformed messages thrown at the worker's host. Each gets a
 * clear message naming what is wrong; none trains on garbage; and the host still trains afterwards. The
 * URL reader gets hostile values too, and gives them back only as reported text.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { DEFAULT_CONFIG, FIELD_NAMES, FIELDS, type FieldName } from '../../src/rl/hyperparameters';
import { configFromHash } from '../../src/ui/urlState';
import { makeHost, shutdownTestHost, TINY, until } from '../helpers/testHost';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
afterEach(() => shutdownTestHost());

/** Values no field of the schema accepts as its type, or outside every range. */
function badValueFor(name: FieldName, rng: Random): unknown {
  const field = FIELDS[name];
  const wrongTypes: unknown[] = [null, [], {}, 'NaN', '1e3', true, [1], { valueOf: 1 }, '<script>'];
  if (field.kind === 'boolean') return [0, 1, 'true', null, [], {}][rng.int(6)];
  if (field.kind === 'choice')
    return [0, null, true, {}, [], ...(field.options.length ? ['nope', ''] : [''])][rng.int(7)];
  const numeric: unknown[] = [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    field.min - 1 - rng.uniform() * 10,
    field.max * 2 + 1,
    -1e308,
    1e308,
  ];
  if (field.kind === 'integer') numeric.push(field.min + 0.5);
  const pool = [...numeric, ...wrongTypes];
  return pool[rng.int(pool.length)];
}

function invalidConfig(rng: Random): { config: Record<string, unknown>; culprit: string } {
  const config: Record<string, unknown> = { ...TINY };
  if (rng.uniform() < 0.15) {
    const key = ['colour', '__proto__x', 'constructor ', 'totalsteps', 'actor_lr'][rng.int(5)];
    config[key] = 1;
    return { config, culprit: key.trim() };
  }
  const candidates = FIELD_NAMES.filter((n) => n !== 'env' || rng.uniform() < 0.3);
  const name = candidates[rng.int(candidates.length)];
  config[name] = badValueFor(name, rng);
  return { config, culprit: name };
}

function junkMessage(rng: Random): unknown {
  const pick = <T>(xs: T[]) => xs[rng.int(xs.length)];
  return pick<() => unknown>([
    () => pick([null, undefined, 0, 42, 'start', '', [], [1, 2], true]),
    () => ({ type: pick(['', 'START', 'launch', 'eval', '__proto__', 'constructor', 'toString']) }),
    () => ({ type: 'step', steps: pick([0, -5, 1.5, 1e9, Number.NaN, '10', null]) }),
    () => ({ type: 'setSpeed', stepsPerSecond: pick([0, -1, Number.POSITIVE_INFINITY, 'fast', 1e9]) }),
    () => ({ type: 'landscape', resolution: pick([0, 3, 129, 1e6, 7.5, 'x']) }),
    () => ({ type: 'watchPolicy', on: pick(['yes', 1, null]) }),
    () => ({ type: 'start', config: pick([null, 'quick', [], 42]) }),
    () => ({ type: 'start', config: {}, backend: pick(['tpu', '', 7, 'WASM']) }),
    () => ({ type: 'restart', newSeed: pick(['no', 0, null]) }),
    () => ({ type: 'setParams', params: pick([null, 'tau=1', [], 3]) }),
    () => ({ type: 'start', config: {}, runId: 'x'.repeat(500) }),
  ])();
}

describe('fuzz: the worker host against bad input', () => {
  it('answers 250 invalid configurations with the field at fault, and still trains afterwards', async () => {
    const h = makeHost();
    const rng = Random.stream(7, 'fuzz-configs');
    for (let k = 0; k < 250; k++) {
      const { config, culprit } = invalidConfig(rng);
      const before = h.notices().length;
      await h.host.receive({ type: 'start', config });
      const said = h.notices().slice(before);
      expect(said, `config ${k}: ${JSON.stringify(config)}`).toHaveLength(1);
      expect(said[0]).toMatch(/^Not started: /);
      expect(said[0], `config ${k}`).toContain(culprit === 'env' ? 'env' : culprit);
      expect(h.status()?.state ?? 'idle').not.toBe('running');
    }
    // Nothing was started by any of them; a valid start still works.
    expect(h.records()).toHaveLength(0);
    await h.host.receive({ type: 'start', config: TINY });
    await until(() => (h.status()?.step ?? 0) > 80);
    expect(h.status()?.state).toBe('running');
  }, 60_000);

  it('answers 300 malformed messages with an error and keeps the run going unchanged', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY });
    await until(() => h.status()?.state === 'running');
    const config = h.status()?.config;
    const rng = Random.stream(8, 'fuzz-messages');
    let answered = 0;
    for (let k = 0; k < 300; k++) {
      const before = h.notices().length;
      await h.host.receive(junkMessage(rng));
      const said = h.notices().slice(before);
      if (said.length) answered++;
      for (const message of said)
        expect(message).toMatch(/Malformed command|Not started|Not applied|Unknown setting/);
    }
    expect(answered).toBe(300);
    // Bad live changes are refused whole; the running configuration is the one it had.
    for (const [name, value] of [
      ['tau', 7],
      ['actorLr', Number.NaN],
      ['policyDelay', 0.5],
      ['wings', 2],
    ] as const) {
      const before = h.notices().length;
      await h.host.receive({ type: 'setParams', params: { [name]: value } });
      expect(h.notices().slice(before).join(' ')).toMatch(/Not applied|Unknown setting/);
    }
    const step = h.status()?.step ?? 0;
    await until(() => (h.status()?.step ?? 0) > step + 50);
    expect(h.status()?.state).toBe('running');
    expect(h.status()?.config).toEqual(config);
  }, 60_000);
});

describe('fuzz: hostile links', () => {
  const hostile = [
    '<img src=x onerror=alert(1)>',
    '"><script>alert(1)</script>',
    'javascript:alert(1)',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template injection, as a link would carry it
    '${constructor.constructor("return 1")()}',
    '%3Csvg onload=alert(1)%3E',
    '1e999',
    '__proto__',
    '\u0000\u202e',
  ];

  it('never lets a hostile value into the configuration: each is reported as text and the preset value kept', () => {
    const base = configFromHash('#preset=quick').config;
    for (const value of hostile) {
      for (const name of ['actorLr', 'env', 'explNoiseType', 'twinCritics', 'seed', 'preset', value]) {
        const hash = `#preset=quick&${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
        const reading = configFromHash(hash);
        if (name === 'env') expect(reading.config.env).toBe(base.env);
        for (const field of FIELD_NAMES) {
          const v = reading.config[field];
          if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
          expect(v === base[field] || field === name).toBe(true);
        }
        expect(reading.problems.length, hash).toBeGreaterThan(0);
        expect(Object.getPrototypeOf(reading.config)).toBe(Object.prototype);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }
    }
    expect(Object.keys(DEFAULT_CONFIG).sort()).toEqual([...FIELD_NAMES].sort());
  });
});
