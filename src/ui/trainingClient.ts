/**
 * The page's handle on the training worker: sends commands, routes events into the store. The only place
 * in the UI that talks to the worker, and it does so through the protocol alone.
 */
import type { Config } from '../rl/hyperparameters';
import { BACKENDS, type BackendName, type Command, parseEvent } from '../worker/protocol';
import { usePlayground } from './store';

export class TrainingClient {
  private readonly worker: Worker;

  constructor() {
    this.worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (message: MessageEvent) => this.receive(message.data);
    this.worker.onerror = (event) => {
      usePlayground
        .getState()
        .notify({ type: 'notice', level: 'error', message: `Worker error: ${event.message}` });
    };
  }

  send(command: Command): void {
    this.worker.postMessage(command);
  }

  start(config: Config, backend?: string): void {
    usePlayground.getState().clearSeries();
    const requested = BACKENDS.includes(backend as BackendName) ? (backend as BackendName) : undefined;
    this.send({ type: 'start', config, backend: requested });
  }

  private receive(data: unknown): void {
    const parsed = parseEvent(data);
    if (!parsed.ok) {
      usePlayground.getState().notify({ type: 'notice', level: 'error', message: parsed.error });
      return;
    }
    const event = parsed.event;
    const store = usePlayground.getState();
    switch (event.type) {
      case 'status':
        usePlayground.setState({ status: event });
        break;
      case 'metrics':
        store.addRecords(event.records);
        break;
      case 'frame':
        usePlayground.setState(event.source === 'watch' ? { watchFrame: event } : { frame: event });
        break;
      case 'landscape':
        usePlayground.setState({ landscape: event });
        break;
      case 'notice':
        store.notify(event);
        break;
    }
  }
}

let client: TrainingClient | null = null;

/** The one worker of the page, made on first use. */
export function trainingClient(): TrainingClient {
  client ??= new TrainingClient();
  return client;
}
