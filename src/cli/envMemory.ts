/**
 * `npm run env-memory -- ENV_ID [STEPS]`: steps a MuJoCo env with random actions (resetting at episode ends)
 * and prints the WASM heap and the JS heap before and after, to show that nothing leaks per step or reset.
 */
import { makeEnv } from '../envs';
import { loadMujoco, mujocoMemoryBytes } from '../envs/mujoco';

async function main(argv: string[]): Promise<number> {
  const [id = 'HalfCheetah-v5', stepsText = '1000000'] = argv;
  const steps = Number(stepsText);
  if (!Number.isInteger(steps) || steps < 1) {
    console.error('Usage: npm run env-memory -- ENV_ID [STEPS]');
    return 2;
  }
  const mj = await loadMujoco();
  const env = await makeEnv(id);
  const mark = () => ({
    wasmMiB: mujocoMemoryBytes(mj) / 2 ** 20,
    jsHeapMiB: process.memoryUsage().heapUsed / 2 ** 20,
  });
  env.reset(0);
  const action = new Float32Array(env.spec.actionSize);
  let resets = 0;
  let before = mark();
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    for (let k = 0; k < action.length; k++) action[k] = Math.random() * 2 - 1;
    const result = env.step(action);
    if (result.terminated || result.truncated) {
      env.reset();
      resets++;
    }
    if (i === 1000) before = mark(); // after warm-up allocations
  }
  const after = mark();
  env.close();
  console.log(
    JSON.stringify({ env: id, steps, resets, seconds: (performance.now() - start) / 1000, before, after }),
  );
  return 0;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
