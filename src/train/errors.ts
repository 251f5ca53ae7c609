/**
 * Why training can stop, told apart so each is handled right: the run's own failures (the critic diverged,
 * the env refused an action) stop the session with a reason; anything else (a tfjs backend that failed,
 * a lost GPU device) propagates, so the host can move the agent to another backend and go on.
 */
import type { Env, EnvDrawing, EnvScene, EpisodeState } from '../envs/types';
import type { Divergence } from './metrics';

/** The run cannot go on: divergence, or an error raised by the environment. */
export class TrainingStopped extends Error {}

/**
 * Why a run stopped at env step `step`, in words, and what diverged if that was why (at the error's update,
 * or else at `latestUpdate`): one wording for a single run and a population's.
 */
export function stopReason(
  error: TrainingStopped,
  step: number,
  latestUpdate: number,
): { reason: string; divergence: Divergence | null } {
  if (!(error instanceof Diverged))
    return { reason: `Stopped at env step ${step}: ${error.message}`, divergence: null };
  const update = error.update ?? latestUpdate;
  return {
    reason: `Diverged at env step ${step}, update ${update}: ${error.message}`,
    divergence: { quantity: error.quantity, step, update },
  };
}

/** The parameter checksum found `networks` non-finite in the check after updates `first`–`last`. */
export function weightsDiverged(networks: string[], first: number, last: number): Diverged {
  const quantity = `the weights of ${networks.join(', ')}`;
  return new Diverged(
    quantity,
    `${quantity} are not finite (NaN or infinite), found by the check after updates ${first}–${last}`,
  );
}

/** A quantity of the update went non-finite (NaN or ±Infinity): the run is held where it is, to roll back. */
export class Diverged extends TrainingStopped {
  constructor(
    /** What went non-finite, in words: "the critic loss", "the weights of critic 2". */
    readonly quantity: string,
    detail: string,
    /** The update where it went non-finite, when it is known and is not the latest one. */
    readonly update?: number,
  ) {
    super(detail);
  }
}

/** The same env, with its errors raised as TrainingStopped. */
export function guardEnv(env: Env): Env {
  const guard =
    <A extends unknown[], R>(name: string, f: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return f(...args);
      } catch (error) {
        throw new TrainingStopped(`${env.spec.id}.${name}: ${(error as Error).message}`);
      }
    };
  return {
    spec: env.spec,
    exactRestore: env.exactRestore,
    reset: guard('reset', (seed?: number) => env.reset(seed)),
    step: guard('step', (action: ArrayLike<number>) => env.step(action)),
    getState: guard('getState', () => env.getState()),
    setState: guard('setState', (state: ArrayLike<number>) => env.setState(state)),
    getEpisodeState: guard('getEpisodeState', () => env.getEpisodeState()),
    setEpisodeState: guard('setEpisodeState', (state: EpisodeState) => env.setEpisodeState(state)),
    observe: guard('observe', () => env.observe()),
    scene: env.scene ? guard('scene', () => env.scene?.() as EnvScene) : undefined,
    drawing: env.drawing ? guard('drawing', () => env.drawing?.() as EnvDrawing) : undefined,
    close: () => env.close(),
  };
}
