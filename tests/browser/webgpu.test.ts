/**
 * The GPU path without a GPU, on tfjs-webgpu over SwiftShader in Debian's Chromium: the update's arithmetic
 * against the cpu backend (tests/browser/webgpu/worker.ts), the page training Pendulum end to end with
 * `?backend=webgpu`, every read asynchronous (src/rl/deviceReads.ts), and with 8 parallel envs on webgl.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/cli/chromium';
import { type Served, startDevServer, startPreviewServer } from '../../src/cli/serve';
import type { WebgpuCheck } from './webgpu/worker';

let browser: Browser;
/** The dev server, for the update check's own page; the production build, as users get it, for the app. */
let server: Served;
let preview: Served;

beforeAll(async () => {
  server = await startDevServer();
  preview = await startPreviewServer(mkdtempSync(join(tmpdir(), 'td3-dist-')));
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await preview?.close();
});

/**
 * A fast-learning Pendulum run (measured with the CLI on wasm, seeds 0–5: every seed's best evaluation by
 * step 1500 between −122 and −728, from −986…−1490 untrained), small enough for SwiftShader's ≈ 5 env
 * steps per second.
 */
const GPU_RUN =
  'preset=quick&env=Pendulum-v1&seed=3&totalSteps=1500&batchSize=64&startSteps=250&actorLr=0.003' +
  '&criticLr=0.003&tau=0.05&policyDelay=1&evalEvery=250&evalEpisodes=2&probeEvery=500&probePairs=8' +
  '&logEvery=50&backend=webgpu';

describe('TD3 on WebGPU', () => {
  it('updates the networks as the cpu backend does (TD3 and DDPG, 4 updates each; alone and as a population)', async () => {
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
    // A population of a TD3 and a DDPG member, on WebGL and WebGPU, against the cpu backend.
    expect(result.populations?.map((p) => p.backend)).toEqual(['webgl', 'webgpu']);
    for (const p of result.populations ?? []) {
      expect(p.maxDifference, p.backend).toBeLessThan(1e-5);
      expect(p.maxChange, p.backend).toBeGreaterThan(1e-3);
    }
    console.log(
      `populations vs cpu: ${result.populations?.map((p) => `${p.backend} max |Δw| ${p.maxDifference.toExponential(1)} (updates moved weights by up to ${p.maxChange.toExponential(1)}), ${p.ms.toFixed(0)} ms`).join('; ')}`,
    );
    console.log(
      `webgpu (${result.adapter}) vs cpu: ${result.presets?.map((p) => `${p.preset} max |Δw| ${p.maxDifference.toExponential(1)}, ${p.ms.toFixed(0)} ms`).join('; ')}`,
    );
    await page.close();
  }, 180_000);

  it('the page trains Pendulum on WebGPU end to end: it learns, no console errors, tensors flat', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('worker', (w) =>
      w.on('console', (m) => m.type() === 'error' && errors.push(`worker: ${m.text()}`)),
    );
    try {
      await page.goto(`${preview.url}#${GPU_RUN}`);
      await page.getByRole('heading', { name: 'TD3 Playground' }).waitFor();
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      const badge = page.getByTestId('backend-badge');
      await expect
        .poll(() => badge.textContent(), { timeout: 120_000 })
        .toBe('backend: webgpu')
        .catch(async (error: Error) => {
          const notices = await page.locator('.notices').textContent();
          throw new Error(
            `${error.message}; state ${await page.getByTestId('run-state').textContent()}; notices: ${notices}; errors: ${errors.join('; ')}`,
          );
        });
      expect(await badge.getAttribute('title')).toMatch(/^webgpu chosen by you/);
      // Every evaluation as the status bar shows it, and the worker's tensor count, sampled while it runs.
      const evaluations: number[] = [];
      const tensors: number[] = [];
      const state = page.getByTestId('run-state');
      const started = Date.now();
      while ((await state.textContent()) !== 'done') {
        if (Date.now() - started > 600_000) throw new Error(`not done in 10 min: ${errors.join('; ')}`);
        const text = await page
          .getByTestId('last-eval')
          .textContent({ timeout: 1000 })
          .catch(() => null);
        if (text !== null && Number(text) !== evaluations.at(-1)) evaluations.push(Number(text));
        const step = Number(await page.getByTestId('step-counter').textContent());
        if (step > 300) tensors.push(Number(await badge.getAttribute('data-tensors')));
        await page.waitForTimeout(2000);
      }
      evaluations.push(Number(await page.getByTestId('last-eval').textContent()));
      console.log(
        `webgpu page run: ${((Date.now() - started) / 1000).toFixed(0)} s; evaluations ${evaluations.map((e) => e.toFixed(0)).join(', ')}; tensors ${[...new Set(tensors)].join(', ')}`,
      );
      expect(errors).toEqual([]);
      expect(evaluations[0]).toBeLessThan(-900);
      expect(evaluations.at(-1)).toBeGreaterThan(-700);
      // Flat: the same count at every sample between chunks of training (a leak adds tensors each update).
      expect(tensors.length).toBeGreaterThan(10);
      expect(new Set(tensors).size).toBe(1);
    } finally {
      await page.close();
    }
  }, 900_000);

  it('the page trains with 8 parallel envs on WebGL: every env runs its episode, and the page says so', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      // 1,200 random steps (150 per env), then 400 learning steps: each env ends its 200-step episode.
      await page.goto(
        `${preview.url}?backend=webgl#preset=quick&env=Pendulum-v1&seed=0&parallelEnvs=8&totalSteps=1600` +
          '&startSteps=1200&evalEvery=800&evalEpisodes=1&probePairs=0',
      );
      await page.getByRole('heading', { name: 'TD3 Playground' }).waitFor();
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      const state = page.getByTestId('run-state');
      const badge = page.getByTestId('backend-badge');
      const tensors: number[] = [];
      const started = Date.now();
      while ((await state.textContent()) !== 'done') {
        if (Date.now() - started > 300_000)
          throw new Error(
            `not done in 5 min: ${await page.locator('.status-bar').textContent()}; notices: ${await page.locator('.notices').textContent()}; errors: ${errors.join('; ')}`,
          );
        if (Number(await page.getByTestId('step-counter').textContent()) > 1300)
          tensors.push(Number(await badge.getAttribute('data-tensors')));
        await page.waitForTimeout(1000);
      }
      console.log(`webgl page run with 8 envs: ${((Date.now() - started) / 1000).toFixed(0)} s`);
      expect(errors).toEqual([]);
      expect(await badge.textContent()).toBe('backend: webgl');
      expect(await badge.getAttribute('title')).toMatch(/brings the actions of 8 parallel envs/);
      expect(await page.getByTestId('running-tricks').textContent()).toMatch(/8 envs side by side$/);
      await expect.poll(() => page.getByText('Training env (the first of 8').count()).toBe(1);
      const bar = (await page.locator('.status-bar').textContent()) ?? '';
      expect(bar).toMatch(/step 1600/);
      expect(bar).toMatch(/episodes 8/);
      expect(bar).toMatch(/updates 400/);
      expect(Number(await page.getByTestId('last-eval').textContent())).toBeLessThan(0);
      expect(tensors.length).toBeGreaterThan(5);
      expect(new Set(tensors).size).toBe(1);
    } finally {
      await page.close();
    }
  }, 400_000);
});
