/**
 * The shared base of the MuJoCo envs, a port of Gymnasium 1.x `envs/mujoco/mujoco_env.py` (`MujocoEnv`) on
 * the official `@mujoco/mujoco` WASM build, with the `TimeLimit` that `gymnasium.make` adds.
 *
 * - `reset`: `mj_resetData`, then the env's `resetModel` draws the noise and sets qpos/qvel, then `mj_forward`
 *   (Gymnasium's `reset` → `reset_model` → `set_state`).
 * - `step`: the action is written to `data.ctrl` once, then `mj_step` runs `frameSkip` times and
 *   `mj_rnePostConstraint` fills `cfrc_ext` (Gymnasium's `do_simulation`). MuJoCo clamps the control to the
 *   actuators' ctrlrange internally; the action itself is not clipped, so control costs see it unclipped, as
 *   in Gymnasium. The action is read as float32, as Gymnasium's float32 action Box holds it.
 * - `getState` is [...qpos, ...qvel]. `setState` starts from `mj_resetData` (as `reset` does), writes qpos
 *   and qvel exactly and calls `mj_forward`: what follows depends on the state and the actions only, not on
 *   what the env did before (the solver's warm start, the last control and `cfrc_ext` are cleared; Gymnasium's
 *   `set_state` keeps them).
 * - `dt` = timestep · frameSkip, as Gymnasium's `dt` property.
 * - Observations are Float32Array (Gymnasium builds them in float64); rewards are float64.
 */

import type { MjData, MjModel } from '@mujoco/mujoco';
import type { Random } from '../../common/random';
import { checkAction, checkState, copySpec } from '../checks';
import { Episode } from '../episode';
import type { Env, EnvScene, EnvSpec, EpisodeState, StepResult } from '../types';
import type { Mujoco } from './loadMujoco';

export interface MujocoEnvConfig {
  spec: Readonly<EnvSpec>;
  /** The MJCF text of the model. */
  xml: string;
  /** MuJoCo steps per env step (Gymnasium's `frame_skip`). */
  frameSkip: number;
}

/** What a drawing needs once: the geoms' shapes, in MuJoCo's units and conventions. */
export interface GeomInfo {
  /** mjtGeom: 0 plane, 2 sphere, 3 capsule, 4 ellipsoid, 5 cylinder, 6 box. */
  types: Int32Array;
  /** 3 per geom (MuJoCo's geom_size: capsule [radius, half-length, 0], sphere [radius, 0, 0], ...). */
  sizes: Float64Array;
  /** 4 per geom. */
  rgba: Float32Array;
  bodyIds: Int32Array;
  names: string[];
}

/** The geoms' world poses now: positions (3 per geom) and row-major rotation matrices (9 per geom). */
export interface GeomPoses {
  xpos: Float64Array;
  xmat: Float64Array;
}

/** The MjData arrays the envs read (all float64). */
export type DataField =
  | 'ctrl'
  | 'xpos'
  | 'xipos'
  | 'geom_xpos'
  | 'geom_xmat'
  | 'site_xpos'
  | 'cinert'
  | 'cvel'
  | 'cfrc_ext'
  | 'qfrc_actuator'
  | 'qfrc_constraint';

/** mjtObj values used for name look-ups. */
const MJ_OBJ_BODY = 1;
const MJ_OBJ_GEOM = 5;
const MJ_OBJ_SITE = 6;

/** Reads an Embind typed-array view; throws if the binding returned something else. */
function f64(view: unknown, what: string): Float64Array {
  if (!(view instanceof Float64Array)) throw new Error(`MuJoCo binding: ${what} is not a Float64Array`);
  return view;
}

function i32(view: unknown, what: string): Int32Array {
  if (!(view instanceof Int32Array)) throw new Error(`MuJoCo binding: ${what} is not an Int32Array`);
  return view;
}

export abstract class MujocoEnv implements Env {
  readonly spec: EnvSpec;
  readonly frameSkip: number;
  /** Seconds of simulated time per env step: timestep · frameSkip. */
  readonly dt: number;
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly nbody: number;
  readonly ngeom: number;
  /** qpos and qvel of a fresh MjData (the model's qpos0 and zeros): Gymnasium's `init_qpos` / `init_qvel`. */
  readonly initQpos: Float64Array;
  readonly initQvel: Float64Array;

  /** The action of the last step as float32 (unclipped, as written to `data.ctrl`), or null since reset. */
  lastAction: Float32Array | null = null;

  protected readonly mj: Mujoco;
  private modelHandle: MjModel | null;
  private dataHandle: MjData | null;
  private readonly episode: Episode;
  private geomInfoCache: GeomInfo | null = null;

  protected constructor(mj: Mujoco, config: MujocoEnvConfig, seed: number) {
    this.spec = copySpec(config.spec);
    this.mj = mj;
    this.episode = new Episode(this.spec.id, this.spec.maxEpisodeSteps, seed);
    if (!Number.isInteger(config.frameSkip) || config.frameSkip < 1) {
      throw new Error(`${this.spec.id}: frameSkip must be a positive integer, got ${config.frameSkip}`);
    }
    this.frameSkip = config.frameSkip;

    const model = mj.MjModel.from_xml_string(config.xml);
    let data: MjData;
    try {
      data = new mj.MjData(model);
    } catch (error) {
      model.delete();
      throw error;
    }
    this.modelHandle = model;
    this.dataHandle = data;
    try {
      this.nq = model.nq;
      this.nv = model.nv;
      this.nu = model.nu;
      this.nbody = model.nbody;
      this.ngeom = model.ngeom;
      const option = model.opt;
      try {
        this.dt = option.timestep * this.frameSkip;
      } finally {
        option.delete();
      }
      this.initQpos = Float64Array.from(f64(data.qpos, 'qpos'));
      this.initQvel = Float64Array.from(f64(data.qvel, 'qvel'));
      this.checkSpecAgainstModel();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** The action Box must be the actuators' ctrlrange, as Gymnasium's `_set_action_space` makes it. */
  private checkSpecAgainstModel(): void {
    const { id, actionSize, actionLow, actionHigh } = this.spec;
    if (this.nu !== actionSize)
      throw new Error(`${id}: the model has ${this.nu} actuators, spec ${actionSize}`);
    const range = f64(this.model.actuator_ctrlrange, 'actuator_ctrlrange');
    for (let i = 0; i < this.nu; i++) {
      if (range[2 * i] !== actionLow[i] || range[2 * i + 1] !== actionHigh[i]) {
        throw new Error(
          `${id}: actuator ${i} ctrlrange [${range[2 * i]}, ${range[2 * i + 1]}] differs from spec`,
        );
      }
    }
  }

  protected get model(): MjModel {
    if (this.modelHandle === null) throw new Error(`${this.spec.id}: the env is closed`);
    return this.modelHandle;
  }

  protected get data(): MjData {
    if (this.dataHandle === null) throw new Error(`${this.spec.id}: the env is closed`);
    return this.dataHandle;
  }

  private assertOpen(): void {
    if (this.dataHandle === null) throw new Error(`${this.spec.id}: the env is closed`);
  }

  get closed(): boolean {
    return this.dataHandle === null;
  }

  get elapsedSteps(): number {
    return this.episode.elapsedSteps;
  }

  // --- views into MjData (fetched on each use: WASM memory growth detaches older views) ---

  protected get qpos(): Float64Array {
    return f64(this.data.qpos, 'qpos');
  }

  protected get qvel(): Float64Array {
    return f64(this.data.qvel, 'qvel');
  }

  protected dataArray(name: DataField): Float64Array {
    return f64((this.data as unknown as Record<string, unknown>)[name], name);
  }

  /** A copy of an MjData array, as MuJoCo left it after the last reset, setState or step. */
  read(name: DataField): Float64Array {
    return this.dataArray(name).slice();
  }

  protected modelArray(name: 'body_mass'): Float64Array {
    return f64((this.model as unknown as Record<string, unknown>)[name], name);
  }

  protected bodyId(name: string): number {
    return this.nameId(MJ_OBJ_BODY, name, 'body');
  }

  protected siteId(name: string): number {
    return this.nameId(MJ_OBJ_SITE, name, 'site');
  }

  private nameId(type: number, name: string, what: string): number {
    const id = this.mj.mj_name2id(this.model, type, name);
    if (id < 0) throw new Error(`${this.spec.id}: the model has no ${what} named '${name}'`);
    return id;
  }

  /**
   * An object's name, or '' when it has none: for an unnamed object this binding's `mj_id2name` returns
   * stray text instead of null, so the name is kept only if it looks up the same id.
   */
  private nameOf(type: number, id: number): string {
    const name: unknown = this.mj.mj_id2name(this.model, type, id);
    if (typeof name !== 'string' || name === '') return '';
    return this.mj.mj_name2id(this.model, type, name) === id ? name : '';
  }

  // --- Gymnasium's MujocoEnv ---

  /** Gymnasium's `set_state`: writes qpos and qvel, then `mj_forward`. */
  protected setQposQvel(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    if (qpos.length !== this.nq || qvel.length !== this.nv) {
      throw new Error(`${this.spec.id}: qpos/qvel must have lengths ${this.nq}/${this.nv}`);
    }
    this.qpos.set(qpos);
    this.qvel.set(qvel);
    this.mj.mj_forward(this.model, this.data);
  }

  /** Gymnasium's `do_simulation`: control once, `frameSkip` MuJoCo steps, then `mj_rnePostConstraint`. */
  protected doSimulation(ctrl: Float32Array): void {
    this.dataArray('ctrl').set(ctrl);
    const { mj, model, data } = this;
    for (let i = 0; i < this.frameSkip; i++) mj.mj_step(model, data);
    mj.mj_rnePostConstraint(model, data);
  }

  /** `base + U(-scale, scale)`, one draw per component in order (NumPy's `uniform(low, high, size)`). */
  protected static uniformNoise(rng: Random, base: ArrayLike<number>, scale: number): Float64Array {
    const out = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) out[i] = base[i] + rng.uniformRange(-scale, scale);
    return out;
  }

  /** `base + scale · N(0, 1)`, one draw per component in order (NumPy's `standard_normal(size)`). */
  protected static normalNoise(rng: Random, base: ArrayLike<number>, scale: number): Float64Array {
    const out = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) out[i] = base[i] + scale * rng.normal();
    return out;
  }

  /** Sum of squares in index order, float64. */
  protected static sumOfSquares(values: ArrayLike<number>): number {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
    return sum;
  }

  // --- what each env defines ---

  /** Draws the reset noise from `rng` and sets qpos/qvel with `setQposQvel` (Gymnasium's `reset_model`). */
  protected abstract resetModel(rng: Random): void;

  /** Runs `doSimulation(action)` and returns the reward and termination (the body of Gymnasium's `step`). */
  protected abstract simulate(action: Float32Array): { reward: number; terminated: boolean };

  /** The observation of the current MjData (Gymnasium's `_get_obs`). */
  protected abstract observation(): Float32Array;

  // --- Env ---

  reset(seed?: number): Float32Array {
    this.assertOpen();
    const rng = this.episode.reseed(seed);
    this.mj.mj_resetData(this.model, this.data);
    this.resetModel(rng);
    this.episode.begin();
    this.lastAction = null;
    return this.observation();
  }

  step(action: ArrayLike<number>): StepResult {
    this.assertOpen();
    this.episode.assertStarted();
    const ctrl = Float32Array.from(checkAction(this.spec, action));
    const { reward, terminated } = this.simulate(ctrl);
    this.lastAction = ctrl;
    return { observation: this.observation(), reward, terminated, truncated: this.episode.tick() };
  }

  getState(): number[] {
    this.episode.assertStarted();
    return [...this.qpos, ...this.qvel];
  }

  setState(state: ArrayLike<number>): void {
    const values = checkState(this.spec.id, this.nq + this.nv, state);
    this.mj.mj_resetData(this.model, this.data);
    this.setQposQvel(values.slice(0, this.nq), values.slice(this.nq));
    this.episode.resume();
  }

  getEpisodeState(): EpisodeState {
    return this.episode.exportState();
  }

  setEpisodeState(state: EpisodeState): void {
    this.episode.importState(state);
  }

  observe(): Float32Array {
    this.assertOpen();
    this.episode.assertStarted();
    return this.observation();
  }

  /** Frees the MjData and MjModel; idempotent. Any later call but `close` throws. */
  close(): void {
    this.dataHandle?.delete();
    this.dataHandle = null;
    this.modelHandle?.delete();
    this.modelHandle = null;
  }

  // --- for drawing ---

  /** The geoms' shapes (copied once). */
  geomInfo(): GeomInfo {
    if (this.geomInfoCache === null) {
      const model = this.model as unknown as Record<string, unknown>;
      const rgba = model.geom_rgba;
      if (!(rgba instanceof Float32Array)) throw new Error('MuJoCo binding: geom_rgba is not a Float32Array');
      const names: string[] = [];
      for (let i = 0; i < this.ngeom; i++) names.push(this.nameOf(MJ_OBJ_GEOM, i));
      this.geomInfoCache = {
        types: Int32Array.from(i32(model.geom_type, 'geom_type')),
        sizes: Float64Array.from(f64(model.geom_size, 'geom_size')),
        rgba: Float32Array.from(rgba),
        bodyIds: Int32Array.from(i32(model.geom_bodyid, 'geom_bodyid')),
        names,
      };
    }
    const info = this.geomInfoCache;
    return {
      types: info.types.slice(),
      sizes: info.sizes.slice(),
      rgba: info.rgba.slice(),
      bodyIds: info.bodyIds.slice(),
      names: [...info.names],
    };
  }

  /** Everything a view needs to draw the model now. */
  scene(): EnvScene {
    const info = this.geomInfo();
    const poses = this.geomPositions();
    return { types: info.types, sizes: info.sizes, rgba: info.rgba, xpos: poses.xpos, xmat: poses.xmat };
  }

  /** The geoms' world positions and orientations now (copies). */
  geomPositions(): GeomPoses {
    return { xpos: this.dataArray('geom_xpos').slice(), xmat: this.dataArray('geom_xmat').slice() };
  }

  /** The bodies' frame origins in world coordinates, 3 per body, world first (copy of `data.xpos`). */
  bodyPositions(): Float64Array {
    return this.dataArray('xpos').slice();
  }

  /** The bodies' centres of mass in world coordinates, 3 per body (copy of `data.xipos`). */
  bodyComPositions(): Float64Array {
    return this.dataArray('xipos').slice();
  }

  /** The bodies' names, world first ('' for an unnamed body). */
  bodyNames(): string[] {
    return Array.from({ length: this.nbody }, (_, i) => this.nameOf(MJ_OBJ_BODY, i));
  }

  /** The bodies' masses, world first (copy of `model.body_mass`). */
  bodyMasses(): Float64Array {
    return this.modelArray('body_mass').slice();
  }
}
