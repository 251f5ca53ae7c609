/**
 * The TD3 update in headless Chromium, inside a Web Worker as the product runs it: Vite serves
 * bench/browser/ on loopback (a secure context, cross-origin isolated by vite.config.ts), playwright-core
 * drives Debian's Chromium. Each backend gets a fresh page (and worker); GPU backends get a time cap.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM, CHROMIUM_FLAGS } from '../chromium';
import type { WorkerReply, WorkerRequest } from './browserProtocol';
import { failedPopulation, type PopulationPlan, type PopulationRun } from './population';
import type { BackendRun, BROWSER_BACKENDS } from './types';
import type { UpdateCase, UpdatePlan } from './updateTiming';

export interface BrowserPlan {
  cases: UpdateCase[];
  plans: Record<(typeof BROWSER_BACKENDS)[number], UpdatePlan>;
  /** Beyond this a request is abandoned (its page closed): a first webgpu update can take minutes here. */
  hardLimitMs: number;
}

async function startServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    // Its own dependency cache, so a dev server of the app running beside it is left alone.
    cacheDir: 'node_modules/.vite-bench',
    optimizeDeps: {
      entries: ['bench/browser/index.html', 'bench/browser/worker.ts'],
      include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'],
    },
    logLevel: 'error',
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the bench server has no port');
  return { server, url: `http://127.0.0.1:${address.port}/bench/browser/index.html` };
}

async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as unknown as { benchReady?: boolean }).benchReady === true);
  return page;
}

async function request(page: Page, message: WorkerRequest, limitMs: number): Promise<WorkerReply> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<WorkerReply>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, error: `no answer within ${Math.round(limitMs / 1000)} s`, details: '' }),
      limitMs,
    );
  });
  try {
    return await Promise.race([
      page.evaluate(
        (m) =>
          (globalThis as unknown as { benchRun: (r: WorkerRequest) => Promise<WorkerReply> }).benchRun(m),
        message,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Chromium with the bench page served, kept open so that wasm can be timed round by round beside PyTorch. */
export interface BrowserBencher {
  chromium: string;
  /** `backend`'s timings for every case, a fresh page (and worker) per case. */
  time(
    backend: (typeof BROWSER_BACKENDS)[number],
    plan: BrowserPlan,
    log: (line: string) => void,
  ): Promise<BackendRun>;
  /** Many agents at once on `backend` (src/cli/bench/population.ts), in a fresh page; abandoned after `limitMs`. */
  population(
    backend: (typeof BROWSER_BACKENDS)[number],
    plan: PopulationPlan,
    limitMs: number,
  ): Promise<PopulationRun>;
  close(): Promise<void>;
}

/** Serves the bench page and starts Chromium; throws what went wrong when either cannot start. */
export async function startBrowserBench(log: (line: string) => void): Promise<BrowserBencher> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
  const served = await startServer();
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  } catch (error) {
    await served.server.close().catch(() => {});
    throw error;
  }
  // Warm-up: loads every module once (Vite optimises dependencies on first use and may reload the page).
  const tiny: UpdateCase = { name: 'warm-up', obs: 3, act: 1, hidden: 8, batch: 8 };
  for (let attempt = 0; attempt < 3; attempt++) {
    const page = await openPage(browser, served.url);
    const reply = await request(
      page,
      { backend: 'cpu', case: tiny, plan: { warmup: 1, updates: 1, repeats: 1, capMs: null } },
      120_000,
    ).catch((error: Error) => ({ ok: false as const, error: error.message, details: '' }));
    await page.close();
    if (reply.ok) break;
    log(`browser warm-up: ${reply.error}${attempt < 2 ? ', retrying' : ''}`);
  }
  return {
    chromium: browser.version(),
    time: (backend, plan, log) => timeBackend(browser, served.url, backend, plan, log),
    population: (backend, plan, limitMs) => timePopulation(browser, served.url, backend, plan, limitMs),
    close: async () => {
      await browser.close().catch(() => {});
      await served.server.close().catch(() => {});
    },
  };
}

async function timePopulation(
  browser: Browser,
  url: string,
  backend: (typeof BROWSER_BACKENDS)[number],
  plan: PopulationPlan,
  limitMs: number,
): Promise<PopulationRun> {
  let reply: WorkerReply;
  try {
    const page = await openPage(browser, url);
    try {
      reply = await request(page, { kind: 'population', backend, population: plan }, limitMs);
    } finally {
      await page.close().catch(() => {});
    }
  } catch (error) {
    reply = { ok: false, error: (error as Error).message, details: '' };
  }
  if (reply.ok && 'population' in reply)
    return { ...reply.population, where: 'browser', details: reply.details };
  const error = reply.ok ? 'the worker answered with an update timing' : reply.error;
  return failedPopulation(backend, plan, error, 'browser', reply.details);
}

async function timeBackend(
  browser: Browser,
  url: string,
  backend: (typeof BROWSER_BACKENDS)[number],
  plan: BrowserPlan,
  log: (line: string) => void,
): Promise<BackendRun> {
  const run: BackendRun = { where: 'browser', backend, error: null, details: '', timings: [] };
  for (const c of plan.cases) {
    log(`browser ${backend} ${c.name}: timing…`);
    // A fresh page per case: a stuck GPU backend cannot hold the next case hostage.
    let reply: WorkerReply;
    try {
      const page = await openPage(browser, url);
      try {
        reply = await request(page, { backend, case: c, plan: plan.plans[backend] }, plan.hardLimitMs);
      } finally {
        await page.close().catch(() => {});
      }
    } catch (error) {
      reply = { ok: false, error: (error as Error).message, details: '' };
    }
    if (reply.details) run.details = reply.details;
    if (!reply.ok) {
      run.error = `${c.name}: ${reply.error}`;
      log(`browser ${backend} ${c.name}: failed (${reply.error})`);
      // A backend that cannot start will not start for the next size either.
      if (!run.timings.length) break;
      continue;
    }
    if (!('timing' in reply)) continue;
    run.timings.push({ ...reply.timing, ratioToTorch: null });
    log(
      `browser ${backend} ${c.name}: ${reply.timing.median.toFixed(1)} updates/s` +
        (reply.timing.capped ? ' (time cap reached)' : ''),
    );
  }
  return run;
}
