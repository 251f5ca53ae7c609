import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs, trainUsage, UsageError } from '../../src/cli/args';
import { TINY_RUN_FLAGS } from '../helpers/tinyRun';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

function train(args: string[]) {
  const result = spawnSync(TSX, ['src/cli/train.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('train flags', () => {
  it('maps the paper-style aliases onto schema fields', () => {
    const args = parseTrainArgs([
      '--env',
      'Pendulum-v1',
      '--steps',
      '20000',
      '--seed',
      '3',
      '--no-twin',
      '--delay',
      '1',
      '--no-smoothing',
    ]);
    expect(args.overrides).toEqual({
      env: 'Pendulum-v1',
      totalSteps: 20000,
      seed: 3,
      twinCritics: false,
      policyDelay: 1,
      targetSmoothing: false,
    });
  });

  it('accepts every schema field in kebab or camel case, with = or a separate value', () => {
    const args = parseTrainArgs([
      '--actor-lr',
      '1e-3',
      '--criticLr=2e-4',
      '--target-smoothing',
      'false',
      '--twin-critics',
      '--expl-noise-type',
      'ou',
    ]);
    expect(args.overrides).toEqual({
      actorLr: 1e-3,
      criticLr: 2e-4,
      targetSmoothing: false,
      twinCritics: true,
      explNoiseType: 'ou',
    });
  });

  it('reads --threads, and refuses a count that is not a positive integer', () => {
    expect(parseTrainArgs(['--threads', '1']).threads).toBe(1);
    expect(parseTrainArgs([]).threads).toBeUndefined();
    for (const bad of ['0', '1.5', 'two', '-2']) {
      expect(() => parseTrainArgs([`--threads=${bad}`])).toThrow(/--threads/);
    }
  });

  it('reads --preset, --out and --backend', () => {
    const args = parseTrainArgs(['--preset', 'ddpg', '--out', 'runs/x.jsonl', '--backend', 'cpu']);
    expect(args).toMatchObject({ preset: 'ddpg', out: 'runs/x.jsonl', backend: 'cpu' });
  });

  it('rejects unknown flags, missing values, non-numbers and unknown presets', () => {
    expect(() => parseTrainArgs(['--bogus', '1'])).toThrow(/Unknown flag --bogus/);
    expect(() => parseTrainArgs(['--seed'])).toThrow(/--seed needs a value/);
    expect(() => parseTrainArgs(['--actor-lr', 'fast'])).toThrow(
      /--actor-lr fast: not a number; expected a number in \[0\.000001, 0\.01\]/,
    );
    expect(() => parseTrainArgs(['--preset', 'best'])).toThrow(UsageError);
    expect(() => parseTrainArgs(['--no-seed'])).toThrow(/Unknown flag --no-seed/);
  });

  it('lists every schema field in --help', () => {
    const usage = trainUsage();
    for (const flag of [
      '--actor-lr',
      '--twin-critics',
      '--policy-delay',
      '--target-smoothing',
      '--probe-pairs',
    ]) {
      expect(usage).toContain(flag);
    }
  });
});

describe('npm run train', () => {
  it('exits with code 2 and a clear message on an unknown flag', () => {
    const { code, stderr } = train(['--wat']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown flag --wat/);
  });

  it('exits with code 2 naming the field, value and range of a bad value', () => {
    const { code, stderr } = train(['--actor-lr', '5']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/actorLr = 5 is not allowed: expected a number in \[0\.000001, 0\.01\]/);
  });

  it('exits with code 2 on an unknown env id, listing the known ones', () => {
    const { code, stderr } = train(['--env', 'Nope-v0']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Nope-v0/);
    expect(stderr).toMatch(/Pendulum-v1/);
  });

  it('trains, writes one JSON record per line and ends with a summary', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'td3-cli-')), 'run.jsonl');
    const { code, stdout, stderr } = train([
      ...TINY_RUN_FLAGS,
      '--steps',
      '300',
      '--seed',
      '1',
      '--eval-every',
      '100',
      '--probe-every',
      '200',
      '--probe-pairs',
      '2',
      '--quiet',
      '--out',
      out,
    ]);
    expect(stderr).toMatch(/tfjs backend: wasm/);
    expect(code).toBe(0);
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records[0]).toMatchObject({ type: 'config', backend: 'wasm' });
    expect(records[0].config).toMatchObject({ env: 'Pendulum-v1', totalSteps: 300, hidden1: 8, seed: 1 });
    expect(records.filter((r) => r.type === 'eval').map((r) => r.step)).toEqual([100, 200, 300]);
    expect(records.filter((r) => r.type === 'probe')).toHaveLength(1);
    const summary = records.at(-1);
    expect(summary).toMatchObject({
      type: 'summary',
      steps: 300,
      episodes: 1,
      env: 'Pendulum-v1',
      preset: 'quick',
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual(summary);
  });

  it('--checkpoint and --resume: a run stopped at a checkpoint and resumed writes what the whole run writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'td3-resume-'));
    const flags = [
      ...TINY_RUN_FLAGS,
      '--seed',
      '5',
      '--eval-every',
      '200',
      '--probe-every',
      '200',
      '--probe-pairs',
      '3',
      '--threads',
      '1',
      '--quiet',
    ];
    const whole = train([...flags, '--steps', '600', '--out', join(dir, 'whole.jsonl')]);
    expect(whole.code, whole.stderr).toBe(0);
    const first = train([
      ...flags,
      '--steps',
      '300',
      '--checkpoint',
      join(dir, 'run.ckpt'),
      '--out',
      join(dir, 'first.jsonl'),
    ]);
    expect(first.code, first.stderr).toBe(0);
    const resumed = train([
      '--resume',
      join(dir, 'run.ckpt'),
      '--steps',
      '600',
      '--threads',
      '1',
      '--quiet',
      '--out',
      join(dir, 'resumed.jsonl'),
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resumed at step 300 of 600');
    const learning = (file: string) =>
      readFileSync(join(dir, file), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((r) => !['throughput', 'summary'].includes(r.type));
    const all = learning('whole.jsonl');
    expect(all.filter((r) => r.type === 'eval').map((r) => r.step)).toEqual([200, 400, 600]);
    // The resumed file holds the whole run: the records before the checkpoint, then the rest. Only its config
    // record says it was started for 300 steps (and then extended).
    const [config, ...rest] = learning('resumed.jsonl');
    expect(rest).toEqual(all.slice(1));
    expect(
      rest.filter((r) => r.type === 'eval' || r.type === 'episode' || r.type === 'probe').length,
    ).toBeGreaterThan(7);
    expect({ ...config.config, totalSteps: 600 }).toEqual(all[0].config);
    const summary = JSON.parse(resumed.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toMatchObject({ type: 'summary', steps: 600, preset: 'resumed' });
  }, 120_000);

  it('--resume refuses a damaged checkpoint and changed settings, with exit code 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'td3-resume-'));
    const file = join(dir, 'run.ckpt');
    expect(train([...TINY_RUN_FLAGS, '--steps', '150', '--checkpoint', file, '--quiet']).code).toBe(0);
    const changed = train(['--resume', file, '--actor-lr', '0.01']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(
      /--resume keeps the run's settings; only --steps may be given with it \(not actorLr\)/,
    );
    const text = readFileSync(file, 'utf8');
    const damaged = join(dir, 'damaged.ckpt');
    writeFileSync(damaged, text.slice(0, text.length - 100));
    const cut = train(['--resume', damaged]);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/Not a usable checkpoint: the file is cut short/);
    expect(train(['--resume', join(dir, 'missing.ckpt')]).stderr).toMatch(/--resume .*missing.ckpt: ENOENT/);
  }, 60_000);
});
