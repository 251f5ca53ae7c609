/** The bench page: starts the bench worker and lets the driver (playwright) send it one request at a time. */
import type { WorkerReply, WorkerRequest } from '../../src/cli/bench/browserProtocol';

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

const page = globalThis as unknown as {
  benchRun: (request: WorkerRequest) => Promise<WorkerReply>;
  benchReady: boolean;
};
page.benchRun = (request) =>
  new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<WorkerReply>) => resolve(event.data);
    worker.onerror = (event) =>
      resolve({ ok: false, error: `worker error: ${event.message || 'failed to load'}`, details: '' });
    worker.postMessage(request);
  });
page.benchReady = true;
