/**
 * The worker's side of runs trained as one population (src/train/populationSession.ts): the lab sends a
 * group of runs in one `startPopulation` command when its backend is a GPU's, and hears of each run by its
 * own name, in its own status and metrics events, as if it trained alone.
 */
import type { Env } from '../envs/types';
import type { Reads } from '../rl/deviceReads';
import type { Config } from '../rl/hyperparameters';
import { TrainingStopped } from '../train/errors';
import type { MetricRecord } from '../train/metrics';
import { PopulationSession } from '../train/populationSession';
import type { MetricsEvent, RunState, StatusEvent } from './protocol';

export class PopulationRun {
  /** Each run's records not yet posted. */
  private readonly pending: MetricRecord[][];
  /** Why the runs stopped before their last step (an env's error, a backend's failure); null while they go on. */
  stoppedReason: string | null = null;

  private constructor(
    readonly runIds: string[],
    private readonly session: PopulationSession,
    pending: MetricRecord[][],
  ) {
    this.pending = pending;
  }

  static async create(
    runs: { runId: string; config: Config }[],
    envFactory?: (id: string) => Promise<Env>,
  ): Promise<PopulationRun> {
    const pending: MetricRecord[][] = runs.map(() => []);
    const session = await PopulationSession.create(
      runs.map((r) => r.config),
      (i, record) => pending[i].push(record),
      envFactory,
    );
    return new PopulationRun(
      runs.map((r) => r.runId),
      session,
      pending,
    );
  }

  get step(): number {
    return this.session.step;
  }

  get done(): boolean {
    return this.session.done || this.stoppedReason !== null;
  }

  /** About `ms` of lockstep steps; an error stops every run with its message (they share each step). */
  *runRead(ms: number): Reads<void> {
    if (this.done) return;
    try {
      yield* this.session.runRead(ms);
    } catch (error) {
      const message = (error as Error).message;
      this.stoppedReason =
        error instanceof TrainingStopped ? message : `training failed at step ${this.step}: ${message}`;
    }
  }

  /** Each run's records since the last call, as metrics events. */
  takeMetrics(): MetricsEvent[] {
    const events: MetricsEvent[] = [];
    this.pending.forEach((records, i) => {
      // Emptied in place: the session's emit keeps pushing onto these arrays.
      if (records.length) events.push({ type: 'metrics', runId: this.runIds[i], records: records.splice(0) });
    });
    return events;
  }

  /** Each run's status; the host's fields (state, backend, speed, tensors) are the same for all. */
  statuses(common: Omit<StatusEvent, 'runId' | 'step' | 'episodes' | 'updates' | 'config'>): StatusEvent[] {
    const { configs } = this.session;
    return this.runIds.map((runId, i) => {
      // A run that stopped by itself (diverged, its env failed) says so while the others go on.
      const stopped = this.session.stoppedOf(i);
      return {
        ...common,
        runId,
        state: stopped ? 'stopped' : common.state,
        step: this.session.step,
        episodes: this.session.episodesOf(i),
        updates: this.session.population.updates,
        config: configs[i],
        stoppedReason: stopped?.reason ?? this.stoppedReason,
        divergence: stopped?.divergence ?? null,
      };
    });
  }

  /** The state the runs end in once `done`. */
  get finalState(): RunState {
    return this.stoppedReason || this.runIds.every((_, i) => this.session.stoppedOf(i)) ? 'stopped' : 'done';
  }

  dispose(): void {
    this.session.dispose();
  }
}
