/**
 * A configuration written for the tools people run on clusters: an rl-baselines3-zoo hyperparameter file
 * (Stable-Baselines3's TD3) and a CleanRL `td3_continuous_action.py` command line. What a tool cannot
 * express is said in a comment above it, never silently dropped.
 *
 * Units agree: our exploration σ, smoothing σ and clip are fractions of half the action range; SB3 adds
 * its noise to actions rescaled to [−1, 1], and CleanRL multiplies by the action scale, so the numbers
 * carry over unchanged.
 */
import type { Config } from '../rl/hyperparameters';

/** A number as YAML and Python read it back exactly (`!!float` keeps 1e-3 a float in YAML 1.1). */
function yamlNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const text = String(v);
  return text.includes('e') ? `!!float ${text}` : text;
}

/** The settings beyond the paper that this export does not carry over (schedules, n-step), said in notes. */
function scheduleNotes(config: Config, tool: string, linearLrToZero: boolean): string[] {
  const notes: string[] = [];
  if (config.actorMinQ && config.twinCritics) notes.push(`${tool}'s actor ascends Q1 (here min(Q1, Q2))`);
  if (config.init !== 'pytorch' || config.smallActorOutput)
    notes.push(
      `${tool} initialises as PyTorch's nn.Linear (here ${config.init}${config.smallActorOutput ? ", the actor's last layer from U(±3e-3)" : ''})`,
    );
  if (config.normalizeObservations)
    notes.push(
      `this file does not normalise ${tool}'s observations (here by their running mean and std${config.freezeObservationStats ? ', frozen when learning starts' : ''})`,
    );
  if (config.rewardScale !== 1) notes.push(`${tool} learns unscaled rewards (here × ${config.rewardScale})`);
  if (config.actorGradClip || config.criticGradClip)
    notes.push(
      `${tool} does not clip gradient norms (here actor ${config.actorGradClip || 'off'}, critics ${config.criticGradClip || 'off'})`,
    );
  if (config.per)
    notes.push(
      `this file does not turn on prioritized replay (α ${config.perAlpha}, β₀ ${config.perBeta0}) for ${tool}`,
    );
  if (config.nStep > 1)
    notes.push(
      `this file does not set ${tool}'s returns: here they are ${config.nStep}-step, there one-step`,
    );
  if (config.explNoiseSchedule !== 'constant')
    notes.push(
      `${tool} keeps the exploration noise constant (here a ${config.explNoiseSchedule} decay of σ from ${config.explNoise} to ${config.explNoiseFinal})`,
    );
  const lrExpressed = linearLrToZero && config.lrSchedule === 'linear' && config.lrFinalFraction === 0;
  if (config.lrSchedule !== 'constant' && !lrExpressed)
    notes.push(
      `${tool} cannot express this learning-rate schedule (here ${config.lrSchedule} to ${config.lrFinalFraction} of each rate)`,
    );
  const ownCritic = config.criticLrSchedule !== 'same';
  if (
    ownCritic &&
    (config.criticLrSchedule !== config.lrSchedule || config.criticLrFinalFraction !== config.lrFinalFraction)
  )
    notes.push(
      `${tool} schedules both networks' learning rates alike (here the critics' is ${config.criticLrSchedule} to ${config.criticLrFinalFraction} of its rate)`,
    );
  if (config.criticNorm !== 'none')
    notes.push(`${tool}'s critics have no ${config.criticNorm} normalisation (here they do)`);
  return notes;
}

export function zooHyperparameters(config: Config, label: string): string {
  const notes: string[] = scheduleNotes(config, "rl-baselines3-zoo's TD3", true);
  // The zoo's "lin_<value>" is a learning rate decaying linearly from the value to 0 over the run.
  const linear = config.lrSchedule === 'linear' && config.lrFinalFraction === 0;
  if (linear && config.startSteps > 0)
    notes.push(
      `the zoo's lin_ schedule runs over all ${config.totalSteps} steps; here it runs over the steps after the ${config.startSteps} random ones`,
    );
  if (config.actorLr !== config.criticLr)
    notes.push(
      `SB3's TD3 has one learning rate: the actor's (${config.actorLr}) is used; the critic's here was ${config.criticLr}`,
    );
  const k = config.parallelEnvs;
  if (k > 1)
    notes.push(
      `SB3 steps its ${k} envs and then makes their updates; here each env step is followed by its own`,
    );
  const lines = [
    `# rl-baselines3-zoo hyperparameters for TD3: "${label}" from TD3 Playground`,
    `# python -m rl_zoo3.train --algo td3 --env ${config.env} --seed ${config.seed} --conf-file THIS_FILE.yml`,
    ...notes.map((n) => `# Note: ${n}`),
    `${config.env}:`,
    `  n_timesteps: ${config.totalSteps}`,
    ...(k > 1 ? [`  n_envs: ${k}`] : []),
    `  policy: 'MlpPolicy'`,
    `  learning_rate: ${linear ? `lin_${config.actorLr}` : yamlNumber(config.actorLr)}`,
    `  buffer_size: ${config.bufferSize}`,
    `  learning_starts: ${config.startSteps}`,
    `  batch_size: ${config.batchSize}`,
    `  tau: ${yamlNumber(config.tau)}`,
    `  gamma: ${yamlNumber(config.discount)}`,
    '  train_freq: 1',
    // One step of SB3's K envs is K env steps: as many updates per env step as here.
    `  gradient_steps: ${config.updatesPerStep * k}`,
    `  policy_delay: ${config.policyDelay}`,
    // Smoothing off is smoothing with no noise: ã′ = π′(s′).
    `  target_policy_noise: ${config.targetSmoothing ? yamlNumber(config.policyNoise) : '0.0'}`,
    `  target_noise_clip: ${yamlNumber(config.noiseClip)}`,
    `  noise_type: '${config.explNoiseType === 'ou' ? 'ornstein-uhlenbeck' : 'normal'}'`,
    `  noise_std: ${yamlNumber(config.explNoise)}`,
    `  policy_kwargs: "dict(net_arch=[${config.hidden1}, ${config.hidden2}], n_critics=${config.twinCritics ? 2 : 1})"`,
  ];
  return `${lines.join('\n')}\n`;
}

export function cleanRlCommand(config: Config, label: string): string {
  const notes: string[] = scheduleNotes(config, 'CleanRL', false);
  if (!config.twinCritics)
    notes.push('CleanRL always trains twin critics: "twin critics off" cannot be expressed');
  if (config.hidden1 !== 256 || config.hidden2 !== 256)
    notes.push(
      `CleanRL's networks are 256-256 (here ${config.hidden1}-${config.hidden2}): edit the script to match`,
    );
  if (config.actorLr !== config.criticLr)
    notes.push(
      `CleanRL has one learning rate: the actor's (${config.actorLr}) is used; the critic's was ${config.criticLr}`,
    );
  if (config.explNoiseType === 'ou')
    notes.push('CleanRL explores with Gaussian noise only (here Ornstein–Uhlenbeck)');
  if (config.updatesPerStep !== 1)
    notes.push(`CleanRL makes one update per env step (here ${config.updatesPerStep})`);
  if (config.parallelEnvs > 1)
    notes.push(`CleanRL's TD3 steps one env (here ${config.parallelEnvs} side by side)`);
  const flags: [string, string | number][] = [
    ['env-id', config.env],
    ['seed', config.seed],
    ['total-timesteps', config.totalSteps],
    ['learning-rate', config.actorLr],
    ['buffer-size', config.bufferSize],
    ['gamma', config.discount],
    ['tau', config.tau],
    ['batch-size', config.batchSize],
    ['policy-noise', config.targetSmoothing ? config.policyNoise : 0],
    ['noise-clip', config.noiseClip],
    ['exploration-noise', config.explNoise],
    ['learning-starts', config.startSteps],
    ['policy-frequency', config.policyDelay],
  ];
  return [
    `# CleanRL command for "${label}" from TD3 Playground`,
    ...notes.map((n) => `# Note: ${n}`),
    `python cleanrl/td3_continuous_action.py ${flags.map(([k, v]) => `--${k} ${v}`).join(' ')}`,
    '',
  ].join('\n');
}
