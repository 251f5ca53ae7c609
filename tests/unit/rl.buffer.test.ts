/** The replay buffer: ring layout, terminated vs truncated, uniform sampling into one reused Batch. */
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { ReplayBuffer } from '../../src/rl/replayBuffer';

/** Transition i: s = [i, −i], a = [10 i], r = 100 i, s′ = [i + 0.5, −i − 0.5], terminated iff i % 3 = 0. */
function addNumbered(buffer: ReplayBuffer, from: number, count: number): void {
  for (let i = from; i < from + count; i++)
    buffer.add([i, -i], [10 * i], 100 * i, [i + 0.5, -i - 0.5], i % 3 === 0);
}

function slot(buffer: ReplayBuffer, j: number) {
  return {
    s: Array.from(buffer.observations.subarray(2 * j, 2 * j + 2)),
    a: buffer.actions[j],
    r: buffer.rewards[j],
    s2: Array.from(buffer.nextObservations.subarray(2 * j, 2 * j + 2)),
    notDone: buffer.notDone[j],
  };
}

const transition = (i: number) => ({
  s: [i, -i],
  a: 10 * i,
  r: 100 * i,
  s2: [i + 0.5, -i - 0.5],
  notDone: i % 3 === 0 ? 0 : 1,
});

describe('ReplayBuffer', () => {
  it('wraps around: capacity 5, 7 adds → the oldest two overwritten in slots 0 and 1', () => {
    const buffer = new ReplayBuffer(5, 2, 1);
    addNumbered(buffer, 0, 3);
    expect(buffer.size).toBe(3);
    expect(buffer.nextIndex).toBe(3);
    addNumbered(buffer, 3, 4);
    expect(buffer.size).toBe(5);
    expect(buffer.nextIndex).toBe(2);
    expect([0, 1, 2, 3, 4].map((j) => slot(buffer, j))).toEqual([5, 6, 2, 3, 4].map(transition));
    addNumbered(buffer, 7, 10);
    expect(buffer.size).toBe(5);
    expect(buffer.nextIndex).toBe(2);
    expect([0, 1, 2, 3, 4].map((j) => slot(buffer, j))).toEqual([15, 16, 12, 13, 14].map(transition));
  });

  it('stores terminated as notDone 0 and has no notion of truncation', () => {
    const buffer = new ReplayBuffer(4, 1, 1);
    buffer.add([0], [0], 1, [1], true);
    buffer.add([1], [0], 1, [2], false); // e.g. cut by the time limit: still bootstraps
    expect(Array.from(buffer.notDone.subarray(0, 2))).toEqual([0, 1]);
    // add() takes exactly one end-of-episode flag.
    expect(ReplayBuffer.prototype.add.length).toBe(5);
  });

  it('rejects a non-positive or fractional capacity', () => {
    expect(() => new ReplayBuffer(0, 1, 1)).toThrow(/capacity/);
    expect(() => new ReplayBuffer(2.5, 1, 1)).toThrow(/capacity/);
  });

  it('sampling an empty buffer throws', () => {
    const buffer = new ReplayBuffer(5, 2, 1);
    expect(() => buffer.sample(4, new Random(1))).toThrow(/empty/);
    expect(() => buffer.sampleIndices(4, new Random(1))).toThrow(/empty/);
  });

  it('samples consistent (s, a, r, s′, notDone) rows that are in the buffer, only from filled slots', () => {
    const buffer = new ReplayBuffer(10, 2, 1);
    addNumbered(buffer, 0, 4); // slots 4..9 are still zeros and must never be sampled
    const rng = new Random(3);
    const seen = new Set<number>();
    for (let draw = 0; draw < 50; draw++) {
      const b = buffer.sample(8, rng);
      expect(b.size).toBe(8);
      for (let k = 0; k < 8; k++) {
        const i = b.actions[k] / 10;
        expect([0, 1, 2, 3]).toContain(i);
        seen.add(i);
        expect({
          s: Array.from(b.observations.subarray(2 * k, 2 * k + 2)),
          a: b.actions[k],
          r: b.rewards[k],
          s2: Array.from(b.nextObservations.subarray(2 * k, 2 * k + 2)),
          notDone: b.notDone[k],
        }).toEqual(transition(i));
      }
    }
    expect(seen.size).toBe(4);
  });

  it('samples indices uniformly (chi-square over 20 000 draws, 10 slots, after wrap-around)', () => {
    const buffer = new ReplayBuffer(10, 2, 1);
    addNumbered(buffer, 0, 23);
    const rng = new Random(42);
    const counts = new Array(10).fill(0);
    const draws = 20_000;
    for (let t = 0; t < draws / 100; t++) {
      const b = buffer.sample(100, rng);
      for (let k = 0; k < 100; k++) counts[(b.actions[k] / 10) % 10]++;
    }
    const expected = draws / 10;
    const chi2 = counts.reduce((x, c) => x + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: P(χ² > 27.9) = 0.001.
    expect(chi2).toBeLessThan(27.9);
    expect(Math.min(...counts)).toBeGreaterThan(0);
    // Every slot holds one of the newest 10 transitions (13..22).
    expect(new Set(Array.from(buffer.actions, (a) => a / 10))).toEqual(
      new Set([13, 14, 15, 16, 17, 18, 19, 20, 21, 22]),
    );
  });

  it('draws with replacement: a minibatch larger than the buffer repeats rows', () => {
    const buffer = new ReplayBuffer(10, 2, 1);
    addNumbered(buffer, 0, 3);
    const b = buffer.sample(12, new Random(1));
    expect(new Set(b.actions).size).toBeLessThanOrEqual(3);
  });

  it('reuses one Batch and its arrays across calls of the same size', () => {
    const buffer = new ReplayBuffer(10, 2, 1);
    addNumbered(buffer, 0, 10);
    const rng = new Random(5);
    const b1 = buffer.sample(6, rng);
    const arrays = [b1.observations, b1.actions, b1.rewards, b1.nextObservations, b1.notDone];
    const first = Array.from(b1.rewards);
    const b2 = buffer.sample(6, rng);
    expect(b2).toBe(b1);
    expect([b2.observations, b2.actions, b2.rewards, b2.nextObservations, b2.notDone]).toEqual(arrays);
    for (const [i, arr] of [
      b2.observations,
      b2.actions,
      b2.rewards,
      b2.nextObservations,
      b2.notDone,
    ].entries()) {
      expect(arr).toBe(arrays[i]);
    }
    // The contents were overwritten by the second draw.
    expect(Array.from(b2.rewards)).not.toEqual(first);
    // A different size gets its own arrays.
    const b3 = buffer.sample(3, rng);
    expect(b3.size).toBe(3);
    expect(b3.rewards).toHaveLength(3);
  });

  it('sampleIndices writes into the array it is given, uniformly in [0, size)', () => {
    const buffer = new ReplayBuffer(8, 1, 1);
    for (let i = 0; i < 5; i++) buffer.add([i], [i], i, [i], false);
    const out = new Int32Array(1000);
    expect(buffer.sampleIndices(1000, new Random(8), out)).toBe(out);
    expect(Math.min(...out)).toBe(0);
    expect(Math.max(...out)).toBe(4);
  });

  it('the same seed gives the same minibatches', () => {
    const buffer = new ReplayBuffer(20, 2, 1);
    addNumbered(buffer, 0, 20);
    const a = Array.from(buffer.sample(16, new Random(77)).actions);
    const b = Array.from(buffer.sample(16, new Random(77)).actions);
    const c = Array.from(buffer.sample(16, new Random(78)).actions);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});

describe('prioritized replay', () => {
  /** Rows `from` … `from + count − 1`, row i observing [i]. */
  const fill = (buffer: ReplayBuffer, from: number, count: number) => {
    for (let i = from; i < from + count; i++) buffer.add([i], [0], i, [i + 1], false);
  };

  it('gives new rows the largest priority so far, draws rows in proportion to their priorities, and weighs them (N·P)^−β / max', () => {
    const buffer = new ReplayBuffer(8, 1, 1);
    fill(buffer, 0, 2);
    buffer.enablePriorities();
    fill(buffer, 2, 2);
    const rng = Random.stream(1, 'per');
    // Every row at the first priority (1): uniform, and every weight 1.
    const uniform = buffer.samplePrioritized(4, rng, 0.5);
    expect(Array.from(uniform.weights)).toEqual([1, 1, 1, 1]);
    // New priorities from TD errors: p = (|δ| + 1e-6)^α with α = 1.
    buffer.updatePriorities(Int32Array.from([0, 1, 2, 3]), Float32Array.from([1, -3, 0, 4]), 1);
    fill(buffer, 4, 1); // row 4: the largest priority so far, 4
    const draws = 100_000;
    const counts = [0, 0, 0, 0, 0];
    for (let k = 0; k < draws / 100; k++) {
      const batch = buffer.samplePrioritized(100, rng, 1);
      for (const row of batch.rows) counts[row]++;
      // The batch's rows are the rows drawn.
      batch.rows.forEach((row, j) => {
        expect(batch.observations[j]).toBe(row);
      });
    }
    const total = 1 + 3 + 1e-6 + 4 + 4;
    const shares = counts.map((c) => c / draws);
    [1, 3, 1e-6, 4, 4].forEach((p, i) => {
      expect(shares[i]).toBeCloseTo(p / total, 2);
    });
    // Weights (N·P(i))^−β divided by the largest: with β = 1, w ∝ 1/p, the least likely row weighing 1.
    const batch = buffer.samplePrioritized(64, rng, 1);
    batch.rows.forEach((row, j) => {
      const p = [1, 3, 1e-6, 4, 4][row];
      expect(batch.weights[j]).toBeCloseTo(1e-6 / p, 6);
    });
    // A non-finite TD error leaves the row's priority as it was.
    buffer.updatePriorities(Int32Array.from([1]), Float32Array.from([Number.NaN]), 1);
    expect(buffer.exportState().priorities?.[1]).toBeCloseTo(3, 5);
  });

  it('keeps the priorities in its state, and refuses a state without them', () => {
    const buffer = new ReplayBuffer(8, 1, 1);
    buffer.enablePriorities();
    fill(buffer, 0, 5);
    buffer.updatePriorities(Int32Array.from([2, 4]), Float32Array.from([7, 0.5]), 0.6);
    const state = buffer.exportState();
    expect(state.maxPriority).toBeCloseTo(7.000001 ** 0.6, 10);
    const copy = new ReplayBuffer(8, 1, 1);
    copy.enablePriorities();
    copy.importState(state);
    expect(copy.exportState()).toEqual(state);
    const [a, b] = [buffer, copy].map((buf) =>
      Array.from(buf.samplePrioritized(16, Random.stream(2, 'x'), 0.4).rows),
    );
    expect(b).toEqual(a);
    const { priorities: _, ...withoutPriorities } = state;
    expect(() => copy.importState(withoutPriorities)).toThrow(/without the priorities/);
    expect(() => new ReplayBuffer(4, 1, 1).samplePrioritized(2, Random.stream(1, 'y'), 1)).toThrow(
      /enablePriorities/,
    );
  });
});
