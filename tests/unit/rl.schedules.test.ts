import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanRlCommand, zooHyperparameters } from '../../src/lab/externalConfigs';
import type { Config } from '../../src/rl/hyperparameters';
import { configFromPreset } from '../../src/rl/presets';
import { learningProgress, scheduled } from '../../src/rl/schedules';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpointFile';
import type { MetricRecord } from '../../src/train/metrics';
import { TrainingSession } from '../../src/train/session';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('schedules', () => {
  it('move from the start value to the end value by their formulas', () => {
    for (const p of [0, 0.25, 0.5, 1]) {
      expect(scheduled('constant', 0.3, 0.01, p)).toBe(0.3);
      expect(scheduled('linear', 0.3, 0.01, p)).toBeCloseTo(0.3 - 0.29 * p, 15);
      expect(scheduled('exponential', 0.3, 0.01, p)).toBeCloseTo(0.3 * (0.01 / 0.3) ** p, 15);
      expect(scheduled('cosine', 1e-3, 0, p)).toBeCloseTo((1e-3 * (1 + Math.cos(Math.PI * p))) / 2, 15);
    }
    // Exponential decay halves the distance in log space at p = 0.5: the geometric mean.
    expect(scheduled('exponential', 0.1, 0.001, 0.5)).toBeCloseTo(0.01, 15);
    expect(scheduled('cosine', 1e-3, 1e-4, 0.5)).toBeCloseTo(5.5e-4, 15);
    expect(scheduled('exponential', 0, 0.01, 0.5)).toBe(0);
    expect(() => scheduled('exponential', 0.1, 0, 0.5)).toThrow(/end above 0/);
  });

  it('run over the learning steps: 0 until learning starts, 1 at the last step', () => {
    expect(learningProgress(0, 1000, 11_000)).toBe(0);
    expect(learningProgress(1000, 1000, 11_000)).toBe(0);
    expect(learningProgress(6000, 1000, 11_000)).toBe(0.5);
    expect(learningProgress(11_000, 1000, 11_000)).toBe(1);
    expect(learningProgress(20_000, 1000, 11_000)).toBe(1);
    expect(learningProgress(5, 1000, 1000)).toBe(1);
  });
});

const TINY: Partial<Config> = {
  env: 'Pendulum-v1',
  seed: 5,
  hidden1: 8,
  hidden2: 8,
  batchSize: 16,
  startSteps: 100,
  bufferSize: 2000,
  totalSteps: 500,
  evalEvery: 100,
  evalEpisodes: 1,
  probePairs: 0,
  logEvery: 10,
};

describe('scheduled settings in a session', () => {
  it('decay σ and anneal both learning rates as the steps go, and change nothing when constant', async () => {
    const session = await TrainingSession.create(
      {
        ...TINY,
        explNoise: 0.4,
        explNoiseSchedule: 'exponential',
        explNoiseFinal: 0.004,
        actorLr: 1e-3,
        criticLr: 2e-3,
        lrSchedule: 'cosine',
        lrFinalFraction: 0.1,
      },
      () => {},
    );
    session.advance(100);
    expect(session.scheduledValues).toEqual({ explNoise: 0.4, actorLr: 1e-3, criticLr: 2e-3 });
    session.advance(200); // step 300: halfway through the 400 learning steps
    const half = session.scheduledValues;
    expect(half.explNoise).toBeCloseTo(0.04, 12);
    expect(half.actorLr).toBeCloseTo(5.5e-4, 15);
    expect(half.criticLr).toBeCloseTo(1.1e-3, 15);
    session.advance(200);
    expect(session.scheduledValues.explNoise).toBeCloseTo(0.004, 12);
    expect(session.scheduledValues.actorLr).toBeCloseTo(1e-4, 15);
    // The configuration keeps the values the schedules start from.
    expect(session.getConfig()).toMatchObject({ explNoise: 0.4, actorLr: 1e-3, criticLr: 2e-3 });
    session.dispose();

    const plain = await TrainingSession.create(TINY, () => {});
    plain.advance(300);
    const start = configFromPreset('author', TINY);
    expect(plain.scheduledValues).toEqual({
      explNoise: start.explNoise,
      actorLr: start.actorLr,
      criticLr: start.criticLr,
    });
    plain.dispose();
  });

  it("give the critics a schedule of their own, or none while the actor's anneals", async () => {
    const own = await TrainingSession.create(
      {
        ...TINY,
        actorLr: 1e-3,
        criticLr: 2e-3,
        lrSchedule: 'cosine',
        lrFinalFraction: 0.1,
        criticLrSchedule: 'linear',
        criticLrFinalFraction: 0.5,
      },
      () => {},
    );
    own.advance(300); // halfway through the learning steps
    expect(own.scheduledValues.actorLr).toBeCloseTo(5.5e-4, 15);
    expect(own.scheduledValues.criticLr).toBeCloseTo(1.5e-3, 15);
    own.advance(200);
    expect(own.scheduledValues.criticLr).toBeCloseTo(1e-3, 15);
    own.dispose();

    // The actor alone anneals: the critics' rate stays where it was set.
    const actorOnly = await TrainingSession.create(
      { ...TINY, lrSchedule: 'linear', criticLrSchedule: 'constant', actorLr: 1e-3, criticLr: 2e-3 },
      () => {},
    );
    actorOnly.advance(300);
    expect(actorOnly.scheduledValues.actorLr).toBeCloseTo(5e-4, 15);
    expect(actorOnly.scheduledValues.criticLr).toBe(2e-3);
    actorOnly.dispose();

    // And the other way round: constant actor, annealed critics.
    const criticOnly = await TrainingSession.create(
      { ...TINY, criticLrSchedule: 'linear', actorLr: 1e-3, criticLr: 2e-3 },
      () => {},
    );
    criticOnly.advance(300);
    expect(criticOnly.scheduledValues.actorLr).toBe(1e-3);
    expect(criticOnly.scheduledValues.criticLr).toBeCloseTo(1e-3, 15);
    criticOnly.dispose();
  });

  it('a scheduled run continued from its checkpoint records exactly what the uninterrupted run records', async () => {
    const config = { ...TINY, explNoiseSchedule: 'linear', explNoiseFinal: 0.01, lrSchedule: 'linear' };
    const learning = (records: MetricRecord[]) => records.filter((r) => r.type !== 'throughput');
    const whole: MetricRecord[] = [];
    const uninterrupted = await TrainingSession.create(config, (r) => whole.push(r));
    uninterrupted.advance(1000); // to the end, the last evaluation included
    uninterrupted.dispose();

    const before: MetricRecord[] = [];
    const first = await TrainingSession.create(config, (r) => before.push(r));
    first.advance(250);
    while (first.hasPendingWork) first.runFor(10, 0);
    const text = await encodeCheckpoint({ state: first.exportState(), records: before, wallSeconds: 1 });
    first.dispose();
    const reading = await decodeCheckpoint(text);
    if (!reading.ok) throw new Error(reading.error);
    const after: MetricRecord[] = [];
    const resumed = await TrainingSession.restore(reading.checkpoint.state, (r) => after.push(r));
    resumed.advance(1000);
    resumed.dispose();
    expect(learning([...before, ...after])).toEqual(learning(whole));
    // And the schedule did change the run: the same seed with constant settings learns otherwise.
    const constant: MetricRecord[] = [];
    const other = await TrainingSession.create(TINY, (r) => constant.push(r));
    other.advance(1000);
    other.dispose();
    expect(learning(constant)).not.toEqual(learning(whole));
  });
});

describe('the options beyond the paper in other tools’ files', () => {
  const quick = configFromPreset('quick');
  it('the zoo writes a linear schedule to 0 as lin_, and says what it cannot express', () => {
    const linear = zooHyperparameters({ ...quick, lrSchedule: 'linear', lrFinalFraction: 0 }, 'x');
    expect(linear).toMatch(/learning_rate: lin_0\.001/);
    expect(linear).toMatch(/# Note: the zoo's lin_ schedule runs over all/);
    const cosine = zooHyperparameters({ ...quick, lrSchedule: 'cosine', explNoiseSchedule: 'linear' }, 'x');
    expect(cosine).toMatch(/# Note: .*cannot express this learning-rate schedule \(here cosine/);
    expect(cosine).toMatch(/# Note: .*keeps the exploration noise constant \(here a linear decay/);
    expect(cleanRlCommand({ ...quick, lrSchedule: 'linear' }, 'x')).toMatch(
      /# Note: CleanRL cannot express this learning-rate schedule/,
    );
    expect(zooHyperparameters(quick, 'x')).not.toMatch(/schedule|lin_|-step/);
    expect(cleanRlCommand({ ...quick, nStep: 3 }, 'x')).toMatch(
      /# Note: .*here they are 3-step, there one-step/,
    );
    // The critics' own schedule and normalised critics, which neither tool's file carries.
    const ownCritic = { ...quick, lrSchedule: 'linear', criticLrSchedule: 'constant' };
    expect(zooHyperparameters(ownCritic, 'x')).toMatch(/# Note: .*here the critics' is constant/);
    expect(zooHyperparameters({ ...quick, criticLrSchedule: 'same' }, 'x')).not.toMatch(/critics' is/);
    expect(cleanRlCommand({ ...quick, criticNorm: 'layer' }, 'x')).toMatch(
      /# Note: CleanRL's critics have no layer normalisation/,
    );
  });
});
