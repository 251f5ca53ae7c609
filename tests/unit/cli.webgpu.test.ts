/**
 * WebGPU in Node through Dawn (src/cli/webgpu.ts), on SwiftShader's Vulkan driver from Debian's chromium: the
 * backend starts and names its adapter, the TD3 update and a population compute what the cpu backend computes,
 * `npm run train --backend webgpu` trains, checkpoints and exports, and a machine without an adapter gets a
 * message that says what to install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activateNodeBackend, webgpuAdapterInUse } from '../../src/cli/backend';
import { SWIFTSHADER_VULKAN } from '../../src/cli/webgpu';
import { checkPopulations, checkPresets } from '../helpers/gpuArithmetic';
import { TINY_RUN_FLAGS } from '../helpers/tinyRun';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
// Read by the Vulkan loader when Dawn first asks for an adapter: set before anything here starts webgpu.
process.env.VK_ICD_FILENAMES = SWIFTSHADER_VULKAN;

function train(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(TSX, ['src/cli/train.ts', ...args], { encoding: 'utf8', timeout: 240_000, env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');

describe('WebGPU in Node (Dawn on SwiftShader)', () => {
  it('starts tfjs-webgpu on Dawn and names the adapter', async () => {
    expect(existsSync(SWIFTSHADER_VULKAN), 'Debian chromium ships SwiftShader’s Vulkan driver').toBe(true);
    expect(await activateNodeBackend('webgpu')).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(webgpuAdapterInUse()).toMatch(/swiftshader.*a software adapter, WebGPU on the CPU/i);
    const product = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6], [2, 1]));
    expect(Array.from(await product.data())).toEqual([17, 39]);
    product.dispose();
  });

  it('updates the networks as the cpu backend does (TD3 and DDPG, alone and as a population)', async () => {
    await activateNodeBackend('webgpu');
    const presets = await checkPresets('webgpu');
    expect(presets.map((p) => p.preset)).toEqual(['author', 'ddpg']);
    for (const p of presets) {
      // float32 rounding is ≈1e-8; a wrong kernel moves weights by ~1e-3 (the learning rate) or more.
      expect(p.maxDifference, p.preset).toBeLessThan(1e-5);
      expect(p.maxWeight, p.preset).toBeGreaterThan(0.1);
    }
    const [population] = await checkPopulations(['webgpu']);
    expect(population.maxDifference).toBeLessThan(1e-5);
    expect(population.maxChange).toBeGreaterThan(1e-3);
    console.log(
      `Node webgpu vs cpu: ${presets.map((p) => `${p.preset} max |Δw| ${p.maxDifference.toExponential(1)}`).join(', ')}, ` +
        `population ${population.maxDifference.toExponential(1)} (updates moved weights by up to ${population.maxChange.toExponential(1)})`,
    );
  }, 180_000);

  it('npm run train --backend webgpu trains, checkpoints and exports; the checkpoint resumes on wasm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'td3-webgpu-'));
    const checkpoint = join(dir, 'run.ckpt.json');
    const gpu = train([
      ...TINY_RUN_FLAGS,
      '--backend',
      'webgpu',
      '--steps',
      '200',
      '--eval-every',
      '200',
      '--seed',
      '1',
      '--quiet',
      '--checkpoint',
      checkpoint,
      '--export-policy',
      join(dir, 'policy'),
    ]);
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stderr).toMatch(/tfjs backend: webgpu \(google swiftshader/);
    const summary = summaryOf(gpu.stdout);
    expect(summary).toMatchObject({ backend: 'webgpu', steps: 200, stoppedReason: null });
    // 100 updates of 8-8 nets: the evaluation's return is finite, a Pendulum episode's (−16.3 per step at worst).
    expect(summary.finalEval).toBeGreaterThan(-16.3 * 200);
    expect(summary.finalEval).toBeLessThan(0);
    expect(JSON.parse(readFileSync(join(dir, 'policy', 'model.json'), 'utf8')).format).toBe('layers-model');

    const resumed = train(['--resume', checkpoint, '--steps', '300', '--backend', 'wasm', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(summaryOf(resumed.stdout)).toMatchObject({ backend: 'wasm', steps: 300, stoppedReason: null });
  }, 300_000);

  it('without a GPU driver, --backend webgpu says what to install and trains nothing', () => {
    const none = train([...TINY_RUN_FLAGS, '--backend', 'webgpu', '--steps', '200', '--quiet'], {
      ...process.env,
      VK_ICD_FILENAMES: join(tmpdir(), 'no-such-vulkan-driver.json'),
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no WebGPU adapter');
    expect(none.stderr).toContain(`VK_ICD_FILENAMES=${SWIFTSHADER_VULKAN}`);
    expect(none.stdout).toBe('');
  });
});
