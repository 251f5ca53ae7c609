/**
 * The page itself while it trains: the production build (`vite build`, served by `vite preview`) in headless
 * Chromium, a run started with the Start button, then frame intervals (requestAnimationFrame) and main-thread
 * long tasks (PerformanceObserver) over a window of steady training, and the worker's env steps/s from the
 * page's step counter over the same window.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../chromium';
import { startPreviewServer } from '../serve';
import type { PageRun } from './types';

export interface PagePlan {
  /** Seconds of training before the window (after learning has started). */
  warmupS: number;
  /** Seconds measured. */
  windowS: number;
  /** Give up on a run after this long. */
  limitMs: number;
  /** Only the runs not marked for a full bench. */
  quick: boolean;
}

/**
 * The runs measured: a light one and a heavy one (the authors' 256-256 networks on a MuJoCo env) on the
 * backend the page picks, then the light one on each GPU backend with one env (a read of the policy per env
 * step) and with 8 parallel envs (one read per 8); webgpu's (minutes on SwiftShader) only in a full run.
 */
export const PAGE_RUNS: {
  name: string;
  hash: string;
  query?: string;
  learningAfter: number;
  fullOnly?: boolean;
}[] = [
  { name: 'Pendulum-v1, quick', hash: 'preset=quick&env=Pendulum-v1&seed=0', learningAfter: 1000 },
  {
    name: 'HalfCheetah-v5, author (256-256, batch 256)',
    hash: 'preset=author&env=HalfCheetah-v5&seed=0&startSteps=1000',
    learningAfter: 1000,
  },
  ...['webgl', 'webgpu'].flatMap((backend) =>
    [1, 8].map((k) => ({
      name: `Pendulum-v1, quick, ${backend}, ${k === 1 ? '1 env' : `${k} parallel envs`}`,
      hash: `preset=quick&env=Pendulum-v1&seed=0&parallelEnvs=${k}`,
      query: `backend=${backend}`,
      learningAfter: 1000,
      fullOnly: backend === 'webgpu',
    })),
  ),
];

const steps = async (page: Page) => Number(await page.getByTestId('step-counter').textContent());

/**
 * Page-side scripts, as source text: functions handed to page.evaluate would carry the helpers that tsx's
 * transform adds (`__name`), which the page does not have.
 */
const OBSERVE_LONG_TASKS = `
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
  }).observe({ type: 'longtask' });
`;
const frameWindow = (windowMs: number) => `
  new Promise((resolve) => {
    window.longTasks = [];
    const frames = [];
    const start = performance.now();
    let last = start;
    function tick(now) {
      frames.push(now - last);
      last = now;
      if (now < start + ${windowMs}) requestAnimationFrame(tick);
      else {
        const sorted = [...frames].sort((a, b) => a - b);
        resolve({
          seconds: (last - start) / 1000,
          frames: frames.length,
          p50: sorted[Math.floor(sorted.length * 0.5)],
          p95: sorted[Math.floor(sorted.length * 0.95)],
          longTasks: window.longTasks.length,
          longestTask: Math.max(0, ...window.longTasks),
        });
      }
    }
    requestAnimationFrame(tick);
  })
`;

/** What the page-side window measures. */
type FrameWindow = Pick<PageRun, 'seconds' | 'frames' | 'p50' | 'p95' | 'longTasks' | 'longestTask'>;

async function measure(page: Page, plan: PagePlan, learningAfter: number): Promise<Omit<PageRun, 'name'>> {
  await page.evaluate(OBSERVE_LONG_TASKS);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByTestId('run-state').getByText('running').waitFor({ timeout: plan.limitMs });
  const deadline = Date.now() + plan.limitMs;
  while ((await steps(page)) <= learningAfter) {
    if (Date.now() > deadline) throw new Error(`learning did not start within ${plan.limitMs / 1000} s`);
    await page.waitForTimeout(250);
  }
  await page.waitForTimeout(plan.warmupS * 1000);
  const before = await steps(page);
  const timing = (await page.evaluate(frameWindow(plan.windowS * 1000))) as FrameWindow;
  const after = await steps(page);
  // The badge names the backend; its tooltip says why, and on wasm on how many threads.
  const badge = page.getByTestId('backend-badge');
  const name = (await badge.textContent())?.replace(/^backend: /, '') ?? '?';
  const threads = /ms\/update on ([^,]+)/.exec((await badge.getAttribute('title')) ?? '')?.[1];
  return {
    ...timing,
    stepsPerSec: (after - before) / timing.seconds,
    backend: `${name} (${threads ?? 'chosen'})`,
    error: null,
  };
}

export async function benchPage(plan: PagePlan, log: (line: string) => void): Promise<PageRun[]> {
  const outDir = mkdtempSync(join(tmpdir(), 'td3-bench-page-'));
  log('page: building the production bundle…');
  const server = await startPreviewServer(outDir);
  const browser = await launchChromium();
  const runs: PageRun[] = [];
  try {
    for (const run of PAGE_RUNS.filter((r) => !(plan.quick && r.fullOnly))) {
      log(`page: ${run.name}…`);
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      try {
        await page.goto(`${server.url}${run.query ? `?${run.query}` : ''}#${run.hash}`);
        await page.getByRole('heading', { name: 'TD3 Playground' }).waitFor();
        runs.push({ name: run.name, ...(await measure(page, plan, run.learningAfter)) });
        const r = runs[runs.length - 1];
        log(`page: ${run.name}: p95 frame ${r.p95.toFixed(1)} ms, ${r.stepsPerSec.toFixed(0)} env steps/s`);
      } catch (error) {
        runs.push({
          name: run.name,
          seconds: 0,
          frames: 0,
          p50: Number.NaN,
          p95: Number.NaN,
          longTasks: 0,
          longestTask: 0,
          stepsPerSec: Number.NaN,
          backend: '',
          error: (error as Error).message,
        });
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
  return runs;
}
