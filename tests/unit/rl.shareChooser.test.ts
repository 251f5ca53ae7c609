/** Sharing a product with the helper threads or not, chosen by measurement (src/rl/shareChooser.ts). */
import { describe, expect, it } from 'vitest';
import { ShareChooser } from '../../src/rl/shareChooser';

/** The choices of `calls` products whose cost (ms per million multiply-adds) is `shared` or `alone`. */
function run(chooser: ShareChooser, calls: number, cost: { shared: number; alone: number }): boolean[] {
  const choices: boolean[] = [];
  for (let i = 0; i < calls; i++) {
    const share = chooser.next();
    choices.push(share);
    chooser.record(share, (share ? cost.shared : cost.alone) * 2, 2e6);
  }
  return choices;
}

describe('ShareChooser', () => {
  it('measures both ways first, then takes the cheaper one, trying the other every 16th product', () => {
    const chooser = new ShareChooser(16);
    const choices = run(chooser, 64, { shared: 1, alone: 1.5 });
    expect(choices.slice(0, 2)).toEqual([true, false]);
    const alone = choices.map((share, i) => (share ? -1 : i + 1)).filter((call) => call > 0);
    // Call 2 measured the lone way; after that only every 16th call does.
    expect(alone).toEqual([2, 16, 32, 48, 64]);
    expect(chooser.costs()).toEqual({ shared: 1, alone: 1.5 });
  });

  it('follows the machine: when sharing becomes the slower way, products run alone, and back again', () => {
    const chooser = new ShareChooser(16, 0.25);
    run(chooser, 32, { shared: 1, alone: 1.5 });
    // A helper slowed by other work: sharing now costs 3 per million.
    const slowed = run(chooser, 64, { shared: 3, alone: 1.5 });
    expect(slowed.slice(-32).filter((share) => share).length).toBe(2);
    // The helper's core is free again: the exploring products notice, and sharing returns.
    const freed = run(chooser, 64, { shared: 1, alone: 1.5 });
    expect(freed.slice(-32).filter((share) => !share).length).toBe(2);
  });

  it('ignores measurements that cannot be costs', () => {
    const chooser = new ShareChooser();
    chooser.record(true, Number.NaN, 1e6);
    chooser.record(false, 1, 0);
    chooser.record(false, -1, 1e6);
    expect(chooser.costs()).toEqual({ shared: Number.NaN, alone: Number.NaN });
    expect(chooser.next()).toBe(true);
  });
});
