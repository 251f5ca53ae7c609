import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { SumTree } from '../../src/rl/sumTree';

describe('the sum tree of prioritized replay', () => {
  it('keeps the sum and the minimum of its priorities as they change', () => {
    const tree = new SumTree(5);
    [3, 1, 4, 1, 5].forEach((p, i) => {
      tree.set(i, p);
    });
    expect(tree.total).toBe(14);
    expect(tree.min).toBe(1);
    tree.set(1, 9);
    tree.set(3, 2);
    expect(tree.total).toBe(23);
    expect(tree.min).toBe(2);
    expect(tree.get(1)).toBe(9);
    expect(() => tree.set(0, Number.NaN)).toThrow(/finite and at least 0/);
    expect(() => tree.set(0, -1)).toThrow(/finite and at least 0/);
  });

  it('finds the row whose share of the running sum holds the mass', () => {
    const tree = new SumTree(4);
    [1, 2, 3, 4].forEach((p, i) => {
      tree.set(i, p);
    });
    // Rows own [0, 1), [1, 3), [3, 6), [6, 10).
    const rows = [0, 0.99, 1, 2.99, 3, 5.99, 6, 9.99].map((m) => tree.find(m));
    expect(rows).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('draws rows in proportion to their priorities (χ² over 200k draws)', () => {
    const priorities = [0.5, 4, 1, 0, 2.5, 8, 0.25];
    const tree = new SumTree(priorities.length);
    priorities.forEach((p, i) => {
      tree.set(i, p);
    });
    const rng = Random.stream(3, 'sum-tree');
    const draws = 200_000;
    const counts = new Array(priorities.length).fill(0);
    for (let k = 0; k < draws; k++) counts[tree.find(rng.uniform() * tree.total)]++;
    expect(counts[3]).toBe(0); // a priority of 0 is never drawn
    let chi2 = 0;
    priorities.forEach((p, i) => {
      if (p === 0) return;
      const expected = (draws * p) / tree.total;
      chi2 += (counts[i] - expected) ** 2 / expected;
    });
    // 5 degrees of freedom: P(χ² > 20.5) = 0.001.
    expect(chi2).toBeLessThan(20.5);
  });

  it('works over a million rows', () => {
    const tree = new SumTree(1_000_000);
    tree.set(999_999, 1);
    tree.set(0, 1);
    expect(tree.find(1.5)).toBe(999_999);
    expect(tree.find(0.5)).toBe(0);
  });
});
