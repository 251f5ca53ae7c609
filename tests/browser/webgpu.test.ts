/**
 * The GPU path's arithmetic, checked without a GPU: TD3 updates on tfjs-webgpu (SwiftShader in Debian's
 * Chromium here) against the cpu backend, read back asynchronously (tests/browser/webgpu/worker.ts).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/cli/chromium';
import { type Served, startDevServer } from '../../src/cli/serve';
import type { WebgpuCheck } from './webgpu/worker';

let browser: Browser;
let server: Served;

beforeAll(async () => {
  server = await startDevServer();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('TD3 on WebGPU', () => {
  it('updates the networks as the cpu backend does (TD3 and DDPG, 4 updates each)', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}tests/browser/webgpu/index.html`);
    const result = (await page.evaluate('window.checkResult')) as WebgpuCheck;
    expect(result.error).toBeUndefined();
    expect(result.presets?.map((p) => p.preset)).toEqual(['author', 'ddpg']);
    for (const p of result.presets ?? []) {
      // Measured here: ≈1.5e-8, float32 rounding; a wrong kernel moves weights by ~1e-3 (lr) or more.
      expect(p.maxDifference).toBeLessThan(1e-5);
      expect(p.maxWeight).toBeGreaterThan(0.1);
    }
    console.log(
      `webgpu (${result.adapter}) vs cpu: ${result.presets?.map((p) => `${p.preset} max |Δw| ${p.maxDifference.toExponential(1)}, ${p.ms.toFixed(0)} ms`).join('; ')}`,
    );
    await page.close();
  }, 180_000);
});
