/** Env steps per second for every registered env: uniform random actions, reset at episode ends. */
import { Random } from '../../common/random';
import { envIds, makeEnv } from '../../envs';
import { summarize } from './stats';
import type { EnvRun } from './types';

export async function benchEnvs(
  steps: number,
  repeats: number,
  log: (line: string) => void,
): Promise<EnvRun[]> {
  const runs: EnvRun[] = [];
  for (const id of envIds) {
    try {
      const env = await makeEnv(id);
      const { actionLow, actionHigh, actionSize } = env.spec;
      const rng = new Random(7);
      const action = new Float32Array(actionSize);
      env.reset(0);
      const rates: number[] = [];
      for (let r = 0; r <= repeats; r++) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) {
          for (let j = 0; j < actionSize; j++) action[j] = rng.uniformRange(actionLow[j], actionHigh[j]);
          const result = env.step(action);
          if (result.terminated || result.truncated) env.reset();
        }
        // Repeat 0 is the warm-up (JIT, first physics calls).
        if (r > 0) rates.push((steps / (performance.now() - start)) * 1000);
      }
      env.close();
      const summary = summarize(rates);
      runs.push({ id, steps, ...summary, ratioToTorch: null, error: null });
      log(`env ${id}: ${summary.median.toFixed(0)} steps/s`);
    } catch (error) {
      runs.push({ id, steps, ...summarize([]), ratioToTorch: null, error: (error as Error).message });
      log(`env ${id}: failed (${(error as Error).message})`);
    }
  }
  return runs;
}
