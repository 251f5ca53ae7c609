/**
 * BipedalWalker-v3: a port of Gymnasium 1.x `box2d/bipedal_walker.py` (normal terrain, not hardcore) on planck
 * (a JavaScript port of Box2D 2.3) instead of pybox2d.
 *
 * The terrain's random walk, the bodies, joints and motors, the lidar, observation, reward and termination
 * follow Gymnasium line by line; the random numbers come from this project's seeded streams, so a seed gives
 * the same kind of terrain as in Gymnasium but not the same numbers. The reset stream draws a terrain seed
 * (terrain and clouds come from their own stream of it), then the push on the hull.
 *
 * State (`getState`, 34 numbers): [terrain seed, game over, contact of lower leg 0, contact of lower leg 1,
 * then for the hull, upper leg 0, lower leg 0, upper leg 1, lower leg 1: origin x, y, angle, centre-of-mass
 * velocity x, y, angular velocity]. `setState` regenerates the terrain from its seed and rebuilds the world:
 * Box2D's contact caches, warm-start impulses and sleep timers are not in the state, so the continuation
 * after a restore is close to the original but not identical (`exactRestore` is false); the first step after
 * a restore sets each contact flag to whether the lower leg touches the ground (Gymnasium's flag is the last
 * begin/end event, which differs when a foot touches two terrain edges). Two envs restored from the same
 * state continue identically.
 *
 * Drawing: `polygons()` gives filled polygons in world coordinates (metres, y up) in painter's order; `view()`
 * is the window Gymnasium's camera shows, following the hull.
 */

import { type Body, type Contact, EdgeShape, type Fixture, PolygonShape, RevoluteJoint, World } from 'planck';
import { Random } from '../../common/random';
import { checkAction, checkState, copySpec, notStarted } from '../checks';
import { Episode } from '../episode';
import type { Env, EnvDrawing, EnvSpec, EpisodeState, StepResult } from '../types';
import {
  BODY_STATE_SIZE,
  type BodyPose,
  boxOutline,
  checkSeedAndFlags,
  clip,
  createDynamicBody,
  type DrawPolygon,
  FPS,
  type Outline,
  POSITION_ITERATIONS,
  pushBodyState,
  readBodyState,
  rgb,
  setBodyVelocity,
  toVec2s,
  VELOCITY_ITERATIONS,
  worldPolygon,
} from './common';
import { BIPEDAL_WALKER_SPEC } from './specs';

export { BIPEDAL_WALKER_SPEC } from './specs';

const SCALE = 30.0;
const MOTORS_TORQUE = 80;
const SPEED_HIP = 4;
const SPEED_KNEE = 6;
/** Lidar rays reach this far (metres). */
export const LIDAR_RANGE = 160 / SCALE;
const INITIAL_RANDOM = 5;
const HULL_POLY: Outline = [
  [-30, +9],
  [+6, +9],
  [+34, +1],
  [+34, -8],
  [-30, -8],
];
const LEG_DOWN = -8 / SCALE;
const LEG_W = 8 / SCALE;
const LEG_H = 34 / SCALE;
const VIEWPORT_W = 600;
const VIEWPORT_H = 400;
export const TERRAIN_STEP = 14 / SCALE;
export const TERRAIN_LENGTH = 200;
const TERRAIN_HEIGHT = VIEWPORT_H / SCALE / 4;
const TERRAIN_GRASS = 10;
const TERRAIN_STARTPAD = 20;
const FRICTION = 2.5;
/** pybox2d's `b2World()` default gravity. */
const GRAVITY = -10;
/** The episode ends (without penalty) when the hull passes this x: the end of the terrain. */
export const WALKER_FINISH_X = (TERRAIN_LENGTH - TERRAIN_GRASS) * TERRAIN_STEP;

const HULL_OUTLINE: Outline = HULL_POLY.map(([x, y]) => [x / SCALE, y / SCALE]);
const UPPER_OUTLINE: Outline = boxOutline(LEG_W / 2, LEG_H / 2);
const LOWER_OUTLINE: Outline = boxOutline((0.8 * LEG_W) / 2, LEG_H / 2);

/** Length of `getState()`: seed, 3 flags, 5 bodies. */
export const BIPEDAL_WALKER_STATE_SIZE = 4 + 5 * BODY_STATE_SIZE;

/** The ground's 200 points (x, y), and the decorative clouds (5 points each, flat [x0, y0, ...]). */
export interface WalkerTerrain {
  seed: number;
  x: number[];
  y: number[];
  clouds: number[][];
}

/** Gymnasium's `_generate_terrain(hardcore=False)` and `_generate_clouds()`, from the stream of `seed`. */
export function bipedalWalkerTerrain(seed: number): WalkerTerrain {
  const rng = Random.stream(seed, 'BipedalWalker-terrain');
  let velocity = 0.0;
  let y = TERRAIN_HEIGHT;
  let counter = TERRAIN_STARTPAD;
  let oneshot = false;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < TERRAIN_LENGTH; i++) {
    xs.push(i * TERRAIN_STEP);
    // The state is always GRASS without hardcore; the step after each oneshot keeps y (and velocity).
    if (!oneshot) {
      velocity = 0.8 * velocity + 0.01 * Math.sign(TERRAIN_HEIGHT - y);
      if (i > TERRAIN_STARTPAD) velocity += rng.uniformRange(-1, 1) / SCALE;
      y += velocity;
    }
    oneshot = false;
    ys.push(y);
    counter -= 1;
    if (counter === 0) {
      // np_random.integers(TERRAIN_GRASS // 2, TERRAIN_GRASS): 5..9
      counter = TERRAIN_GRASS / 2 + rng.int(TERRAIN_GRASS - TERRAIN_GRASS / 2);
      oneshot = true;
    }
  }

  const clouds: number[][] = [];
  for (let c = 0; c < TERRAIN_LENGTH / 20; c++) {
    const x = rng.uniformRange(0, TERRAIN_LENGTH) * TERRAIN_STEP;
    const cy = ((VIEWPORT_H / SCALE) * 3) / 4;
    const poly: number[] = [];
    for (let a = 0; a < 5; a++) {
      poly.push(x + 15 * TERRAIN_STEP * Math.sin((3.14 * 2 * a) / 5) + rng.uniformRange(0, 5 * TERRAIN_STEP));
      poly.push(cy + 5 * TERRAIN_STEP * Math.cos((3.14 * 2 * a) / 5) + rng.uniformRange(0, 5 * TERRAIN_STEP));
    }
    clouds.push(poly);
  }
  return { seed, x: xs, y: ys, clouds };
}

export class BipedalWalker implements Env {
  readonly spec: EnvSpec = copySpec(BIPEDAL_WALKER_SPEC);
  /** Box2D's contact caches are not in the state: a restore is close, not exact. */
  readonly exactRestore = false;

  private world: World | null = null;
  private hull: Body | null = null;
  /** Upper leg 0, lower leg 0, upper leg 1, lower leg 1, as Gymnasium's `legs`. */
  private legs: Body[] = [];
  /** Hip 0, knee 0, hip 1, knee 1, as Gymnasium's `joints`. */
  private joints: RevoluteJoint[] = [];
  private terrain: WalkerTerrain | null = null;
  private gameOver = false;
  /** Ground contact of the lower legs (Gymnasium's legs[1] and legs[3]). */
  private legContact = [false, false];
  private prevShaping: number | null = null;
  /**
   * Set by `setState`: the rebuilt world has no contacts yet, so the first step recomputes the leg contacts
   * from scratch (every touching pair begins again) instead of keeping flags that no end-contact would clear.
   */
  private contactsRebuilt = false;
  private readonly episode: Episode;

  /** The closest hit of the ray being cast (Gymnasium's `LidarCallback.fraction`). */
  private lidarFraction = 1.0;
  private readonly lidarCallback = (
    fixture: Fixture,
    _point: unknown,
    _normal: unknown,
    fraction: number,
  ) => {
    if ((fixture.getFilterCategoryBits() & 1) === 0) return -1;
    this.lidarFraction = fraction;
    return fraction;
  };

  /** `seed` starts the reset stream that `reset()` without a seed draws from (default 0). */
  constructor(seed = 0) {
    this.episode = new Episode(this.spec.id, this.spec.maxEpisodeSteps, seed);
  }

  get elapsedSteps(): number {
    return this.episode.elapsedSteps;
  }

  /** The current terrain (for drawing and tests). */
  get walkerTerrain(): WalkerTerrain {
    if (this.terrain === null) throw notStarted(this.spec.id);
    return this.terrain;
  }

  reset(seed?: number): Float32Array {
    this.episode.reseed(seed);
    this.terrain = bipedalWalkerTerrain(this.episode.rng.nextUint32());
    this.build(this.terrain, null);
    this.body().applyForceToCenter(
      { x: this.episode.rng.uniformRange(-INITIAL_RANDOM, INITIAL_RANDOM), y: 0 },
      true,
    );
    this.gameOver = false;
    this.legContact = [false, false];
    this.prevShaping = null;
    this.contactsRebuilt = false;
    this.episode.begin();
    // Gymnasium's reset returns the observation of one zero-action step.
    return this.advance([0, 0, 0, 0]).observation;
  }

  step(action: ArrayLike<number>): StepResult {
    this.episode.assertStarted();
    const result = this.advance(checkAction(this.spec, action));
    return { ...result, truncated: this.episode.tick() };
  }

  getState(): number[] {
    if (this.terrain === null) throw notStarted(this.spec.id);
    this.episode.assertStarted();
    const out = [
      this.terrain.seed,
      this.gameOver ? 1 : 0,
      this.legContact[0] ? 1 : 0,
      this.legContact[1] ? 1 : 0,
    ];
    pushBodyState(this.body(), out);
    for (const leg of this.legs) pushBodyState(leg, out);
    return out;
  }

  setState(state: ArrayLike<number>): void {
    const s = checkState(this.spec.id, BIPEDAL_WALKER_STATE_SIZE, state);
    checkSeedAndFlags(this.spec.id, s[0], s.slice(1, 4));
    if (this.terrain === null || this.terrain.seed !== s[0]) this.terrain = bipedalWalkerTerrain(s[0]);
    const poses = [0, 1, 2, 3, 4].map((k) => readBodyState(s, 4 + k * BODY_STATE_SIZE));
    this.build(this.terrain, poses);
    this.gameOver = s[1] === 1;
    this.legContact = [s[2] === 1, s[3] === 1];
    this.contactsRebuilt = true;
    this.prevShaping = shaping(this.body().getPosition().x, this.body().getAngle());
    this.episode.resume();
  }

  getEpisodeState(): EpisodeState {
    return this.episode.exportState();
  }

  setEpisodeState(state: EpisodeState): void {
    this.episode.importState(state);
  }

  observe(): Float32Array {
    this.episode.assertStarted();
    return Float32Array.from(this.stateVector());
  }

  /** The 10 lidar fractions now (1 when a ray hits nothing within LIDAR_RANGE). */
  lidar(): number[] {
    this.episode.assertStarted();
    const world = this.world as World;
    const pos = this.body().getPosition();
    const p1 = { x: pos.x, y: pos.y };
    const out: number[] = [];
    for (let i = 0; i < 10; i++) {
      this.lidarFraction = 1.0;
      const p2 = {
        x: p1.x + Math.sin((1.5 * i) / 10.0) * LIDAR_RANGE,
        y: p1.y - Math.cos((1.5 * i) / 10.0) * LIDAR_RANGE,
      };
      world.rayCast(p1, p2, this.lidarCallback);
      out.push(this.lidarFraction);
    }
    return out;
  }

  /** The window Gymnasium's camera shows (it scrolls with the hull): lower left corner, width, height. */
  /** The picture the page draws: `view()` and `polygons()` together. */
  drawing(): EnvDrawing {
    return { view: this.view(), polygons: this.polygons() };
  }

  view(): { x: number; y: number; width: number; height: number } {
    const scroll = this.body().getPosition().x - VIEWPORT_W / SCALE / 5;
    return { x: scroll, y: 0, width: VIEWPORT_W / SCALE, height: VIEWPORT_H / SCALE };
  }

  /** What Gymnasium's renderer draws, as filled polygons in world coordinates: sky, clouds, ground, walker. */
  polygons(): DrawPolygon[] {
    if (this.terrain === null) throw notStarted(this.spec.id);
    this.episode.assertStarted();
    const t = this.terrain;
    const xEnd = t.x[t.x.length - 1];
    const top = VIEWPORT_H / SCALE;
    const out: DrawPolygon[] = [{ vertices: [0, 0, xEnd, 0, xEnd, top, 0, top], color: rgb(215, 215, 255) }];
    for (const cloud of t.clouds) out.push({ vertices: [...cloud], color: rgb(255, 255, 255) });
    for (let i = 0; i < TERRAIN_LENGTH - 1; i++) {
      const [x1, y1, x2, y2] = [t.x[i], t.y[i], t.x[i + 1], t.y[i + 1]];
      out.push({ vertices: [x1, y1, x2, y2, x2, 0, x1, 0], color: rgb(102, 153, 76) });
    }
    this.legs.forEach((leg, k) => {
      const i = k < 2 ? -1 : +1;
      const color = rgb(153 - i * 25, 76 - i * 25, 127 - i * 25);
      out.push(worldPolygon(leg, k % 2 === 0 ? UPPER_OUTLINE : LOWER_OUTLINE, color));
    });
    out.push(worldPolygon(this.body(), HULL_OUTLINE, rgb(127, 51, 229)));
    return out;
  }

  close(): void {
    this.world = null;
    this.hull = null;
    this.legs = [];
    this.joints = [];
  }

  private body(): Body {
    if (this.hull === null) throw notStarted(this.spec.id);
    return this.hull;
  }

  /**
   * A new world with the terrain, hull, legs and joints: at Gymnasium's start poses when `poses` is null, else
   * at the given poses and velocities.
   */
  private build(terrain: WalkerTerrain, poses: BodyPose[] | null): void {
    const world = new World({ gravity: { x: 0, y: GRAVITY } });
    for (let i = 0; i < TERRAIN_LENGTH - 1; i++) {
      const ground = world.createBody();
      ground.createFixture(
        new EdgeShape({ x: terrain.x[i], y: terrain.y[i] }, { x: terrain.x[i + 1], y: terrain.y[i + 1] }),
        { friction: FRICTION, filterCategoryBits: 0x0001 },
      );
    }

    const initX = (TERRAIN_STEP * TERRAIN_STARTPAD) / 2;
    const initY = TERRAIN_HEIGHT + 2 * LEG_H;
    const create = (k: number, x: number, y: number, angle: number, outline: Outline, fd: object): Body => {
      const pose = poses?.[k];
      const body = pose
        ? createDynamicBody(world, pose.x, pose.y, pose.angle)
        : createDynamicBody(world, x, y, angle);
      body.createFixture(new PolygonShape(toVec2s(outline)), {
        restitution: 0.0,
        filterCategoryBits: 0x0020,
        filterMaskBits: 0x001, // collide only with the ground
        ...fd,
      });
      if (pose) setBodyVelocity(body, pose);
      return body;
    };

    const hull = create(0, initX, initY, 0, HULL_OUTLINE, { density: 5.0, friction: 0.1 });
    const legs: Body[] = [];
    const joints: RevoluteJoint[] = [];
    [-1, +1].forEach((i, side) => {
      // The legs take the default friction, 0.2.
      const upper = create(1 + 2 * side, initX, initY - LEG_H / 2 - LEG_DOWN, i * 0.05, UPPER_OUTLINE, {
        density: 1.0,
      });
      const hip = new RevoluteJoint({
        bodyA: hull,
        bodyB: upper,
        localAnchorA: { x: 0, y: LEG_DOWN },
        localAnchorB: { x: 0, y: LEG_H / 2 },
        // pybox2d's revoluteJointDef leaves the reference angle at 0 (planck would take the current one).
        referenceAngle: 0,
        enableMotor: true,
        enableLimit: true,
        maxMotorTorque: MOTORS_TORQUE,
        motorSpeed: i,
        lowerAngle: -0.8,
        upperAngle: 1.1,
      });
      legs.push(upper);
      joints.push(world.createJoint(hip) as RevoluteJoint);

      const lower = create(2 + 2 * side, initX, initY - (LEG_H * 3) / 2 - LEG_DOWN, i * 0.05, LOWER_OUTLINE, {
        density: 1.0,
      });
      const knee = new RevoluteJoint({
        bodyA: upper,
        bodyB: lower,
        localAnchorA: { x: 0, y: -LEG_H / 2 },
        localAnchorB: { x: 0, y: LEG_H / 2 },
        referenceAngle: 0,
        enableMotor: true,
        enableLimit: true,
        maxMotorTorque: MOTORS_TORQUE,
        motorSpeed: 1,
        lowerAngle: -1.6,
        upperAngle: -0.1,
      });
      legs.push(lower);
      joints.push(world.createJoint(knee) as RevoluteJoint);
    });

    world.on('begin-contact', (contact: Contact) => {
      const a = contact.getFixtureA().getBody();
      const b = contact.getFixtureB().getBody();
      if (a === hull || b === hull) this.gameOver = true;
      if (a === legs[1] || b === legs[1]) this.legContact[0] = true;
      if (a === legs[3] || b === legs[3]) this.legContact[1] = true;
    });
    world.on('end-contact', (contact: Contact) => {
      const a = contact.getFixtureA().getBody();
      const b = contact.getFixtureB().getBody();
      if (a === legs[1] || b === legs[1]) this.legContact[0] = false;
      if (a === legs[3] || b === legs[3]) this.legContact[1] = false;
    });

    this.world = world;
    this.hull = hull;
    this.legs = legs;
    this.joints = joints;
  }

  /** Gymnasium's `step`: motors, one world step, lidar, observation, reward. */
  private advance(action: readonly number[]): {
    observation: Float32Array;
    reward: number;
    terminated: boolean;
  } {
    for (let j = 0; j < 4; j++) {
      const joint = this.joints[j];
      // Box2D 2.3 (pybox2d) wakes both bodies on every motor assignment; planck only when the value changes.
      for (const b of [joint.getBodyA(), joint.getBodyB()]) if (!b.isAwake()) b.setAwake(true);
      joint.setMotorSpeed((j % 2 === 0 ? SPEED_HIP : SPEED_KNEE) * Math.sign(action[j]));
      joint.setMaxMotorTorque(MOTORS_TORQUE * clip(Math.abs(action[j]), 0, 1));
    }

    if (this.contactsRebuilt) {
      this.legContact = [false, false];
      this.contactsRebuilt = false;
    }
    (this.world as World).step(1.0 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS);

    const state = this.stateVector();
    const x = this.body().getPosition().x;
    const shape = shaping(x, state[0]);
    let reward = 0;
    if (this.prevShaping !== null) reward = shape - this.prevShaping;
    this.prevShaping = shape;
    for (const a of action) reward -= 0.00035 * MOTORS_TORQUE * clip(Math.abs(a), 0, 1);

    let terminated = false;
    if (this.gameOver || x < 0) {
      reward = -100;
      terminated = true;
    }
    if (x > WALKER_FINISH_X) terminated = true;
    return { observation: Float32Array.from(state), reward, terminated };
  }

  /** Gymnasium's 24 state numbers in float64 (the observation is their float32 rounding). */
  private stateVector(): number[] {
    const hull = this.body();
    const vel = hull.getLinearVelocity();
    const j = this.joints;
    return [
      hull.getAngle(),
      (2.0 * hull.getAngularVelocity()) / FPS,
      (0.3 * vel.x * (VIEWPORT_W / SCALE)) / FPS,
      (0.3 * vel.y * (VIEWPORT_H / SCALE)) / FPS,
      j[0].getJointAngle(),
      j[0].getJointSpeed() / SPEED_HIP,
      j[1].getJointAngle() + 1.0,
      j[1].getJointSpeed() / SPEED_KNEE,
      this.legContact[0] ? 1.0 : 0.0,
      j[2].getJointAngle(),
      j[2].getJointSpeed() / SPEED_HIP,
      j[3].getJointAngle() + 1.0,
      j[3].getJointSpeed() / SPEED_KNEE,
      this.legContact[1] ? 1.0 : 0.0,
      ...this.lidar(),
    ];
  }
}

/** Gymnasium's potential: 130 per SCALE metres forward, minus 5 per radian of hull tilt. */
function shaping(x: number, hullAngle: number): number {
  let shape = (130 * x) / SCALE;
  shape -= 5.0 * Math.abs(hullAngle);
  return shape;
}
