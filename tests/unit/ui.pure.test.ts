import { describe, expect, it } from 'vitest';
import { envIds } from '../../src/envs';
import { catalogIds } from '../../src/envs/catalog';
import { configFromPreset, defaultPresetFor } from '../../src/rl/presets';
import { downsample, ema, joinSeries } from '../../src/ui/series';
import { SilenceWatch } from '../../src/ui/silenceWatch';
import { configFromHash, configToHash } from '../../src/ui/urlState';

describe('configuration in the URL hash', () => {
  it('round-trips a configuration, writing only what differs from the preset', () => {
    const config = {
      ...configFromPreset('quick', { env: 'MountainCarContinuous-v0' }),
      seed: 9,
      twinCritics: false,
      actorLr: 0.002,
    };
    const hash = configToHash(config, 'custom');
    expect(hash).toContain('twinCritics=false');
    const reading = configFromHash(hash);
    expect(reading.problems).toEqual([]);
    expect(reading.config).toEqual({ ...config });
  });

  it('writes a preset without overrides as the preset, env and nothing else', () => {
    const hash = configToHash(configFromPreset('ddpg'), 'ddpg');
    expect(hash).toBe('#preset=ddpg&env=Pendulum-v1');
    expect(configFromHash(hash)).toMatchObject({ preset: 'ddpg', config: configFromPreset('ddpg') });
  });

  it('reports bad values, unknown keys and unknown envs, falling back to the preset', () => {
    const reading = configFromHash(
      '#preset=quick&actorLr=fast&batchSize=2.5&unknownKnob=1&env=Nope-v1&twinCritics=maybe',
    );
    expect(reading.config).toEqual(configFromPreset('quick'));
    expect(reading.problems).toHaveLength(5);
    expect(reading.problems.join('\n')).toMatch(/actorLr = "fast" is not allowed/);
    expect(reading.problems.join('\n')).toMatch(/batchSize = 2.5 is not allowed/);
    expect(reading.problems.join('\n')).toMatch(/unknown setting "unknownKnob"/);
    expect(reading.problems.join('\n')).toMatch(/unknown environment "Nope-v1"/);
    expect(reading.problems.join('\n')).toMatch(/twinCritics = "maybe" is not allowed/);
  });
});

describe('chart series', () => {
  it('EMA is bias-corrected: a constant series stays constant', () => {
    const points = [5, 5, 5].map((y, x) => ({ x, y }));
    expect(ema(points, 0.9).map((p) => p.y)).toEqual([5, 5, 5].map(() => expect.closeTo(5, 12)));
    expect(
      ema(
        [
          { x: 0, y: 0 },
          { x: 1, y: 10 },
        ],
        0.5,
      )[1].y,
    ).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 10) / 0.75, 12);
  });

  it('downsamples to at most n bucket means', () => {
    const points = Array.from({ length: 1000 }, (_, i) => ({ x: i, y: i % 2 }));
    const out = downsample(points, 100);
    expect(out).toHaveLength(100);
    expect(out[0]).toEqual({ x: 4.5, y: 0.5 });
    expect(downsample(points.slice(0, 50), 100)).toHaveLength(50);
  });

  it('joins series on x', () => {
    expect(
      joinSeries({
        a: [{ x: 2, y: 1 }],
        b: [
          { x: 1, y: 3 },
          { x: 2, y: 4 },
        ],
      }),
    ).toEqual([
      { x: 1, b: 3 },
      { x: 2, a: 1, b: 4 },
    ]);
  });
});

describe('env catalog', () => {
  it('gives each env its default preset: the zoo’s tuned values where published, else the authors’', () => {
    expect(defaultPresetFor('HalfCheetah-v5')).toBe('zoo');
    expect(defaultPresetFor('BipedalWalker-v3')).toBe('zoo');
    expect(defaultPresetFor('Pendulum-v1')).toBe('zoo');
    expect(defaultPresetFor('InvertedPendulum-v5')).toBe('author');
    expect(defaultPresetFor('Reacher-v5')).toBe('author');
    for (const id of catalogIds)
      expect(() => configFromPreset(defaultPresetFor(id), { env: id })).not.toThrow();
  });

  it('lists exactly the registered environments', () => {
    expect([...catalogIds].sort()).toEqual([...envIds].sort());
  });
});

describe('the lost-worker watch', () => {
  it('takes a worker silent for 10 s of checks on time for lost, and never one it was asleep for', () => {
    // Checks every 2 s, lost after 10 s of silence.
    const watch = new SilenceWatch(0, 2000, 10_000);
    for (let t = 2000; t <= 10_000; t += 2000) expect(watch.check(t, true), `at ${t}`).toBe(false);
    expect(watch.check(12_000, true)).toBe(true);
    // Not while no messages are expected (paused, done), however long the silence.
    expect(new SilenceWatch(0, 2000, 10_000).check(2000, false)).toBe(false);

    // The page slept 60 s (its check comes late): no verdict, and the silence is counted again from there.
    const sleeper = new SilenceWatch(0, 2000, 10_000);
    sleeper.check(2000, true);
    expect(sleeper.check(62_000, true)).toBe(false);
    for (let t = 64_000; t <= 72_000; t += 2000) expect(sleeper.check(t, true), `at ${t}`).toBe(false);
    expect(sleeper.check(74_000, true)).toBe(true);

    // A message resets the count.
    const heard = new SilenceWatch(0, 2000, 10_000);
    for (let t = 2000; t <= 8000; t += 2000) heard.check(t, true);
    heard.heard(9000);
    expect(heard.check(10_000, true)).toBe(false);
    expect(heard.check(12_000, true)).toBe(false);
  });
});

describe('a panel that fails to draw', () => {
  it('says which panel failed and why, and draws its children again when asked', async () => {
    const { createElement } = await import('react');
    const { renderToStaticMarkup } = await import('react-dom/server');
    const { PanelBoundary } = await import('../../src/ui/PanelBoundary');
    const child = createElement('p', null, 'the chart');
    const boundary = new PanelBoundary({ name: 'the charts', children: child });
    expect(renderToStaticMarkup(createElement('div', null, boundary.render()))).toBe(
      '<div><p>the chart</p></div>',
    );

    boundary.state = PanelBoundary.getDerivedStateFromError(new RangeError('Invalid array length'));
    const failed = renderToStaticMarkup(createElement('div', null, boundary.render()));
    expect(failed).toContain('role="alert"');
    expect(failed).toContain('Could not draw the charts: Invalid array length. Training is not affected.');
    expect(failed).toContain('Draw again');
    // A thrown non-Error still gives words.
    expect(PanelBoundary.getDerivedStateFromError('lost').error?.message).toBe('lost');
  });
});

describe('the Q landscape with values that are not numbers (a diverged critic)', () => {
  it('paints them grey and takes the colour range from the finite values only', async () => {
    const { NOT_FINITE, diverging, finiteRange, sequential } = await import('../../src/ui/Landscape');
    expect(sequential(Number.NaN)).toEqual(NOT_FINITE);
    expect(diverging(Number.NaN)).toEqual(NOT_FINITE);
    expect(sequential(0)).toEqual([68, 1, 84]);
    expect(sequential(1)).toEqual([253, 231, 37]);
    expect(diverging(-1)).toEqual([0, 0, 255]);
    expect(finiteRange(Float32Array.from([3, Number.NaN, -1, Number.POSITIVE_INFINITY, 2]))).toEqual({
      lo: -1,
      hi: 3,
      notFinite: 2,
    });
    const none = finiteRange([Number.NaN, Number.NaN]);
    expect(none.notFinite).toBe(2);
    expect(Number.isFinite(none.lo)).toBe(false);
  });
});
