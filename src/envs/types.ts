/** The environment contract: Gymnasium's `reset` / `step` semantics, plus an exact state save and restore. */

/** What an environment is: sizes, action bounds and time limit. */
export interface EnvSpec {
  id: string;
  observationSize: number;
  actionSize: number;
  actionLow: number[];
  actionHigh: number[];
  /** The TimeLimit: `truncated` is true exactly when this many steps have been taken since reset. */
  maxEpisodeSteps: number;
}

/** One transition's outcome, as Gymnasium's `step` returns it (without `info`). */
export interface StepResult {
  observation: Float32Array | number[];
  reward: number;
  /** The MDP ended (goal reached, fell over): the value of what follows is zero. */
  terminated: boolean;
  /** The episode was cut by the time limit: the state still has a value, so learning must bootstrap. */
  truncated: boolean;
}

/**
 * What a view needs to draw a physics env: every geom's type, size and colour, and its world pose now.
 * Types follow MuJoCo's mjtGeom: 0 plane, 2 sphere, 3 capsule, 4 ellipsoid, 5 cylinder, 6 box.
 */
export interface EnvScene {
  types: Int32Array;
  /** 3 per geom, MuJoCo's geom_size. */
  sizes: Float64Array;
  /** 4 per geom. */
  rgba: Float32Array;
  /** 3 per geom, world coordinates. */
  xpos: Float64Array;
  /** 9 per geom, row-major rotation matrices. */
  xmat: Float64Array;
}

/** A 2D picture in world coordinates (metres, y up): filled polygons in painter's order over a viewport. */
export interface EnvDrawing {
  view: { x: number; y: number; width: number; height: number };
  polygons: { vertices: number[]; color: string }[];
}

/** What continuing an episode needs beyond the physics: the reset stream, the step count, whether one is under way. */
export interface EpisodeState {
  rng: number[];
  elapsedSteps: number;
  underWay: boolean;
}

export interface Env {
  spec: EnvSpec;
  /** Starts an episode; the same seed gives the same initial state. Without a seed the env's stream goes on. */
  reset(seed?: number): Float32Array | number[];
  step(action: ArrayLike<number>): StepResult;
  /** The full simulator state: Pendulum [θ, θdot]; MountainCar [position, velocity]; MuJoCo [...qpos, ...qvel]. */
  getState(): number[];
  /** Restores a state from `getState` exactly; leaves the step counter alone. */
  setState(state: ArrayLike<number>): void;
  /** The episode's bookkeeping, for a checkpoint: with `getState` it continues the env exactly. */
  getEpisodeState(): EpisodeState;
  setEpisodeState(state: EpisodeState): void;
  /** The observation of the current state (what `step` would return after `setState`). */
  observe(): Float32Array | number[];
  /**
   * false when setState cannot reproduce the simulator exactly (Box2D's contact caches); the overestimation
   * probe then reports "not available" instead of a wrong number. Absent = exact.
   */
  exactRestore?: boolean;
  /** Geometry to draw, for envs whose state alone does not say how they look (MuJoCo). */
  scene?(): EnvScene;
  /** A 2D picture of the env now, for envs drawn as polygons (Box2D). */
  drawing?(): EnvDrawing;
  /** Frees native resources (WASM physics); a no-op for pure TypeScript envs. */
  close(): void;
}
