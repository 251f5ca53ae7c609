/** The app served on loopback, for the browser tests and the page bench (Chromium: src/cli/chromium.ts). */
import { build, createServer, preview } from 'vite';

export interface Served {
  url: string;
  close: () => Promise<void>;
}

function urlOf(address: ReturnType<import('node:net').Server['address']> | undefined): string {
  if (!address || typeof address === 'string') throw new Error('server has no port');
  return `http://127.0.0.1:${address.port}/`;
}

/** The dev server, as `npm start` runs it, on a free loopback port. */
export async function startDevServer(): Promise<Served> {
  const server = await createServer({ server: { host: '127.0.0.1', port: 0 }, logLevel: 'error' });
  await server.listen();
  return { url: urlOf(server.httpServer?.address()), close: () => server.close() };
}

/** The production build (`npm run build`), served by `vite preview` on a free loopback port. */
export async function startPreviewServer(outDir: string): Promise<Served> {
  await build({ logLevel: 'error', build: { outDir, emptyOutDir: true } });
  const server = await preview({
    preview: { host: '127.0.0.1', port: 0 },
    build: { outDir },
    logLevel: 'error',
  });
  return {
    url: urlOf(server.httpServer.address()),
    close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())),
  };
}
