/**
 * The lab's runs, results and exports: run files of `npm run train` load as runs, malformed ones are refused
 * with the line and the reason, the results table summarises seeds, and every export parses back.
 */
import { describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../../src/cli/args';
import { envIds } from '../../src/envs';
import { band, variantBands } from '../../src/lab/aggregate';
import { bandsCsv, curvesCsv, labJson, parseLabJson } from '../../src/lab/export';
import { resultsMarkdown, variantResults } from '../../src/lab/results';
import { type LabRun, parseRunJsonl, runToJsonl } from '../../src/lab/runs';
import {
  ABLATION_VARIANTS,
  customVariant,
  EXTENSION_VARIANT_IDS,
  EXTENSION_VARIANTS,
  NAMED_VARIANTS,
  sensitivityVariants,
  variantConfig,
  variantFlags,
} from '../../src/lab/variants';
import { type Config, FIELD_NAMES } from '../../src/rl/hyperparameters';
import { configFromPreset, defaultPresetFor } from '../../src/rl/presets';
import type { MetricRecord } from '../../src/train/metrics';

const base = configFromPreset('quick', { env: 'Pendulum-v1', totalSteps: 3000, evalEvery: 1000 });

/** A finished run whose evals are `returns` at steps 1000, 2000, …, with one probe per eval. */
function fakeRun(variant: string, seed: number, returns: number[], bias = 10): LabRun {
  const records: MetricRecord[] = [{ type: 'config', step: 0, config: { ...base, seed }, backend: 'cpu' }];
  returns.forEach((mean, i) => {
    const step = (i + 1) * 1000;
    records.push({ type: 'episode', step, episode: i, return: mean - 50, length: 200, terminated: false });
    records.push({ type: 'eval', step, mean, std: 5, returns: [mean - 5, mean + 5] });
    records.push({
      type: 'probe',
      step,
      pairs: 8,
      estimate: -100 + bias,
      estimateQ1: -100 + bias,
      trueValue: -100,
      bias,
      biasQ1: bias,
      biasStdError: 1,
      horizon: 100,
      envSteps: 800,
    });
  });
  return {
    id: `${variant}-s${seed}`,
    variant,
    seed,
    config: { ...base, seed },
    records,
    state: 'done',
    step: returns.length * 1000,
    wallSeconds: 10 + seed,
    reason: null,
    source: 'page',
  };
}

describe('lab runs', () => {
  it('a run written as JSON lines reads back as the same run (the layout of npm run train --out)', () => {
    const run = fakeRun('TD3', 3, [-900, -300, -150]);
    const text = runToJsonl(run);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].type).toBe('config');
    expect(lines.at(-1)).toMatchObject({
      type: 'summary',
      variant: 'TD3',
      seed: 3,
      finalEval: -150,
      bestEval: -150,
    });
    const back = parseRunJsonl('x.jsonl', text);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.run.records).toEqual(run.records);
    expect(back.run).toMatchObject({ variant: 'TD3', seed: 3, step: 3000, wallSeconds: 13, state: 'done' });
  });

  it('a sweep file without a variant in its summary takes it from its name, else from its three switches', () => {
    const run = fakeRun('ignored', 1, [-500]);
    const noSummary = runToJsonl(run).trim().split('\n').slice(0, -1).join('\n');
    const named = parseRunJsonl('runs/sweep/no-twin-s1.jsonl', noSummary);
    expect(named.ok && named.run.variant).toBe('TD3 − twin critics');
    const anonymous = parseRunJsonl('pendulum.jsonl', noSummary);
    expect(anonymous.ok && anonymous.run.variant).toBe('TD3'); // quick preset: all three on
  });

  it('refuses malformed run files with the line and the reason', () => {
    const good = runToJsonl(fakeRun('TD3', 0, [-200])).split('\n');
    const cases: [string, RegExp][] = [
      ['{"type":"eval"', /line 1 is not JSON/],
      ['[1,2]', /line 1 is not a record/],
      [
        `${good[0]}\n{"type":"eval","step":5,"mean":"high","std":1}`,
        /line 2: an eval record without a finite mean/,
      ],
      [`${good[0]}\n{"type":"probe","step":5}`, /line 2: a probe record without "estimate"/],
      [`${good[0]}\n{"step":5}`, /line 2: a record without a "type"/],
      ['{"type":"eval","step":1,"mean":1,"std":0}', /no config record first/],
      [
        '{"type":"config","step":0,"config":{"env":"Pendulum-v1","tau":7},"backend":"cpu"}',
        /configuration is invalid: tau = 7 is not allowed/,
      ],
      ['', /no config record first/],
    ];
    for (const [text, message] of cases) {
      const result = parseRunJsonl('f.jsonl', text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(message);
    }
  });
});

describe('lab results and bands', () => {
  const runs = [
    fakeRun('TD3', 0, [-900, -300, -150]),
    fakeRun('TD3', 1, [-800, -250, -140]),
    fakeRun('TD3', 2, [-1000, -600, -400]),
    fakeRun('DDPG', 0, [-1100, -900, -700], 40),
    fakeRun('DDPG', 1, [-1000, -800, -600], 60),
  ];

  it('summarises each variant over its seeds', () => {
    const [td3, ddpg] = variantResults(runs, -200);
    expect(td3).toMatchObject({
      variant: 'TD3',
      finished: 3,
      total: 3,
      reachedThreshold: 2,
      stepsToThreshold: 3000,
    });
    expect(td3.finalMean).toBeCloseTo((-150 - 140 - 400) / 3, 10);
    expect(td3.finalIqm.estimate).toBeCloseTo(td3.finalMean, 10); // n = 3: nothing to cut
    expect(td3.finalIqm.low).toBeLessThanOrEqual(td3.finalIqm.estimate);
    expect(td3.finalIqm.high).toBeGreaterThanOrEqual(td3.finalIqm.estimate);
    // Seed 0's average over the run: trapezoid of (-900, -300, -150) over 2000 steps.
    expect(td3.area.estimate).toBeCloseTo(
      ((-900 - 300) / 2 +
        (-300 - 150) / 2 +
        (-800 - 250) / 2 +
        (-250 - 140) / 2 +
        (-1000 - 600) / 2 +
        (-600 - 400) / 2) /
        3 /
        2,
      8,
    );
    expect(td3.wallSeconds).toBe(11);
    expect(ddpg.reachedThreshold).toBe(0);
    expect(ddpg.finalBias?.estimate).toBe(50);
    const table = resultsMarkdown([td3, ddpg], -200);
    expect(table).toContain('| TD3 | 3 | −230 ± 120 |');
    expect(table).toContain('| 3,000 (2 of 3) |');
    expect(table).toContain('not reached (0 of 2)');
  });

  it('only finished runs count in the table; running ones show as "k of n"', () => {
    const live = [...runs.slice(0, 2), { ...fakeRun('TD3', 2, [-1000]), state: 'running' as const }];
    const [td3] = variantResults(live, null);
    expect(td3).toMatchObject({ finished: 2, total: 3 });
    expect(resultsMarkdown([td3], null)).toContain('| TD3 | 2 of 3 |');
  });

  it('bands: the mean over the seeds that reached each step, inside its bootstrap interval', () => {
    const bands = variantBands(runs, 'eval');
    const td3 = bands.get('TD3') ?? [];
    expect(td3.map((p) => p.step)).toEqual([1000, 2000, 3000]);
    expect(td3[2]).toMatchObject({ n: 3 });
    expect(td3[2].mean).toBeCloseTo(-230, 10);
    for (const p of td3) {
      expect(p.low).toBeLessThanOrEqual(p.mean);
      expect(p.high).toBeGreaterThanOrEqual(p.mean);
    }
    const ragged = band([
      [
        { step: 1, value: 1 },
        { step: 2, value: 2 },
      ],
      [{ step: 1, value: 3 }],
    ]);
    expect(ragged).toEqual([
      expect.objectContaining({ step: 1, n: 2, mean: 2 }),
      { step: 2, n: 1, mean: 2, low: 2, high: 2 },
    ]);
    expect(variantBands(runs, 'bias').get('DDPG')?.[0].mean).toBe(50);
  });

  it('exports parse back: curves and bands as CSV, the whole comparison as JSON', () => {
    const csv = curvesCsv(runs).trim().split('\n');
    expect(csv[0]).toBe('variant,seed,env,step,quantity,value');
    const evalRows = csv.filter((l) => l.includes(',eval_return_mean,'));
    expect(evalRows).toHaveLength(15);
    expect(evalRows[0]).toBe('TD3,0,Pendulum-v1,1000,eval_return_mean,-900');
    const bands = bandsCsv(runs).trim().split('\n');
    expect(bands[0]).toBe('variant,quantity,step,seeds,mean,ci95_low,ci95_high');
    for (const line of bands.slice(1))
      expect(line.split(',').slice(3).map(Number).every(Number.isFinite)).toBe(true);

    const back = parseLabJson(labJson(runs));
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.runs.map((r) => [r.variant, r.seed])).toEqual(runs.map((r) => [r.variant, r.seed]));
    expect(back.runs[3].records).toEqual(runs[3].records);
    expect(variantResults(back.runs, -200)).toEqual(variantResults(runs, -200));
  });

  it('a variant name that a spreadsheet would run as a formula is quoted harmless in CSV', () => {
    const csv = curvesCsv([fakeRun('=HYPERLINK("x"),1', 0, [-1])]);
    expect(csv.split('\n')[1].startsWith(`"'=HYPERLINK(""x""),1",0,`)).toBe(true);
  });

  it('refuses lab files that are not, or not wholly, valid', () => {
    expect(parseLabJson('nope')).toEqual({ ok: false, error: 'not JSON' });
    expect(parseLabJson('{"format":"other"}')).toMatchObject({
      ok: false,
      error: /not a td3-playground-lab file/,
    });
    expect(parseLabJson('{"format":"td3-playground-lab","version":2,"runs":[]}')).toMatchObject({
      ok: false,
    });
    const file = JSON.parse(labJson(runs));
    file.runs[1].jsonl = file.runs[1].jsonl.replace('"mean":-800', '"mean":null');
    expect(parseLabJson(JSON.stringify(file))).toMatchObject({
      ok: false,
      error: /TD3-s1: line \d+: an eval record/,
    });
  });
});

describe('lab variants', () => {
  it('each ablation row removes exactly its trick from TD3, whatever the base preset', () => {
    const ddpgBase = configFromPreset('ddpg');
    const td3 = variantConfig(ddpgBase, ABLATION_VARIANTS.td3, 4);
    expect([td3.twinCritics, td3.policyDelay, td3.targetSmoothing, td3.seed]).toEqual([true, 2, true, 4]);
    const noTwin = variantConfig(ddpgBase, ABLATION_VARIANTS['no-twin'], 0);
    expect([noTwin.twinCritics, noTwin.policyDelay, noTwin.targetSmoothing]).toEqual([false, 2, true]);
    const cdq = variantConfig(base, ABLATION_VARIANTS.cdq, 0);
    expect([cdq.twinCritics, cdq.policyDelay, cdq.targetSmoothing]).toEqual([true, 1, false]);
  });

  it('a sensitivity sweep is one variant per valid value; a bad list is refused whole', () => {
    const sweep = sensitivityVariants('policyDelay', '1, 2, 3 5', base);
    expect(sweep.ok && sweep.variants.map((v) => v.overrides.policyDelay)).toEqual([1, 2, 3, 5]);
    expect(sensitivityVariants('policyDelay', '1, 2.5', base)).toMatchObject({
      ok: false,
      error: /policyDelay = 2.5/,
    });
    expect(sensitivityVariants('policyNoise', '0.1', base)).toMatchObject({
      ok: false,
      error: /at least two/,
    });
    expect(sensitivityVariants('twinCritics', '0,1', base)).toMatchObject({
      ok: false,
      error: /not a number/,
    });
    expect(sensitivityVariants('wings', '1,2', base)).toMatchObject({ ok: false, error: /unknown setting/ });
    expect(sensitivityVariants('tau', '0.1, 0.1', base)).toMatchObject({ ok: false, error: /twice/ });
  });

  it('each extension is TD3 with its option on and nothing else changed, valid on every env', () => {
    const ddpgBase = configFromPreset('ddpg');
    const td3 = variantConfig(ddpgBase, ABLATION_VARIANTS.td3, 0);
    for (const id of EXTENSION_VARIANT_IDS) {
      const variant = EXTENSION_VARIANTS[id];
      const config = variantConfig(ddpgBase, variant, 0);
      const changed = FIELD_NAMES.filter((k) => config[k] !== td3[k]);
      const options = Object.keys(variant.options);
      expect(options.length, id).toBeGreaterThan(0);
      // It changes something, only what it names, and holds each named option at its own value (some, such
      // as the final σ of a decay, are named so that the variant means the same on any base).
      expect(changed.length, id).toBeGreaterThan(0);
      expect(
        changed.filter((k) => !options.includes(k)),
        id,
      ).toEqual([]);
      for (const k of options)
        expect(config[k as keyof Config], `${id} ${k}`).toBe(
          variant.overrides[k as keyof typeof variant.overrides],
        );
      expect([config.twinCritics, config.policyDelay, config.targetSmoothing], id).toEqual([true, 2, true]);
      for (const env of envIds) variantConfig(configFromPreset(defaultPresetFor(env), { env }), variant, 0);
      // The flags the sweep gives its runs are the same settings, as the train command reads them.
      expect(parseTrainArgs(variantFlags(variant)).overrides, id).toEqual(variant.overrides);
      expect(NAMED_VARIANTS[id], id).toBe(variant);
    }
    // Ids are unique across the ablation's rows and the extensions.
    expect(Object.keys(NAMED_VARIANTS).length).toBe(
      Object.keys(ABLATION_VARIANTS).length + EXTENSION_VARIANT_IDS.length,
    );
  });

  it('a run file of an extension without its variant in the summary is named after it', () => {
    const run = fakeRun('ignored', 2, [-300]);
    /** The run's file, as trained with `config`, without its summary (so without its variant's name). */
    const fileOf = (config: Config) =>
      runToJsonl({
        ...run,
        records: [{ type: 'config', step: 0, config, backend: 'cpu' }, ...run.records.slice(1)],
      })
        .trim()
        .split('\n')
        .slice(0, -1)
        .join('\n');
    const perConfig = variantConfig(base, EXTENSION_VARIANTS.per, 2);
    const noSummary = fileOf(perConfig);
    const anonymous = parseRunJsonl('pendulum.jsonl', noSummary);
    expect(anonymous.ok && anonymous.run.variant).toBe('TD3 + prioritized replay');
    const named = parseRunJsonl('runs/sweep/n-step-3-s2.jsonl', noSummary);
    expect(named.ok && named.run.variant).toBe('TD3 + 3-step returns');
    // An option no extension variant has on its own, or in another combination, is "custom".
    const custom = parseRunJsonl('x.jsonl', fileOf({ ...perConfig, nStep: 5 }));
    expect(custom.ok && custom.run.variant).toBe('custom');
  });

  it('a custom variant is a name and validated settings', () => {
    const v = customVariant('slow target', 'tau=0.001, policyDelay=3 twinCritics=false', base);
    expect(v.ok && v.variant.overrides).toEqual({ tau: 0.001, policyDelay: 3, twinCritics: false });
    expect(customVariant('x', 'tau=banana', base)).toMatchObject({ ok: false, error: /tau = "banana"/ });
    expect(customVariant('x', 'seed=3', base)).toMatchObject({ ok: false, error: /seed and env/ });
    expect(customVariant('', 'tau=0.01', base)).toMatchObject({ ok: false, error: /name/ });
    expect(customVariant('x', 'tau', base)).toMatchObject({ ok: false, error: /name=value/ });
  });
});

describe('lab plan', () => {
  it('queues every variant × seed, seed by seed across variants, each with its own configuration', async () => {
    const { planRuns } = await import('../../src/lab/plan');
    const plan = planRuns(base, [ABLATION_VARIANTS.td3, ABLATION_VARIANTS.ddpg], [0, 1, 2]);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.runs.map((r) => r.id)).toEqual([
      'td3-s0',
      'ddpg-s0',
      'td3-s1',
      'ddpg-s1',
      'td3-s2',
      'ddpg-s2',
    ]);
    expect(plan.runs.every((r) => r.state === 'queued' && r.config.seed === r.seed)).toBe(true);
    expect(plan.runs[1].config.twinCritics).toBe(false);
    expect(planRuns(base, [], [0])).toMatchObject({ ok: false, error: /at least one variant/ });
    expect(planRuns(base, [ABLATION_VARIANTS.td3, ABLATION_VARIANTS.td3], [0])).toMatchObject({
      ok: false,
      error: /two variants are called "TD3"/,
    });
    const bad = { id: 'x', label: 'x', overrides: { tau: 9 } };
    expect(planRuns(base, [bad], [0])).toMatchObject({ ok: false, error: /tau = 9 is not allowed/ });
  });
});

describe('lab config diff and remembered intervals', () => {
  it('lists exactly the settings that differ, in the schema’s order', async () => {
    const { diffConfigs } = await import('../../src/lab/configDiff');
    const a = variantConfig(base, ABLATION_VARIANTS.td3, 0);
    const b = variantConfig(base, ABLATION_VARIANTS.ddpg, 3);
    expect(diffConfigs(a, b)).toEqual([
      { field: 'seed', a: 0, b: 3 },
      { field: 'twinCritics', a: true, b: false },
      { field: 'policyDelay', a: 2, b: 1 },
      { field: 'targetSmoothing', a: true, b: false },
    ]);
    expect(diffConfigs(a, a)).toEqual([]);
  });

  it('a remembered interval is the interval itself, for the same inputs', async () => {
    const { bootstrapInterval, interquartileMean, mean, rememberedInterval } = await import(
      '../../src/lab/statistics'
    );
    const values = [3, 1, 4, 1, 5, 9, 2, 6];
    expect(rememberedInterval('mean', values, mean, { seed: 2 })).toEqual(
      bootstrapInterval(values, mean, { seed: 2 }),
    );
    expect(rememberedInterval('iqm', values, interquartileMean, { seed: 2 })).toEqual(
      bootstrapInterval(values, interquartileMean, { seed: 2 }),
    );
  });
});
