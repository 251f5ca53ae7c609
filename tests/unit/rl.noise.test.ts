/** Exploration noise (Gaussian, Ornstein–Uhlenbeck), clipping, and the seeded random streams under them. */
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import {
  addNoiseAndClip,
  GaussianNoise,
  makeExplorationNoise,
  OrnsteinUhlenbeckNoise,
} from '../../src/rl/noise';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};
/** Lag-1 autocorrelation. */
function autocorrelation(xs: number[]): number {
  const m = mean(xs);
  let num = 0;
  let den = 0;
  for (let t = 0; t < xs.length; t++) {
    den += (xs[t] - m) ** 2;
    if (t > 0) num += (xs[t] - m) * (xs[t - 1] - m);
  }
  return num / den;
}

/** Bounds [−1, 3] and [0, 0.5] → half ranges 2 and 0.25. */
const halfRange = [2, 0.25];

function draw(noise: { sample(): Float64Array }, steps: number): number[][] {
  const cols: number[][] = halfRange.map(() => []);
  for (let t = 0; t < steps; t++) {
    const x = noise.sample();
    cols.forEach((c, d) => {
      c.push(x[d]);
    });
  }
  return cols;
}

describe('GaussianNoise', () => {
  it('has std σ·halfRange per dimension, zero mean, no autocorrelation', () => {
    const sigma = 0.3;
    const cols = draw(new GaussianNoise(halfRange, sigma, new Random(1)), 20_000);
    cols.forEach((col, d) => {
      const want = sigma * halfRange[d];
      expect(std(col) / want).toBeGreaterThan(0.97);
      expect(std(col) / want).toBeLessThan(1.03);
      expect(Math.abs(mean(col))).toBeLessThan(0.03 * want);
      expect(Math.abs(autocorrelation(col))).toBeLessThan(0.03);
    });
    // The two dimensions are independent.
    const [a, b] = cols;
    const cov = mean(a.map((x, t) => x * b[t])) - mean(a) * mean(b);
    expect(Math.abs(cov / (std(a) * std(b)))).toBeLessThan(0.03);
  });

  it('follows a live change of σ; σ = 0 gives no noise; reset is a no-op', () => {
    const noise = new GaussianNoise(halfRange, 0.1, new Random(2));
    noise.sigma = 0.5;
    expect(std(draw(noise, 5000)[0]) / (0.5 * 2)).toBeCloseTo(1, 1);
    noise.sigma = 0;
    noise.reset();
    expect(Array.from(noise.sample(), Math.abs)).toEqual([0, 0]);
  });

  it('is z·σ·halfRange for the stream’s standard normals z', () => {
    const noise = new GaussianNoise(halfRange, 0.2, new Random(3));
    const z = new Random(3);
    for (let t = 0; t < 5; t++) {
      const x = Array.from(noise.sample());
      const want = halfRange.map((h) => z.normal() * 0.2 * h);
      x.forEach((v, d) => {
        expect(v).toBeCloseTo(want[d], 12);
      });
    }
  });
});

describe('OrnsteinUhlenbeckNoise', () => {
  it('follows x ← x − θ x dt + σ √dt z, scaled by halfRange (θ 0.15, dt 0.01)', () => {
    const sigma = 0.4;
    const noise = new OrnsteinUhlenbeckNoise(halfRange, sigma, new Random(4));
    const z = new Random(4);
    const x = [0, 0];
    for (let t = 0; t < 50; t++) {
      const got = Array.from(noise.sample());
      for (let d = 0; d < 2; d++) {
        x[d] = x[d] - 0.15 * x[d] * 0.01 + sigma * Math.sqrt(0.01) * z.normal();
        expect(got[d]).toBeCloseTo(x[d] * halfRange[d], 12);
      }
    }
  });

  it('is strongly autocorrelated, unlike Gaussian noise of the same σ', () => {
    const ou = draw(new OrnsteinUhlenbeckNoise(halfRange, 0.5, new Random(5)), 3000);
    for (const col of ou) expect(autocorrelation(col)).toBeGreaterThan(0.95);
    // Successive OU steps differ by about σ√dt·halfRange, far less than the spread of the path.
    const steps = ou[0].slice(1).map((v, t) => v - ou[0][t]);
    expect(std(steps)).toBeCloseTo(0.5 * 0.1 * 2, 2);
  });

  it('reset() returns the state to 0: the next sample is one step from the origin', () => {
    const sigma = 0.5;
    const noise = new OrnsteinUhlenbeckNoise(halfRange, sigma, new Random(6));
    const z = new Random(6);
    for (let t = 0; t < 500; t++) {
      noise.sample();
      z.normal();
      z.normal();
    }
    const drifted = Array.from(noise.sample());
    z.normal();
    z.normal();
    expect(Math.abs(drifted[0])).toBeGreaterThan(0.1);
    noise.reset();
    const after = Array.from(noise.sample());
    const want = halfRange.map((h) => sigma * Math.sqrt(0.01) * z.normal() * h);
    after.forEach((v, d) => {
      expect(v).toBeCloseTo(want[d], 12);
    });
  });
});

describe('makeExplorationNoise', () => {
  it('builds the requested kind', () => {
    expect(makeExplorationNoise('gaussian', halfRange, 0.1, new Random(1))).toBeInstanceOf(GaussianNoise);
    expect(makeExplorationNoise('ou', halfRange, 0.1, new Random(1))).toBeInstanceOf(OrnsteinUhlenbeckNoise);
  });
});

describe('addNoiseAndClip', () => {
  it('adds per dimension and clips to [low, high], writing into out', () => {
    const out = new Float32Array(3);
    const low = [-1, 0, -2];
    const high = [3, 0.5, 2];
    const result = addNoiseAndClip([2.5, 0.25, 0], [1, -0.5, 0.75], low, high, out);
    expect(result).toBe(out);
    expect(Array.from(out)).toEqual([3, 0, 0.75]);
    addNoiseAndClip([-0.5, 0.1, 1.5], [-0.75, 0.1, 1], low, high, out);
    expect(Array.from(out)).toEqual([-1, Math.fround(0.2), 2]);
  });
});

describe('Random', () => {
  it('is reproducible per seed and per stream name, and streams differ', () => {
    const a = Random.stream(7, 'exploration');
    const b = Random.stream(7, 'exploration');
    const c = Random.stream(7, 'sampling');
    const d = Random.stream(8, 'exploration');
    const xa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xa);
    expect(Array.from({ length: 5 }, () => d.uniform())).not.toEqual(xa);
  });

  it('uniform is in [0, 1) with mean ½, int(n) covers [0, n), normal has mean 0 and std 1', () => {
    const rng = new Random(11);
    const u = Array.from({ length: 20_000 }, () => rng.uniform());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 2);
    const ints = new Set(Array.from({ length: 1000 }, () => rng.int(7)));
    expect([...ints].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const z = Array.from({ length: 20_000 }, () => rng.normal());
    expect(Math.abs(mean(z))).toBeLessThan(0.03);
    expect(std(z)).toBeGreaterThan(0.97);
    expect(std(z)).toBeLessThan(1.03);
    const r = rng.uniformRange(-3, -2);
    expect(r).toBeGreaterThanOrEqual(-3);
    expect(r).toBeLessThan(-2);
  });
});
