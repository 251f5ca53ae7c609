/** The hyperparameter schema (defaults, ranges, error messages) and the named presets. */
import { describe, expect, it } from 'vitest';
import {
  allowedValues,
  type Config,
  DEFAULT_CONFIG,
  FIELD_NAMES,
  FIELDS,
  parseConfig,
  validateConfig,
} from '../../src/rl/hyperparameters';
import { configFromPreset, PRESET_NAMES, presetAvailable, presetOverrides } from '../../src/rl/presets';

function errorsOf(input: unknown): string[] {
  const result = validateConfig(input);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.errors;
}

describe('defaults', () => {
  it('are the authors’ repository values (sfujim/TD3 main.py and TD3.py)', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      hidden1: 256,
      hidden2: 256,
      actorLr: 3e-4,
      criticLr: 3e-4,
      batchSize: 256,
      discount: 0.99,
      tau: 0.005,
      explNoise: 0.1,
      explNoiseType: 'gaussian',
      policyNoise: 0.2,
      noiseClip: 0.5,
      policyDelay: 2,
      startSteps: 25_000,
      bufferSize: 1_000_000,
      totalSteps: 1_000_000,
      evalEvery: 5000,
      evalEpisodes: 10,
      seed: 0,
      twinCritics: true,
      targetSmoothing: true,
      updatesPerStep: 1,
    });
  });

  it('an empty object validates to exactly the defaults, and every default is inside its own range', () => {
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
    expect(Object.keys(DEFAULT_CONFIG).sort()).toEqual([...FIELD_NAMES].sort());
    for (const name of FIELD_NAMES) {
      const field = FIELDS[name];
      if (field.kind === 'number' || field.kind === 'integer') {
        expect(field.min, name).toBeLessThanOrEqual(field.default);
        expect(field.default, name).toBeLessThanOrEqual(field.max);
        if (field.kind === 'integer') expect(Number.isInteger(field.default), name).toBe(true);
      }
      expect(field.description.length, name).toBeGreaterThan(5);
    }
  });

  it('names every field in words for the page, each label its own and none the bare field name', () => {
    const labels = FIELD_NAMES.map((name) => FIELDS[name].label);
    expect(new Set(labels).size).toBe(FIELD_NAMES.length);
    for (const name of FIELD_NAMES) {
      const { label } = FIELDS[name];
      expect(label, name).toMatch(/^[A-Z]/);
      expect(label.includes(' ') || label.length > name.length, name).toBe(true);
      expect(label, name).not.toBe(name);
    }
    expect(FIELDS.actorLr.label).toBe('Actor learning rate');
  });

  it('keeps given values and fills in the rest', () => {
    const config = parseConfig({ actorLr: 1e-3, twinCritics: false, explNoiseType: 'ou' });
    expect(config.actorLr).toBe(1e-3);
    expect(config.twinCritics).toBe(false);
    expect(config.explNoiseType).toBe('ou');
    expect(config.criticLr).toBe(3e-4);
  });

  it('accepts the ends of each numeric range', () => {
    expect(validateConfig({ actorLr: 1e-6, tau: 1, policyDelay: 10, probePairs: 0, noiseClip: 0 }).ok).toBe(
      true,
    );
    expect(validateConfig({ actorLr: 1e-2, batchSize: 2, bufferSize: 100 }).ok).toBe(true);
  });
});

describe('validation errors name the field, the value and the allowed range', () => {
  it.each([
    [{ actorLr: 5 }, 'actorLr', '5', ['0.000001', '0.01']],
    [{ actorLr: 0 }, 'actorLr', '0', ['0.000001', '0.01']],
    [{ discount: Number.NaN }, 'discount', 'NaN', ['0.8', '0.9999']],
    [{ tau: Number.POSITIVE_INFINITY }, 'tau', 'Infinity', ['0.0001', '1']],
    [{ batchSize: '256' }, 'batchSize', '"256"', ['integer', '2', '4096']],
    [{ batchSize: 100.5 }, 'batchSize', '100.5', ['integer', '2', '4096']],
    [{ policyDelay: 0 }, 'policyDelay', '0', ['integer', '1', '10']],
    [{ seed: -1 }, 'seed', '-1', ['0', '2147483647']],
    [{ twinCritics: 'yes' }, 'twinCritics', '"yes"', ['true or false']],
    [{ explNoiseType: 'pink' }, 'explNoiseType', '"pink"', ['gaussian', 'ou']],
    [{ tau: null }, 'tau', 'null', ['0.0001', '1']],
  ] as const)('%o', (input, field, value, range) => {
    const errors = errorsOf(input);
    expect(errors).toHaveLength(1);
    const [message] = errors;
    expect(message).toContain(field);
    expect(message).toContain(`= ${value}`);
    for (const part of range) expect(message).toContain(part);
  });

  it('rejects an unknown key, naming it and listing the known fields', () => {
    const [message] = errorsOf({ actorLR: 1e-3 });
    expect(message).toContain('actorLR');
    expect(message).toContain('actorLr');
    for (const name of FIELD_NAMES) expect(message).toContain(name);
  });

  it('rejects a non-object', () => {
    for (const input of [5, 'x', null, [1]]) expect(errorsOf(input).join()).toMatch(/object/);
  });

  it('reports several errors together, and parseConfig throws them all in one Error', () => {
    const input = { actorLr: 5, batchSize: 1.5, discount: 'high', foo: 1 };
    const errors = errorsOf(input);
    expect(errors).toHaveLength(4);
    for (const start of ['actorLr = 5 ', 'batchSize = 1.5 ', 'discount = "high" ', 'unknown field foo:']) {
      expect(errors.filter((e) => e.startsWith(start))).toHaveLength(1);
    }
    let thrown: Error | undefined;
    try {
      parseConfig(input);
    } catch (e) {
      thrown = e as Error;
    }
    expect(thrown).toBeInstanceOf(Error);
    for (const e of errors) expect(thrown?.message).toContain(e);
  });

  it('describes allowed values for each kind of field', () => {
    expect(allowedValues(FIELDS.hidden1)).toBe('an integer in [1, 1024]');
    expect(allowedValues(FIELDS.discount)).toBe('a number in [0.8, 0.9999]');
    expect(allowedValues(FIELDS.twinCritics)).toBe('true or false');
    expect(allowedValues(FIELDS.explNoiseType)).toBe('one of gaussian, ou');
  });
});

describe('presets', () => {
  const authorKeep: Partial<Config> = { twinCritics: true, policyDelay: 2, targetSmoothing: true };

  it('author is the defaults', () => {
    expect(configFromPreset('author')).toEqual(DEFAULT_CONFIG);
  });

  it('paper: 400-300, lr 1e-3, batch 100, 1k random steps (10k on HalfCheetah and Ant)', () => {
    const paper = { hidden1: 400, hidden2: 300, actorLr: 1e-3, criticLr: 1e-3, batchSize: 100 };
    for (const env of ['Pendulum-v1', 'Hopper-v5', 'Walker2d-v5']) {
      expect(configFromPreset('paper', { env })).toMatchObject({
        ...paper,
        ...authorKeep,
        startSteps: 1000,
        env,
      });
    }
    for (const env of ['HalfCheetah-v5', 'Ant-v5']) {
      expect(configFromPreset('paper', { env })).toMatchObject({ ...paper, startSteps: 10_000, env });
    }
    // The paper keeps the authors' γ, τ and noise.
    expect(configFromPreset('paper')).toMatchObject({
      discount: 0.99,
      tau: 0.005,
      policyNoise: 0.2,
      noiseClip: 0.5,
    });
  });

  it('ddpg turns all three tricks off and changes nothing else', () => {
    const ddpg = configFromPreset('ddpg');
    expect(ddpg).toEqual({ ...DEFAULT_CONFIG, twinCritics: false, policyDelay: 1, targetSmoothing: false });
  });

  it('zoo Pendulum-v1: γ 0.98, buffer 200k, 10k random steps, 400-300, lr 1e-3', () => {
    expect(configFromPreset('zoo', { env: 'Pendulum-v1' })).toMatchObject({
      discount: 0.98,
      bufferSize: 200_000,
      startSteps: 10_000,
      hidden1: 400,
      hidden2: 300,
      actorLr: 1e-3,
      criticLr: 1e-3,
      totalSteps: 20_000,
      ...authorKeep,
    });
    expect(configFromPreset('zoo', { env: 'MountainCarContinuous-v0' })).toMatchObject({
      explNoiseType: 'ou',
      explNoise: 0.5,
      startSteps: 100,
    });
  });

  it('zoo throws for an env it has no values for, and says so in presetAvailable', () => {
    expect(() => configFromPreset('zoo', { env: 'CartPole-v1' })).toThrow(/CartPole-v1/);
    expect(() => presetOverrides('zoo', 'CartPole-v1')).toThrow(/no tuned values/);
    expect(presetAvailable('zoo', 'CartPole-v1')).toBe(false);
    expect(presetAvailable('zoo', 'Pendulum-v1')).toBe(true);
    for (const name of PRESET_NAMES)
      if (name !== 'zoo') expect(presetAvailable(name, 'CartPole-v1')).toBe(true);
  });

  it('caller overrides win over the preset, and are validated', () => {
    expect(configFromPreset('paper', { batchSize: 64 }).batchSize).toBe(64);
    expect(() => configFromPreset('paper', { batchSize: 1 })).toThrow(/batchSize = 1/);
    expect(() => configFromPreset('nope' as never)).toThrow(/Unknown preset/);
  });

  it('every preset validates for the two built-in envs', () => {
    for (const env of ['Pendulum-v1', 'MountainCarContinuous-v0']) {
      for (const name of PRESET_NAMES) expect(() => configFromPreset(name, { env })).not.toThrow();
    }
  });
});
