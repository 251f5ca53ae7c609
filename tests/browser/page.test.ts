import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startServer } from './browser';

let browser: Browser;
let server: ViteDevServer;
let url: string;

beforeAll(async () => {
  ({ server, url } = await startServer());
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the page', () => {
  it('loads without console errors, cross-origin isolated, showing the presets and the three tricks', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(url);
    expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
    expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    await page.getByRole('heading', { name: 'TD3 Playground' }).waitFor();
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    const text = await page.locator('main').textContent();
    for (const word of ['twinCritics', 'policyDelay', 'targetSmoothing', 'author', 'paper', 'ddpg']) {
      expect(text ?? '').toContain(word);
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
