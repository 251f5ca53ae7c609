/**
 * Trains the lab's queued runs, several side by side: each lane is a training worker of its own (the same
 * worker the playground uses, spoken to through the same protocol), taking runs one after another. A lane
 * measures the tfjs backends on its first run and keeps that backend for the next ones.
 */
import type { LabRun } from '../../lab/runs';
import { type BackendName, type Command, parseEvent } from '../../worker/protocol';
import { useLab } from './labStore';
import { saveRun } from './runHistory';

class Lane {
  private worker: Worker;
  private run: LabRun | null = null;
  private started = 0;
  /** A status of this run has arrived (so a start failure can no longer be silent). */
  private acknowledged = false;
  private backend: BackendName | undefined;

  constructor(private readonly next: () => LabRun | null) {
    this.worker = this.makeWorker();
  }

  private makeWorker(): Worker {
    const worker = new Worker(new URL('../../worker/training.worker.ts', import.meta.url), {
      type: 'module',
    });
    worker.onmessage = (message: MessageEvent) => this.receive(message.data);
    worker.onerror = (event) => {
      this.finish('failed', `the training worker failed: ${event.message}`);
      // A broken worker is replaced, so the queue goes on.
      this.worker.terminate();
      this.worker = this.makeWorker();
      this.backend = undefined;
      this.take();
    };
    return worker;
  }

  get busy(): boolean {
    return this.run !== null;
  }

  /** Starts the next queued run, if any and if idle. */
  take(): void {
    if (this.run) return;
    const run = this.next();
    if (!run) return;
    this.run = run;
    this.acknowledged = false;
    this.started = performance.now();
    run.state = 'running';
    run.records = [];
    run.step = 0;
    useLab.getState().touch();
    const command: Command = {
      type: 'start',
      config: run.config,
      backend: this.backend,
      runId: run.id,
      view: false,
    };
    this.worker.postMessage(command);
  }

  private receive(data: unknown): void {
    const parsed = parseEvent(data);
    const run = this.run;
    if (!parsed.ok) {
      useLab.getState().notify('error', parsed.error);
      return;
    }
    const event = parsed.event;
    if (event.type === 'notice') {
      // A start refused before any status of the run: the run fails with the worker's reason.
      if (run && !this.acknowledged && event.level === 'error') this.finish('failed', event.message);
      else if (event.level !== 'info') useLab.getState().notify(event.level, event.message);
      return;
    }
    if (event.type === 'metrics') {
      // By the run's name, not the lane's current run: records can trail the status that ended their run.
      const owner = useLab.getState().runs.find((r) => r.id === event.runId && r.source === 'page');
      if (owner && (owner === run || owner.state === 'done' || owner.state === 'stopped')) {
        for (const record of event.records) owner.records.push(record);
        useLab.getState().touch();
      }
      return;
    }
    if (!run) return;
    if (event.type === 'status' && event.runId === run.id) {
      this.acknowledged = true;
      run.step = event.step;
      if (event.backend) this.backend = event.backend;
      if (event.state === 'done') this.finish('done', null);
      // A diverged run is held paused for a rollback in the playground; in the lab it is a stopped run.
      else if (event.state === 'stopped' || event.divergence)
        this.finish('stopped', event.stoppedReason ?? 'stopped');
      else if (event.state === 'error') this.finish('failed', 'could not start (see the notice)');
      else useLab.getState().touch();
    }
  }

  private finish(state: LabRun['state'], reason: string | null): void {
    const run = this.run;
    if (!run) return;
    run.state = state;
    run.reason = reason;
    run.wallSeconds = (performance.now() - this.started) / 1000;
    this.run = null;
    useLab.getState().touch();
    if (state === 'done' || state === 'stopped') keep(run);
    this.take();
  }

  /** Ends the current run and the worker. */
  close(): void {
    if (this.run) {
      this.run.state = 'cancelled';
      this.run.reason = 'stopped by you';
      this.run = null;
    }
    this.worker.terminate();
  }
}

/** A finished run goes into the browser's history; a history that cannot be written is said once. */
let historyWarned = false;
function keep(run: LabRun): void {
  saveRun(run).then(
    () => useLab.getState().historyChanged(),
    (error: Error) => {
      if (historyWarned) return;
      historyWarned = true;
      useLab.getState().notify('warning', `Finished runs are not kept in this browser: ${error.message}`);
    },
  );
}

let lanes: Lane[] = [];

/** The next queued run: seed by seed across variants, so every variant has results early on. */
function nextQueued(): LabRun | null {
  return useLab.getState().runs.find((r) => r.state === 'queued') ?? null;
}

/** Starts training the queued runs on `parallel` lanes (more lanes are made as needed, none are dropped). */
export function runQueued(parallel: number): void {
  while (lanes.length < parallel) lanes.push(new Lane(nextQueued));
  for (const lane of lanes.slice(0, parallel)) lane.take();
}

/** Stops every run: queued and training runs are marked cancelled; finished ones stay. */
export function stopAll(): void {
  for (const lane of lanes) lane.close();
  lanes = [];
  for (const run of useLab.getState().runs)
    if (run.state === 'queued') {
      run.state = 'cancelled';
      run.reason = 'stopped by you';
    }
  useLab.getState().touch();
}

export const isTraining = (): boolean => lanes.some((lane) => lane.busy);
