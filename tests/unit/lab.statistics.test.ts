/**
 * The lab's statistics against known values: SciPy's `trim_mean` and NumPy's `percentile` for exact ones,
 * SciPy's `stats.bootstrap(method='percentile')` (200,000 resamples, computed once) for the intervals, which
 * agree up to resampling noise; and the coverage a 95 % interval must have.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import {
  bootstrapInterval,
  coefficientOfVariation,
  firstStepReaching,
  interquartileMean,
  mean,
  median,
  normalizedArea,
  percentile,
  std,
} from '../../src/lab/statistics';

const FINALS = [-150.2, -171.4, -143.7, -127.3, -207.8];
const UNIFORMISH = [0.1, 0.5, 0.3, 0.9, 0.7, 0.2, 0.4, 0.8, 0.6, 1.0];

describe('lab statistics', () => {
  it('interquartile mean cuts ⌊n/4⌋ values from each end, as scipy.stats.trim_mean(x, 0.25)', () => {
    expect(interquartileMean(FINALS)).toBeCloseTo(-155.1, 10);
    expect(interquartileMean([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBeCloseTo(5.5, 12);
    expect(interquartileMean([1, 2, 3, 4, 100])).toBeCloseTo(3, 12); // one wild seed does not move it
    expect(interquartileMean([5, 9])).toBe(7); // too few to cut
    expect(interquartileMean([])).toBeNaN();
  });

  it('percentiles interpolate linearly, as numpy.percentile', () => {
    expect(percentile([1, 2, 3, 4], 2.5)).toBeCloseTo(1.075, 12);
    expect(percentile([3, 1, 4, 1, 5, 9, 2, 6], 10)).toBeCloseTo(1, 12);
    expect(median([3, 1, 4, 1, 5, 9, 2, 6])).toBeCloseTo(3.5, 12);
    expect(percentile([3, 1, 4, 1, 5, 9, 2, 6], 97.5)).toBeCloseTo(8.475, 12);
  });

  it('mean, population std and coefficient of variation', () => {
    expect(mean(FINALS)).toBeCloseTo(-160.08, 10);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
    expect(coefficientOfVariation(FINALS)).toBeCloseTo(0.17324894242144984, 12);
  });

  it('percentile bootstrap intervals match SciPy’s up to resampling noise', () => {
    const opts = { resamples: 20_000, seed: 3 };
    const a = bootstrapInterval(FINALS, mean, opts);
    expect(a.estimate).toBeCloseTo(-160.08, 10);
    expect(a.low).toBeCloseTo(-185.96, -0.3); // within ±1
    expect(a.high).toBeCloseTo(-138.44, -0.3);
    const b = bootstrapInterval(FINALS, interquartileMean, opts);
    expect(Math.abs(b.low - -195.667)).toBeLessThan(1.5);
    expect(Math.abs(b.high - -132.767)).toBeLessThan(1.5);
    const c = bootstrapInterval(UNIFORMISH, mean, opts);
    expect(Math.abs(c.low - 0.37)).toBeLessThan(0.01);
    expect(Math.abs(c.high - 0.73)).toBeLessThan(0.01);
    // The IQM of 10 values moves in steps of 1/60: at 200,000 resamples both land on the same step.
    const d = bootstrapInterval(UNIFORMISH, interquartileMean, { resamples: 200_000, seed: 3 });
    expect(Math.abs(d.low - 0.31667)).toBeLessThan(0.01);
    expect(Math.abs(d.high - 0.78333)).toBeLessThan(0.01);
  });

  it('the same data and seed give the same interval; one value gives a point; constant data a point', () => {
    expect(bootstrapInterval(FINALS, mean, { seed: 9 })).toEqual(
      bootstrapInterval(FINALS, mean, { seed: 9 }),
    );
    expect(bootstrapInterval([4.5])).toEqual({ estimate: 4.5, low: 4.5, high: 4.5 });
    expect(bootstrapInterval([2, 2, 2, 2])).toEqual({ estimate: 2, low: 2, high: 2 });
  });

  it('a 95 % interval of the mean covers the true mean about 95 % of the time (n = 30, normal data)', () => {
    const random = Random.stream(1, 'coverage');
    let covered = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 30 }, () => 10 + 3 * random.normal());
      const ci = bootstrapInterval(sample, mean, { resamples: 1000, seed: t });
      if (ci.low <= 10 && 10 <= ci.high) covered++;
    }
    // The percentile bootstrap covers a little under its level at small n: ≈ 93–95 % here.
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.98);
  });

  it('normalised area is the trapezoid area over the steps spanned (numpy.trapezoid / span)', () => {
    const curve = [
      { step: 0, value: 0 },
      { step: 1000, value: 10 },
      { step: 3000, value: 10 },
    ];
    expect(normalizedArea(curve)).toBeCloseTo(8.333333333333334, 12);
    expect(normalizedArea([{ step: 5, value: -3 }])).toBe(-3);
    expect(normalizedArea([])).toBeNaN();
  });

  it('steps to a threshold: the first evaluation at or above it, or null', () => {
    const curve = [
      { step: 1000, value: -900 },
      { step: 2000, value: -200 },
      { step: 3000, value: -150 },
    ];
    expect(firstStepReaching(curve, -200)).toBe(2000);
    expect(firstStepReaching(curve, -100)).toBeNull();
  });
});
