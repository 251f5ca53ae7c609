import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSweepArgs, sweep, VARIANTS } from '../../src/cli/sweep';
import { variantFlags } from '../../src/lab/variants';
import { TINY_RUN_FLAGS } from '../helpers/tinyRun';

const FLAGS = [
  ...TINY_RUN_FLAGS,
  '--steps',
  '200',
  '--eval-every',
  '200',
  '--probe-pairs',
  '0',
  '--log-every',
  '10',
];

describe('npm run sweep', () => {
  it('parses seeds as a count or a list, variants, parallelism, and passes other flags to every run', () => {
    const args = parseSweepArgs([
      '--seeds',
      '3',
      '--variants',
      'td3,ddpg',
      '--parallel',
      '2',
      '--env',
      'Pendulum-v1',
    ]);
    expect(args).toMatchObject({
      seeds: [0, 1, 2],
      variants: ['td3', 'ddpg'],
      parallel: 2,
      trainFlags: ['--env', 'Pendulum-v1'],
    });
    expect(parseSweepArgs(['--seeds', '4,9']).seeds).toEqual([4, 9]);
    expect(variantFlags(VARIANTS.ddpg)).toEqual([
      '--twin-critics=false',
      '--policy-delay=1',
      '--target-smoothing=false',
    ]);
    expect(parseSweepArgs(['--threshold', '-200']).threshold).toBe(-200);
    // TD3 with one extension, by the lab's ids: its three tricks and its option.
    expect(parseSweepArgs(['--variants', 'td3,per,n-step-3']).variants).toEqual(['td3', 'per', 'n-step-3']);
    expect(variantFlags(VARIANTS['n-step-3'])).toEqual([
      '--twin-critics=true',
      '--policy-delay=2',
      '--target-smoothing=true',
      '--n-step=3',
    ]);
  });

  it('rejects bad sweeps before running anything', () => {
    expect(() => parseSweepArgs(['--variants', 'td3,td4'])).toThrow(
      /unknown variant td4: known are .*layer-norm/,
    );
    expect(() => parseSweepArgs(['--seeds', '-1,2'])).toThrow(/--seeds/);
    expect(() => parseSweepArgs(['--parallel', '0'])).toThrow(/--parallel/);
    expect(() => parseSweepArgs(['--seed', '3'])).toThrow(/set by the sweep/);
    expect(() => parseSweepArgs(['--delay', '3'])).toThrow(/each variant sets the three tricks/);
    expect(() => parseSweepArgs(['--threshold', 'high'])).toThrow(/--threshold high/);
    expect(() => parseSweepArgs(['--actor-lr', '9'])).not.toThrow(); // range is checked by each run's config
    expect(() => parseSweepArgs(['--wings', '2'])).toThrow(/Unknown flag --wings/);
  });

  it('runs variants × seeds in parallel and tabulates each variant', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'td3-sweep-'));
    const result = await sweep(
      parseSweepArgs([
        '--seeds',
        '2',
        '--variants',
        'td3,ddpg',
        '--parallel',
        '2',
        '--out-dir',
        outDir,
        ...FLAGS,
      ]),
    );
    expect(result.failures).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual([
      'ddpg-s0.jsonl',
      'ddpg-s1.jsonl',
      'td3-s0.jsonl',
      'td3-s1.jsonl',
    ]);
    // The lab's results table: final return mean ± std, then the IQM with its interval, over 2 seeds.
    const number = '−?\\d+(\\.\\d+)?';
    for (const label of ['TD3', 'DDPG \\(all three off\\)'])
      expect(result.table).toMatch(
        new RegExp(
          `\\| ${label} \\| 2 \\| ${number} ± ${number} \\| ${number} \\[${number}, ${number}\\] \\|`,
        ),
      );

    // Each of the two lanes ran a td3 run first: a ddpg run after it in the same process records exactly what
    // the same run records alone.
    const alone = join(outDir, 'alone.jsonl');
    const train = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/train.ts',
        ...FLAGS,
        ...variantFlags(VARIANTS.ddpg),
        '--seed',
        '1',
        '--threads',
        '1',
        '--out',
        alone,
      ],
      { encoding: 'utf8' },
    );
    expect(train.status, train.stderr).toBe(0);
    const learning = (path: string) =>
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((r) => ['eval', 'episode', 'update'].includes(r.type));
    const inLane = learning(join(outDir, 'ddpg-s1.jsonl'));
    expect(inLane.length).toBeGreaterThan(3);
    expect(inLane).toEqual(learning(alone));
  }, 180_000);

  it('counts failed runs and goes on with the next ones in the same lane', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'td3-sweep-'));
    // An actor learning rate out of range passes the sweep's own check and fails in each run.
    const result = await sweep(
      parseSweepArgs([
        '--seeds',
        '3',
        '--variants',
        'td3',
        '--parallel',
        '1',
        '--out-dir',
        outDir,
        '--actor-lr',
        '9',
      ]),
    );
    expect(result.failures).toBe(3);
    expect(result.table).toContain('| TD3 | 0 of 3 | — |');
  }, 120_000);

  it('on a GPU the runs train as batched populations, unless told otherwise; per-run files are refused', () => {
    expect(parseSweepArgs(['--backend', 'webgpu']).population).toBe(true);
    expect(parseSweepArgs(['--backend', 'wasm']).population).toBe(false);
    expect(parseSweepArgs([]).population).toBe(false);
    expect(parseSweepArgs(['--backend', 'webgpu', '--no-population']).population).toBe(false);
    expect(parseSweepArgs(['--population', '--backend', 'cpu']).population).toBe(true);
    expect(() => parseSweepArgs(['--backend', 'webgpu', '--checkpoint', 'runs/x.ckpt'])).toThrow(
      '--checkpoint is not available when the runs train as one population',
    );
    expect(() => parseSweepArgs(['--population', '--export-policy=runs/p'])).toThrow(/--export-policy/);
  });

  it('as populations: every run writes the records it writes in its own process, a run that cannot join trains alone', async () => {
    const files = async (population: boolean) => {
      const outDir = mkdtempSync(join(tmpdir(), 'td3-sweep-'));
      const result = await sweep(
        parseSweepArgs([
          '--seeds',
          '2',
          // PER cannot be batched: it trains alone, as train runs it.
          '--variants',
          'td3,ddpg,per',
          population ? '--population' : '--no-population',
          '--parallel',
          '2',
          '--out-dir',
          outDir,
          '--backend',
          'cpu',
          ...FLAGS,
        ]),
      );
      expect(result.failures).toBe(0);
      const names = readdirSync(outDir).sort();
      const walls: number[] = [];
      return {
        table: result.table,
        names,
        walls,
        records: names.map((name) =>
          readFileSync(join(outDir, name), 'utf8')
            .trim()
            .split('\n')
            .map((line) => {
              const record = JSON.parse(line);
              // The one field that differs: the wall time (a population's is all of its runs' together).
              if (record.type === 'summary') walls.push(record.wallSeconds);
              return record.type === 'summary' ? { ...record, wallSeconds: 0 } : record;
            }),
        ),
      };
    };
    const together = await files(true);
    const apart = await files(false);
    expect(together.names).toEqual(apart.names);
    expect(together.names).toEqual([
      'ddpg-s0.jsonl',
      'ddpg-s1.jsonl',
      'per-s0.jsonl',
      'per-s1.jsonl',
      'td3-s0.jsonl',
      'td3-s1.jsonl',
    ]);
    // TD3 and DDPG trained as one population (one wall time for the four); each PER run alone.
    const [ddpg0, ddpg1, per0, per1, td30, td31] = together.walls;
    expect(new Set([ddpg0, ddpg1, td30, td31]).size).toBe(1);
    expect(per0).not.toBe(ddpg0);
    expect(per1).not.toBe(per0);
    expect(new Set(apart.walls).size).toBe(6);
    for (const [i, records] of together.records.entries()) {
      expect(records.filter((r) => r.type === 'update').length, together.names[i]).toBeGreaterThan(3);
      expect(records.at(-1)).toMatchObject({ type: 'summary', backend: 'cpu', steps: 200 });
      expect(records, together.names[i]).toEqual(apart.records[i]);
    }
    // The same table, but for its last column, the wall time per run.
    const withoutWallTime = (table: string) => table.replace(/\| [^|]* \|$/gm, '|');
    expect(together.table).toContain('| TD3 + prioritized replay | 2 |');
    expect(withoutWallTime(together.table)).toBe(withoutWallTime(apart.table));
  }, 240_000);

  it('a lane stops, even in the middle of a run, once the sweep that started it is gone', async () => {
    const lane = spawn(process.execPath, ['--import', 'tsx', 'src/cli/trainLane.ts'], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => lane.on('exit', (code) => resolve(code)));
    lane.send({ args: [...FLAGS, '--steps', '1000000', '--threads', '1'] });
    await new Promise((r) => setTimeout(r, 3000));
    expect(lane.exitCode).toBeNull(); // still training
    lane.disconnect();
    const code = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r('still running'), 15_000)),
    ]);
    if (code === 'still running') lane.kill();
    expect(code).toBe(1);
  }, 60_000);
});
