/** Sharing a product with the helper threads or not, chosen by measurement (src/compute/shareChooser.ts). */
import { describe, expect, it } from 'vitest';
import { ShareChooser } from '../../src/compute/shareChooser';

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

/** The 1-based positions of the products run alone. */
const loneCalls = (choices: boolean[]) =>
  choices.map((share, i) => (share ? -1 : i + 1)).filter((call) => call > 0);

describe('ShareChooser', () => {
  it('measures both ways first, then takes the cheaper one, trying the other every 16th product', () => {
    const chooser = new ShareChooser(16);
    const choices = run(chooser, 64, { shared: 1, alone: 1.2 });
    expect(choices.slice(0, 2)).toEqual([true, false]);
    // Call 2 measured the lone way; after that only every 16th call does.
    expect(loneCalls(choices)).toEqual([2, 16, 32, 48, 64]);
    expect(chooser.costs()).toEqual({ shared: 1, alone: 1.2 });
  });

  it('tries the lone way only every 64th product while sharing is cheaper by a wide margin', () => {
    const wide = run(new ShareChooser(16, 0.1, 64, 1.25), 200, { shared: 1, alone: 1.25 });
    expect(loneCalls(wide)).toEqual([2, 64, 128, 192]);
    const narrow = run(new ShareChooser(16, 0.1, 64, 1.25), 64, { shared: 1, alone: 1.24 });
    expect(loneCalls(narrow)).toEqual([2, 16, 32, 48, 64]);
    // Products running alone try sharing every 16th, however wide the margin: that is how a freed core shows.
    const alone = run(new ShareChooser(16, 0.1, 64, 1.25), 64, { shared: 3, alone: 1 });
    expect(alone.map((share, i) => (share ? i + 1 : -1)).filter((call) => call > 0)).toEqual([
      1, 16, 32, 48, 64,
    ]);
  });

  it('follows the machine: when sharing becomes the slower way, products run alone, and back again', () => {
    const chooser = new ShareChooser(16, 0.25);
    run(chooser, 32, { shared: 1, alone: 1.5 });
    // A helper slowed by other work: sharing now costs 3 per million.
    const slowed = run(chooser, 64, { shared: 3, alone: 1.5 });
    expect(slowed.slice(-32).filter((share) => share).length).toBe(2);
    // The helper's core is free again: the 16th product (call 112 of the chooser's) tries sharing and it
    // returns; the lone way, 1.5× the cost, is then tried only at the 64th call after (128, the 32nd here).
    const freed = run(chooser, 64, { shared: 1, alone: 1.5 });
    expect(loneCalls(freed)).toEqual([...Array.from({ length: 15 }, (_, i) => i + 1), 32]);
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
