/**
 * Other tools' results and configurations: SB3's monitor.csv and progress.csv and TensorBoard's CSV export
 * load as lab runs (or are refused with the reason); a configuration exports as an rl-baselines3-zoo
 * hyperparameter file and a CleanRL command, saying what they cannot express.
 */
import { describe, expect, it } from 'vitest';
import { variantBands } from '../../src/lab/aggregate';
import { labJson, parseLabJson } from '../../src/lab/export';
import { cleanRlCommand, zooHyperparameters } from '../../src/lab/externalConfigs';
import { parseForeignCsv } from '../../src/lab/foreignRuns';
import { ABLATION_VARIANTS, variantConfig } from '../../src/lab/variants';
import { configFromPreset } from '../../src/rl/presets';

const MONITOR = `#{"t_start": 1700000000.0, "env_id": "Pendulum-v1"}
r,l,t
-1200.5,200,0.51
-900.25,200,1.02
-300,200,1.6
`;
const PROGRESS = `eval/mean_ep_length,eval/mean_reward,rollout/ep_len_mean,rollout/ep_rew_mean,time/total_timesteps
,,200,-1200,800
200,-800,200,-1100,1000
200,-250.5,200,-700,2000
`;
const TENSORBOARD = `Wall time,Step,Value
1700000000.1,200,-1250.3
1700000001.2,400,-1000
1700000002.3,1200,-600
`;

describe('results of other tools', () => {
  it('an SB3 monitor.csv becomes training episodes at their cumulative env steps, with its env', () => {
    const result = parseForeignCsv('logs/td3/Pendulum-v1_3/0.monitor.csv', MONITOR, 'Pendulum-v1');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const episodes = result.run.records.filter((r) => r.type === 'episode');
    expect(episodes.map((e) => [e.step, e.type === 'episode' && e.return])).toEqual([
      [200, -1200.5],
      [400, -900.25],
      [600, -300],
    ]);
    // Named by its env: the zoo calls every monitor file 0.monitor.csv, and seeds of one setting form one band.
    expect(result.run).toMatchObject({
      variant: 'SB3 monitor: Pendulum-v1',
      foreign: 'SB3 monitor',
      seed: 0,
    });
    expect(result.run.config.env).toBe('Pendulum-v1');
    // The training-return curve: the episodes that ended in each window of 500 steps.
    const train = variantBands([result.run], 'train', 500).get('SB3 monitor: Pendulum-v1');
    expect(train?.map((p) => [p.step, p.mean])).toEqual([
      [500, (-1200.5 - 900.25) / 2],
      [1000, -300],
    ]);
  });

  it('an SB3 progress.csv gives its evaluations, skipping rows logged for other keys', () => {
    const result = parseForeignCsv('progress.csv', PROGRESS, 'Pendulum-v1');
    expect(
      result.ok &&
        result.run.records.filter((r) => r.type === 'eval').map((r) => [r.step, r.type === 'eval' && r.mean]),
    ).toEqual([
      [1000, -800],
      [2000, -250.5],
    ]);
    const trainingOnly = PROGRESS.replace('eval/mean_reward', 'eval/other');
    const training = parseForeignCsv('progress.csv', trainingOnly, 'Pendulum-v1');
    expect(training.ok && training.run.variant).toBe('SB3 training: progress');
    expect(training.ok && training.run.records.filter((r) => r.type === 'episode')).toHaveLength(3);
  });

  it('a TensorBoard CSV export (CleanRL’s charts/episodic_return) gives training returns', () => {
    const result = parseForeignCsv(
      'run-Pendulum-v1__td3_continuous_action__1__1700000000-tag-charts_episodic_return.csv',
      TENSORBOARD,
      'Pendulum-v1',
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.run.records.filter((r) => r.type === 'episode').map((r) => r.step)).toEqual([
      200, 400, 1200,
    ]);
    expect(result.run).toMatchObject({
      foreign: 'TensorBoard',
      seed: 1,
      variant: 'TensorBoard: run-Pendulum-v1__td3_continuous_action-tag-charts_episodic_return',
    });
  });

  it('a loaded run keeps its origin through the lab’s own export', () => {
    const result = parseForeignCsv('0.monitor.csv', MONITOR, 'Pendulum-v1');
    if (!result.ok) throw new Error(result.error);
    const back = parseLabJson(labJson([result.run]));
    expect(back.ok && back.runs[0]).toMatchObject({
      foreign: 'SB3 monitor',
      variant: 'SB3 monitor: Pendulum-v1',
    });
    expect(back.ok && back.runs[0].records).toEqual(result.run.records);
  });

  it('refuses what it cannot read, saying which row and what it expected', () => {
    const cases: [string, RegExp][] = [
      ['a,b\n1,2', /not a CSV this lab reads: expected an SB3 monitor.csv/],
      ['r,l,t\n-100,abc,1', /row 2: episode length "abc" is not a number/],
      ['#{broken\nr,l,t\n1,2,3', /not the JSON of a monitor file/],
      ['Wall time,Step,Value\n1,2,', /row 2: Value "" is not a number/],
      ['time/total_timesteps,x\n1,2', /without eval\/mean_reward or rollout\/ep_rew_mean/],
      ['r,l,t\n', /no rows/],
    ];
    for (const [text, message] of cases) {
      const result = parseForeignCsv('f.csv', text, 'Pendulum-v1');
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(message);
    }
  });
});

describe('configurations for other tools', () => {
  const quick = configFromPreset('quick', { env: 'Pendulum-v1', totalSteps: 20_000 });

  it('an rl-baselines3-zoo file carries every setting SB3’s TD3 has, the tricks included', () => {
    const td3 = zooHyperparameters(variantConfig(quick, ABLATION_VARIANTS.td3, 0), 'TD3');
    for (const line of [
      'Pendulum-v1:',
      '  n_timesteps: 20000',
      '  learning_rate: 0.001',
      '  buffer_size: 200000',
      '  learning_starts: 1000',
      '  batch_size: 128',
      '  gamma: 0.98',
      '  policy_delay: 2',
      '  target_policy_noise: 0.2',
      '  target_noise_clip: 0.5',
      "  noise_type: 'normal'",
      '  noise_std: 0.1',
      '  policy_kwargs: "dict(net_arch=[64, 64], n_critics=2)"',
    ])
      expect(td3.split('\n')).toContain(line);
    const ddpg = zooHyperparameters(variantConfig(quick, ABLATION_VARIANTS.ddpg, 0), 'DDPG');
    expect(ddpg).toContain('  policy_delay: 1\n');
    expect(ddpg).toContain('  target_policy_noise: 0.0\n');
    expect(ddpg).toContain('n_critics=1)');
    expect(ddpg).not.toContain('# Note');
    const twoRates = zooHyperparameters({ ...quick, criticLr: 3e-4 }, 'x');
    expect(twoRates).toMatch(/# Note: SB3's TD3 has one learning rate/);
    // Parallel envs: SB3's n_envs, with as many updates per env step as here.
    const parallel = zooHyperparameters({ ...quick, parallelEnvs: 8, updatesPerStep: 2 }, 'x').split('\n');
    expect(parallel).toContain('  n_envs: 8');
    expect(parallel).toContain('  gradient_steps: 16');
    expect(parallel.some((l) => /^# Note: SB3 steps its 8 envs and then makes their updates/.test(l))).toBe(
      true,
    );
    expect(td3.split('\n')).not.toContain('  n_envs: 1');
  });

  it('a CleanRL command sets its flags, and says what CleanRL cannot do', () => {
    const td3 = cleanRlCommand(
      { ...variantConfig(quick, ABLATION_VARIANTS.td3, 4), hidden1: 256, hidden2: 256 },
      'TD3',
    );
    expect(td3).toContain(
      'python cleanrl/td3_continuous_action.py --env-id Pendulum-v1 --seed 4 --total-timesteps 20000 --learning-rate 0.001 --buffer-size 200000 --gamma 0.98 --tau 0.005 --batch-size 128 --policy-noise 0.2 --noise-clip 0.5 --exploration-noise 0.1 --learning-starts 1000 --policy-frequency 2',
    );
    expect(td3).not.toContain('# Note');
    const noTwin = cleanRlCommand(variantConfig(quick, ABLATION_VARIANTS['no-twin'], 0), 'no twin');
    expect(noTwin).toMatch(/# Note: CleanRL always trains twin critics/);
    expect(noTwin).toMatch(/# Note: CleanRL's networks are 256-256 \(here 64-64\)/);
    const noSmoothing = cleanRlCommand(variantConfig(quick, ABLATION_VARIANTS['no-smoothing'], 0), 'x');
    expect(noSmoothing).toContain('--policy-noise 0 ');
    expect(cleanRlCommand({ ...quick, parallelEnvs: 4 }, 'x')).toMatch(
      /# Note: CleanRL's TD3 steps one env \(here 4 side by side\)/,
    );
  });
});
