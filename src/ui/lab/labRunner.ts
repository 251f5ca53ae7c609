/**
 * Trains the lab's queued runs, several side by side: each lane is a training worker of its own (the same
 * worker the playground uses, spoken to through the same protocol), taking runs one after another. A lane
 * measures the tfjs backends on its first run (or takes the one `?backend=` names) and keeps that backend for
 * the next ones. On a GPU backend (WebGPU, WebGL) a lane trains its queued runs as one population: one read of
 * every run's action per env step and one update call for all, instead of one read per run.
 */

import { POPULATION_MAX, populationGroup } from '../../lab/populationGroup';
import type { LabRun } from '../../lab/runs';
import { BACKENDS, type BackendName, type Command, parseEvent } from '../../worker/protocol';
import { usePlayground } from '../store';
import { useLab } from './labStore';
import { saveRun } from './runHistory';

/** Backends where a lane trains its queued runs as one population (one read per step for all of them). */
const POPULATION_BACKENDS: BackendName[] = ['webgpu', 'webgl'];
class Lane {
  private worker: Worker;
  /** The runs training now: one, or a population of them. */
  private runs: LabRun[] = [];
  private started = 0;
  /** How many runs the lane took together last. */
  private groupSize = 1;
  /** A status of these runs has arrived (so a start failure can no longer be silent). */
  private acknowledged = false;
  private backend: BackendName | undefined;

  constructor(
    private readonly queued: () => LabRun[],
    /** The backend asked for in the address (`?backend=`), else chosen by measurement on the first run. */
    private readonly requested: BackendName | undefined,
  ) {
    this.backend = requested;
    this.worker = this.makeWorker();
  }

  private makeWorker(): Worker {
    const worker = new Worker(new URL('../../worker/training.worker.ts', import.meta.url), {
      type: 'module',
    });
    worker.onmessage = (message: MessageEvent) => this.receive(message.data);
    worker.onerror = (event) => {
      for (const run of [...this.runs])
        this.finish(run, 'failed', `the training worker failed: ${event.message}`);
      // A broken worker is replaced, so the queue goes on.
      this.worker.terminate();
      this.worker = this.makeWorker();
      this.backend = this.requested;
      this.take();
    };
    return worker;
  }

  get busy(): boolean {
    return this.runs.length > 0;
  }

  /**
   * Starts the next queued runs, if any and if idle: on a GPU backend as many as train together as one
   * population, else one.
   */
  take(): void {
    if (this.busy) return;
    const queued = this.queued();
    if (!queued.length) return;
    const together = this.backend !== undefined && POPULATION_BACKENDS.includes(this.backend);
    const runs = together ? populationGroup(queued, POPULATION_MAX) : [queued[0]];
    this.runs = runs;
    this.groupSize = runs.length;
    this.acknowledged = false;
    this.started = performance.now();
    for (const run of runs) {
      run.state = 'running';
      run.records = [];
      run.step = 0;
      run.trainedWith = null;
    }
    useLab.getState().touch();
    const command: Command =
      runs.length > 1
        ? {
            type: 'startPopulation',
            runs: runs.map((r) => ({ runId: r.id, config: r.config })),
            backend: this.backend,
          }
        : { type: 'start', config: runs[0].config, backend: this.backend, runId: runs[0].id, view: false };
    this.worker.postMessage(command);
  }

  private receive(data: unknown): void {
    const parsed = parseEvent(data);
    if (!parsed.ok) {
      useLab.getState().notify('error', parsed.error);
      return;
    }
    const event = parsed.event;
    if (event.type === 'notice') {
      // A start refused before any status of its runs: they fail with the worker's reason.
      if (this.busy && !this.acknowledged && event.level === 'error')
        for (const run of [...this.runs]) this.finish(run, 'failed', event.message);
      else if (event.level !== 'info') useLab.getState().notify(event.level, event.message);
      return;
    }
    if (event.type === 'metrics') {
      // By the run's name, not the lane's current runs: records can trail the status that ended their run.
      const owner = useLab.getState().runs.find((r) => r.id === event.runId && r.source === 'page');
      if (owner && (this.runs.includes(owner) || owner.state === 'done' || owner.state === 'stopped')) {
        for (const record of event.records) owner.records.push(record);
        useLab.getState().touch();
      }
      return;
    }
    if (event.type !== 'status') return;
    const run = this.runs.find((r) => r.id === event.runId);
    if (!run) return;
    this.acknowledged = true;
    run.step = event.step;
    if (event.backend) {
      this.backend = event.backend;
      run.trainedWith = {
        backend: event.backend,
        together: this.groupSize,
      };
    }
    if (event.state === 'done') this.finish(run, 'done', null);
    // A diverged run is held paused for a rollback in the playground; in the lab it is a stopped run.
    else if (event.state === 'stopped' || event.divergence)
      this.finish(run, 'stopped', event.stoppedReason ?? 'stopped');
    else if (event.state === 'error') this.finish(run, 'failed', 'could not start (see the notice)');
    else useLab.getState().touch();
  }

  private finish(run: LabRun, state: LabRun['state'], reason: string | null): void {
    if (!this.runs.includes(run)) return;
    run.state = state;
    run.reason = reason;
    run.wallSeconds = (performance.now() - this.started) / 1000;
    this.runs = this.runs.filter((r) => r !== run);
    useLab.getState().touch();
    if (state === 'done' || state === 'stopped') keep(run);
    this.take();
  }

  /** Ends the current runs and the worker. */
  close(): void {
    for (const run of this.runs) {
      run.state = 'cancelled';
      run.reason = 'stopped by you';
    }
    this.runs = [];
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

/** The queued runs, in order: seed by seed across variants, so every variant has results early on. */
function queuedRuns(): LabRun[] {
  return useLab.getState().runs.filter((r) => r.state === 'queued');
}

/** The backend `?backend=` asks for, if it names one. */
function requestedBackend(): BackendName | undefined {
  const asked = usePlayground.getState().backendRequest;
  return BACKENDS.includes(asked as BackendName) ? (asked as BackendName) : undefined;
}

/** Starts training the queued runs on `parallel` lanes (more lanes are made as needed, none are dropped). */
export function runQueued(parallel: number): void {
  while (lanes.length < parallel) lanes.push(new Lane(queuedRuns, requestedBackend()));
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
