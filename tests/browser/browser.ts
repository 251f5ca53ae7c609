/** Shared set-up of the browser tests: a Vite server on loopback and Debian's Chromium through playwright-core. */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep Chromium off the network (shared/BROWSER.md) and let WebGPU start on SwiftShader. */
const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's Chromium (apt-get install chromium); .ci/run does`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** The dev server, as `npm start` runs it, on a free loopback port. */
export async function startServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({ server: { host: '127.0.0.1', port: 0 }, logLevel: 'error' });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite server has no port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}
