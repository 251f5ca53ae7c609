/**
 * Named configurations: the authors' repository, the 2018 paper, DDPG, rl-baselines3-zoo's tuned values,
 * and a small fast one for demos and tests. A preset is a set of overrides on the defaults.
 */
import { type Config, DEFAULT_CONFIG, parseConfig } from './hyperparameters';

export const PRESET_NAMES = ['author', 'paper', 'ddpg', 'zoo', 'quick'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const PRESET_DESCRIPTIONS: Record<PresetName, string> = {
  author: 'Authors’ repository (sfujim/TD3): 256-256, lr 3e-4, batch 256, 25k random steps',
  paper: 'Paper 2018: 400-300, lr 1e-3, batch 100, 1k random steps (10k on HalfCheetah and Ant)',
  ddpg: 'DDPG: the authors’ settings with twin critics, delay and target smoothing all off',
  zoo: 'rl-baselines3-zoo tuned TD3 for this environment',
  quick: 'Small and fast: 64-64 nets, lr 1e-3, γ 0.98, 1k random steps; learns Pendulum in minutes on a CPU',
};

/** The paper starts learning after 10k random steps on HalfCheetah and Ant, 1k elsewhere. */
const PAPER_LONG_START = new Set(['HalfCheetah', 'Ant']);

/** rl-baselines3-zoo `hyperparams/td3.yml`; keys it leaves out take its TD3 defaults below. */
const ZOO_DEFAULTS: Partial<Config> = {
  hidden1: 400,
  hidden2: 300,
  actorLr: 1e-3,
  criticLr: 1e-3,
  batchSize: 256,
  tau: 0.005,
  policyDelay: 2,
  policyNoise: 0.2,
  noiseClip: 0.5,
  explNoise: 0.1,
  explNoiseType: 'gaussian',
  startSteps: 10_000,
};
const ZOO_LOCOMOTION = ['HalfCheetah', 'Hopper', 'Walker2d', 'Ant', 'Swimmer'];
const ZOO_BY_ENV: Record<string, Partial<Config>> = {
  Pendulum: { totalSteps: 20_000, startSteps: 10_000, discount: 0.98, bufferSize: 200_000 },
  MountainCarContinuous: { totalSteps: 300_000, startSteps: 100, explNoiseType: 'ou', explNoise: 0.5 },
  LunarLanderContinuous: { totalSteps: 300_000, startSteps: 10_000, discount: 0.98, bufferSize: 200_000 },
  BipedalWalker: { totalSteps: 1_000_000, startSteps: 10_000, discount: 0.98, bufferSize: 200_000 },
  Humanoid: { totalSteps: 2_000_000 },
  ...Object.fromEntries(ZOO_LOCOMOTION.map((name) => [name, { totalSteps: 1_000_000 }])),
};

/** 'HalfCheetah-v5' → 'HalfCheetah'. */
export function envFamily(envId: string): string {
  return envId.replace(/-v\d+$/, '');
}

/** Whether a preset has values for an env (only the zoo is per env). */
export function presetAvailable(name: PresetName, envId: string): boolean {
  return name !== 'zoo' || envFamily(envId) in ZOO_BY_ENV;
}

/** The preset an env starts with: published tuned values (the zoo's) where they exist, else the authors'. */
export function defaultPresetFor(envId: string): PresetName {
  return presetAvailable('zoo', envId) ? 'zoo' : 'author';
}

/** The overrides a preset makes for an env, on top of the defaults. */
export function presetOverrides(name: PresetName, envId: string): Partial<Config> {
  switch (name) {
    case 'author':
      return {};
    case 'paper':
      return {
        hidden1: 400,
        hidden2: 300,
        actorLr: 1e-3,
        criticLr: 1e-3,
        batchSize: 100,
        startSteps: PAPER_LONG_START.has(envFamily(envId)) ? 10_000 : 1_000,
      };
    case 'ddpg':
      return { twinCritics: false, policyDelay: 1, targetSmoothing: false };
    case 'zoo': {
      const tuned = ZOO_BY_ENV[envFamily(envId)];
      if (!tuned) {
        const known = Object.keys(ZOO_BY_ENV).join(', ');
        throw new Error(`The zoo preset has no tuned values for ${envId} (it has: ${known})`);
      }
      return { ...ZOO_DEFAULTS, ...tuned };
    }
    case 'quick':
      return {
        hidden1: 64,
        hidden2: 64,
        actorLr: 1e-3,
        criticLr: 1e-3,
        batchSize: 128,
        discount: 0.98,
        startSteps: 1_000,
        bufferSize: 200_000,
        evalEvery: 1_000,
        probeEvery: 2_000,
      };
  }
}

/** A full configuration: defaults, then the preset for `env`, then the caller's overrides; validated. */
export function configFromPreset(
  name: PresetName,
  overrides: Partial<Config> & { env?: string } = {},
): Config {
  if (!PRESET_NAMES.includes(name)) {
    throw new Error(`Unknown preset "${name}": known presets are ${PRESET_NAMES.join(', ')}`);
  }
  const env = overrides.env ?? DEFAULT_CONFIG.env;
  return parseConfig({ ...DEFAULT_CONFIG, ...presetOverrides(name, env), ...overrides, env });
}
