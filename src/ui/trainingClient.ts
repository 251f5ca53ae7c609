/**
 * The page's handle on the training worker: sends commands, routes events into the store. The only place
 * in the UI that talks to the worker, and it does so through the protocol alone.
 */
import type { Config } from '../rl/hyperparameters';
import {
  BACKENDS,
  type BackendName,
  type CheckpointEvent,
  type Command,
  parseEvent,
} from '../worker/protocol';
import { listCheckpoints, loadCheckpointText, storeCheckpoint } from './checkpointStore';
import { saveBlob } from './download';
import { SilenceWatch } from './silenceWatch';
import { usePlayground } from './store';

/** A worker silent this long while training is taken for lost (it reports several times a second). */
const SILENCE_MS = 10_000;
/** How often the page checks that the worker is heard from. */
const CHECK_MS = 2000;

export class TrainingClient {
  private worker: Worker;
  private readonly silence = new SilenceWatch(performance.now(), CHECK_MS, SILENCE_MS);
  /** The name of the resume under way: its first status clears the charts, which its history then refills. */
  private resuming: string | null = null;
  private resumes = 0;

  constructor() {
    this.worker = this.makeWorker();
    this.checkpointsChanged();
    // A crashed or killed worker posts nothing more: the page notices and offers the last checkpoint.
    setInterval(() => {
      const state = usePlayground.getState().status?.state;
      if (this.silence.check(performance.now(), state === 'running' || state === 'starting'))
        this.lost('it stopped answering');
    }, CHECK_MS);
  }

  private makeWorker(): Worker {
    const worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (message: MessageEvent) => {
      this.silence.heard(performance.now());
      this.receive(message.data);
    };
    worker.onerror = (event) => this.lost(event.message || 'it failed');
    this.silence.heard(performance.now());
    const { autoCheckpointEvery, checkpointBuffer } = usePlayground.getState();
    worker.postMessage({
      type: 'autoCheckpoint',
      everySteps: autoCheckpointEvery,
      buffer: checkpointBuffer,
    } satisfies Command);
    return worker;
  }

  /** The worker is gone: a new one takes its place, and the page says what can be resumed. */
  private lost(why: string): void {
    this.worker.terminate();
    this.worker = this.makeWorker();
    const store = usePlayground.getState();
    const status = store.status;
    usePlayground.setState({ workerLost: true, status: status ? { ...status, state: 'error' } : null });
    const last = store.checkpoints.find((c) => c.envId === status?.config?.env);
    store.notify({
      type: 'notice',
      level: 'error',
      message: `The training worker was lost (${why}). ${last ? `Restore the checkpoint at step ${last.step} under Checkpoints to go on from there.` : 'No checkpoint of this run was saved.'}`,
    });
  }

  send(command: Command): void {
    this.worker.postMessage(command);
  }

  /** Continues from a checkpoint's text; the charts are replaced only once the worker has accepted it. */
  resumeFrom(text: string): void {
    this.resuming = `resume-${++this.resumes}`;
    usePlayground.setState({ workerLost: false });
    this.send({ type: 'resumeFrom', text, runId: this.resuming });
  }

  async resumeCheckpoint(key: number): Promise<void> {
    try {
      this.resumeFrom(await loadCheckpointText(key));
    } catch (error) {
      usePlayground
        .getState()
        .notify({ type: 'notice', level: 'error', message: `Not resumed: ${(error as Error).message}` });
    }
  }

  /**
   * Watches an exported policy: model.json, the weights file its manifest names, and policy.config.json (for
   * the env; without it, the env in the controls). The worker checks that they fit the env.
   */
  async watchExported(files: File[]): Promise<void> {
    const store = usePlayground.getState();
    const refuse = (why: string) =>
      store.notify({ type: 'notice', level: 'error', message: `Not watched: ${why}` });
    const byName = new Map(files.map((f) => [f.name, f]));
    const modelFile = byName.get('model.json');
    if (!modelFile) return refuse('choose model.json with its weights file (and policy.config.json)');
    const modelJson = await modelFile.text();
    let weightsName: string | undefined;
    try {
      weightsName = (JSON.parse(modelJson) as { weightsManifest?: { paths?: string[] }[] })
        .weightsManifest?.[0]?.paths?.[0];
    } catch {
      return refuse('model.json is not JSON');
    }
    const weightsFile = weightsName ? byName.get(weightsName) : undefined;
    if (!weightsFile)
      return refuse(`choose the weights file model.json names (${weightsName ?? 'none named'}) too`);
    let envId = store.draft.env;
    let config: Record<string, unknown> | undefined;
    const configFile = byName.get('policy.config.json');
    if (configFile) {
      try {
        config = JSON.parse(await configFile.text()) as Record<string, unknown>;
      } catch {
        return refuse('policy.config.json is not JSON');
      }
      if (typeof config?.env !== 'string') return refuse('policy.config.json names no env');
      envId = config.env;
    }
    const weights = await weightsFile.arrayBuffer();
    usePlayground.setState({ watching: true });
    this.worker.postMessage({ type: 'watchExported', modelJson, weights, envId } satisfies Command, [
      weights,
    ]);
  }

  /** Re-reads the list of saved checkpoints. */
  checkpointsChanged(): void {
    listCheckpoints().then(
      (checkpoints) => usePlayground.setState({ checkpoints }),
      () => usePlayground.setState({ checkpoints: [] }),
    );
  }

  private keepCheckpoint(event: CheckpointEvent): void {
    const store = usePlayground.getState();
    const { envId, step, reason, buffer, text } = event;
    storeCheckpoint({ envId, step, reason, buffer, text }).then(
      () => {
        this.checkpointsChanged();
        if (event.reason === 'manual')
          store.notify({
            type: 'notice',
            level: 'info',
            message: `Saved a checkpoint at step ${event.step} (${formatBytes(event.text.length)})`,
          });
      },
      (error: Error) =>
        store.notify({
          type: 'notice',
          level: 'warning',
          message: `The checkpoint at step ${event.step} could not be kept in this browser: ${error.message}`,
        }),
    );
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
        if (this.resuming !== null && event.runId === this.resuming) {
          this.resuming = null;
          store.clearSeries();
        }
        usePlayground.setState({ status: event });
        break;
      case 'checkpoint':
        this.keepCheckpoint(event);
        break;
      case 'policy': {
        // Three files, as tf.loadLayersModel expects them side by side.
        const env = String(event.config.env ?? 'policy');
        saveBlob(new Blob([event.modelJson], { type: 'application/json' }), 'model.json');
        saveBlob(new Blob([event.weights], { type: 'application/octet-stream' }), event.weightsFile);
        saveBlob(
          new Blob([JSON.stringify(event.config, null, 1)], { type: 'application/json' }),
          'policy.config.json',
        );
        store.notify({
          type: 'notice',
          level: 'info',
          message: `Exported the ${env} policy at step ${String(event.config.step)}: model.json, ${event.weightsFile}, policy.config.json`,
        });
        break;
      }
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

export function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1e3))} kB`;
}

let client: TrainingClient | null = null;

/** The one worker of the page, made on first use. */
export function trainingClient(): TrainingClient {
  client ??= new TrainingClient();
  return client;
}
