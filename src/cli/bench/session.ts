/** End-to-end training speed: a TrainingSession (preset 'quick', Pendulum) timed after learning starts. */
import * as tf from '@tensorflow/tfjs';
import { configFromPreset } from '../../rl/presets';
import { TrainingSession } from '../../train/session';
import { summarize } from './stats';
import type { SessionRun } from './types';

export interface SessionPlan {
  /** Env steps per timed repeat; 2,000 holds exactly two evaluations and one probe of the quick preset. */
  stepsPerRepeat: number;
  repeats: number;
  /** Overrides for tiny runs (fewer random start steps, fewer evaluations). */
  overrides: Record<string, number>;
}

export async function benchSession(plan: SessionPlan, log: (line: string) => void): Promise<SessionRun> {
  const config = configFromPreset('quick', {
    env: 'Pendulum-v1',
    seed: 0,
    totalSteps: 10_000_000,
    ...plan.overrides,
  });
  const session = await TrainingSession.create(config, () => {});
  try {
    // Random steps until learning starts (untimed).
    session.advance(config.startSteps);
    const rates: number[] = [];
    for (let r = 0; r < plan.repeats; r++) {
      const start = performance.now();
      const taken = session.advance(plan.stepsPerRepeat);
      rates.push((taken / (performance.now() - start)) * 1000);
      if (session.stoppedReason) throw new Error(session.stoppedReason);
    }
    const summary = summarize(rates);
    log(`session quick Pendulum: ${summary.median.toFixed(0)} env steps/s`);
    return {
      env: config.env,
      preset: 'quick',
      backend: tf.getBackend(),
      hidden: config.hidden1,
      batch: config.batchSize,
      stepsPerRepeat: plan.stepsPerRepeat,
      ...summary,
      ratioToTorch: null,
      torchCase: {
        name: 'Pendulum (quick)',
        obs: 3,
        act: 1,
        hidden: config.hidden1,
        batch: config.batchSize,
      },
    };
  } finally {
    session.dispose();
  }
}

/** The sizes the session trains with, for the PyTorch reference case. */
export function sessionSizes(): { hidden: number; batch: number } {
  const config = configFromPreset('quick', { env: 'Pendulum-v1' });
  return { hidden: config.hidden1, batch: config.batchSize };
}
