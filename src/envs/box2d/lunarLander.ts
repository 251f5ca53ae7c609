/**
 * LunarLanderContinuous-v3: a port of Gymnasium 1.x `box2d/lunar_lander.py` with `continuous=True` (no wind),
 * on planck (a JavaScript port of Box2D 2.3) instead of pybox2d.
 *
 * The world, bodies, joints, engines, observation, reward and termination follow Gymnasium line by line; the
 * random numbers come from this project's seeded streams, so a seed gives the same kind of episode as in
 * Gymnasium but not the same numbers. The reset stream draws, in Gymnasium's order: the terrain seed (the
 * chunk heights come from their own stream of it), the initial force on the lander, then two dispersion
 * numbers on every step (the reset's own zero-action step included).
 *
 * State (`getState`, 22 numbers): [terrain seed, game over, leg 0 contact, leg 1 contact, then for the lander,
 * leg 0 and leg 1: origin x, y, angle, centre-of-mass velocity x, y, angular velocity]. `setState` rebuilds the
 * world from them: Box2D's contact caches, warm-start impulses and sleep timers are not in the state, so the
 * continuation after a restore is close to the original but not identical (`exactRestore` is false); the
 * first step after a restore sets each leg's contact flag to whether it touches the ground (Gymnasium's flag
 * is the last begin/end event, which differs when a leg touches two terrain edges). Two envs restored from
 * the same state (with the same random stream) continue identically.
 *
 * Drawing: `polygons()` gives filled polygons in world coordinates (metres, y up) in painter's order, over
 * the viewport `view()`.
 */

import { type Body, BoxShape, type Contact, EdgeShape, PolygonShape, RevoluteJoint, World } from 'planck';
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
import { LUNAR_LANDER_CONTINUOUS_SPEC } from './specs';

export { LUNAR_LANDER_CONTINUOUS_SPEC } from './specs';

const SCALE = 30.0;
const MAIN_ENGINE_POWER = 13.0;
const SIDE_ENGINE_POWER = 0.6;
const INITIAL_RANDOM = 1000.0;
const LANDER_POLY: Outline = [
  [-14, +17],
  [-17, 0],
  [-17, -10],
  [+17, -10],
  [+17, 0],
  [+14, +17],
];
const LEG_AWAY = 20;
const LEG_DOWN = 18;
const LEG_W = 2;
const LEG_H = 8;
const LEG_SPRING_TORQUE = 40;
const SIDE_ENGINE_HEIGHT = 14;
const SIDE_ENGINE_AWAY = 12;
const MAIN_ENGINE_Y_LOCATION = 4;
const VIEWPORT_W = 600;
const VIEWPORT_H = 400;
const GRAVITY = -10.0;
const CHUNKS = 11;

const W = VIEWPORT_W / SCALE;
const H = VIEWPORT_H / SCALE;
/** The helipad's nominal height (the smoothed terrain there is 0.99 of it, as in Gymnasium). */
export const LANDER_HELIPAD_Y = H / 4;

const LANDER_OUTLINE: Outline = LANDER_POLY.map(([x, y]) => [x / SCALE, y / SCALE]);
const LEG_OUTLINE: Outline = boxOutline(LEG_W / SCALE, LEG_H / SCALE);
const LANDER_COLOR = rgb(128, 102, 230);

/** Length of `getState()`: seed, 3 flags, 3 bodies. */
export const LUNAR_LANDER_STATE_SIZE = 4 + 3 * BODY_STATE_SIZE;

/** The moon's surface: 11 chunk corners, the helipad between chunks 4 and 6. */
export interface LanderTerrain {
  seed: number;
  chunkX: number[];
  smoothY: number[];
  helipadX1: number;
  helipadX2: number;
  helipadY: number;
}

/** The terrain Gymnasium's reset draws, from the chunk-height stream of `seed`. */
export function lunarLanderTerrain(seed: number): LanderTerrain {
  const rng = Random.stream(seed, 'LunarLander-terrain');
  // np_random.uniform(0, H / 2, size=(CHUNKS + 1,))
  const height = Array.from({ length: CHUNKS + 1 }, () => rng.uniformRange(0, H / 2));
  const chunkX = Array.from({ length: CHUNKS }, (_, i) => (W / (CHUNKS - 1)) * i);
  const half = Math.floor(CHUNKS / 2);
  const helipadY = LANDER_HELIPAD_Y;
  for (let k = -2; k <= 2; k++) height[half + k] = helipadY;
  // Python's height[i - 1] is height[-1], the last one, for i = 0.
  const at = (i: number): number => height[(i + height.length) % height.length];
  const smoothY = Array.from({ length: CHUNKS }, (_, i) => 0.33 * (at(i - 1) + at(i + 0) + at(i + 1)));
  return { seed, chunkX, smoothY, helipadX1: chunkX[half - 1], helipadX2: chunkX[half + 1], helipadY };
}

export class LunarLanderContinuous implements Env {
  readonly spec: EnvSpec = copySpec(LUNAR_LANDER_CONTINUOUS_SPEC);
  /** Box2D's contact caches are not in the state: a restore is close, not exact. */
  readonly exactRestore = false;

  /** Main and side engine power of the last step (0 when off), for drawing flames. */
  lastPower = { main: 0, side: 0 };

  private world: World | null = null;
  private lander: Body | null = null;
  private legs: Body[] = [];
  private terrain: LanderTerrain | null = null;
  private gameOver = false;
  private legContact = [false, false];
  private prevShaping: number | null = null;
  /**
   * Set by `setState`: the rebuilt world has no contacts yet, so the first step recomputes the leg contacts
   * from scratch (every touching pair begins again) instead of keeping flags that no end-contact would clear.
   */
  private contactsRebuilt = false;
  private readonly episode: Episode;

  /** `seed` starts the reset stream that `reset()` without a seed draws from (default 0). */
  constructor(seed = 0) {
    this.episode = new Episode(this.spec.id, this.spec.maxEpisodeSteps, seed);
  }

  get elapsedSteps(): number {
    return this.episode.elapsedSteps;
  }

  /** The current terrain (for drawing and tests). */
  get landerTerrain(): LanderTerrain {
    if (this.terrain === null) throw notStarted(this.spec.id);
    return this.terrain;
  }

  /** Whether Box2D still simulates the lander; the episode ends with +100 when it falls asleep. */
  get awake(): boolean {
    return this.body().isAwake();
  }

  reset(seed?: number): Float32Array {
    this.episode.reseed(seed);
    this.terrain = lunarLanderTerrain(this.episode.rng.nextUint32());
    this.build(this.terrain, null);
    const fx = this.episode.rng.uniformRange(-INITIAL_RANDOM, INITIAL_RANDOM);
    const fy = this.episode.rng.uniformRange(-INITIAL_RANDOM, INITIAL_RANDOM);
    this.body().applyForceToCenter({ x: fx, y: fy }, true);
    this.gameOver = false;
    this.legContact = [false, false];
    this.prevShaping = null;
    this.contactsRebuilt = false;
    this.episode.begin();
    // Gymnasium's reset returns the observation of one zero-action step.
    return this.advance(0, 0).observation;
  }

  step(action: ArrayLike<number>): StepResult {
    this.episode.assertStarted();
    const [main, lateral] = checkAction(this.spec, action);
    // np.clip(action, -1, +1).astype(np.float64)
    const result = this.advance(clip(main, -1, 1), clip(lateral, -1, 1));
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
    const s = checkState(this.spec.id, LUNAR_LANDER_STATE_SIZE, state);
    checkSeedAndFlags(this.spec.id, s[0], s.slice(1, 4));
    if (this.terrain === null || this.terrain.seed !== s[0]) this.terrain = lunarLanderTerrain(s[0]);
    const poses = [0, 1, 2].map((k) => readBodyState(s, 4 + k * BODY_STATE_SIZE));
    this.build(this.terrain, poses);
    this.gameOver = s[1] === 1;
    this.legContact = [s[2] === 1, s[3] === 1];
    this.contactsRebuilt = true;
    this.prevShaping = shaping(this.stateVector());
    this.lastPower = { main: 0, side: 0 };
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

  /** The world rectangle Gymnasium's window shows: x, y of its lower left corner, width and height. */
  /** The picture the page draws: `view()` and `polygons()` together. */
  drawing(): EnvDrawing {
    return { view: this.view(), polygons: this.polygons() };
  }

  view(): { x: number; y: number; width: number; height: number } {
    return { x: 0, y: 0, width: W, height: H };
  }

  /**
   * What Gymnasium's renderer draws, as filled polygons in world coordinates: the white moon, the black sky
   * above the terrain, the lander and legs, and the helipad flags (poles as thin rectangles).
   */
  polygons(): DrawPolygon[] {
    if (this.terrain === null) throw notStarted(this.spec.id);
    this.episode.assertStarted();
    const t = this.terrain;
    const out: DrawPolygon[] = [{ vertices: [0, 0, W, 0, W, H, 0, H], color: rgb(255, 255, 255) }];
    for (let i = 0; i < CHUNKS - 1; i++) {
      const [x1, y1, x2, y2] = [t.chunkX[i], t.smoothY[i], t.chunkX[i + 1], t.smoothY[i + 1]];
      out.push({ vertices: [x1, y1, x2, y2, x2, H, x1, H], color: rgb(0, 0, 0) });
    }
    out.push(worldPolygon(this.body(), LANDER_OUTLINE, LANDER_COLOR));
    for (const leg of this.legs) out.push(worldPolygon(leg, LEG_OUTLINE, LANDER_COLOR));
    for (const x of [t.helipadX1, t.helipadX2]) {
      const y1 = t.helipadY;
      const y2 = y1 + 50 / SCALE;
      const pole = 1 / SCALE;
      out.push({ vertices: [x, y1, x + pole, y1, x + pole, y2, x, y2], color: rgb(255, 255, 255) });
      out.push({
        vertices: [x, y2, x, y2 - 10 / SCALE, x + 25 / SCALE, y2 - 5 / SCALE],
        color: rgb(204, 204, 0),
      });
    }
    return out;
  }

  close(): void {
    this.world = null;
    this.lander = null;
    this.legs = [];
  }

  private body(): Body {
    if (this.lander === null) throw notStarted(this.spec.id);
    return this.lander;
  }

  /**
   * A new world (Gymnasium v3 makes one on every reset) with the moon, the lander and its legs: at Gymnasium's
   * start poses when `poses` is null, else at the given poses and velocities.
   */
  private build(terrain: LanderTerrain, poses: BodyPose[] | null): void {
    const world = new World({ gravity: { x: 0, y: GRAVITY } });

    const moon = world.createBody();
    // shapes=edgeShape(...) takes the fixture defaults (friction 0.2); the chunks have friction 0.1.
    moon.createFixture(new EdgeShape({ x: 0, y: 0 }, { x: W, y: 0 }), { density: 0 });
    for (let i = 0; i < CHUNKS - 1; i++) {
      const p1 = { x: terrain.chunkX[i], y: terrain.smoothY[i] };
      const p2 = { x: terrain.chunkX[i + 1], y: terrain.smoothY[i + 1] };
      moon.createFixture(new EdgeShape(p1, p2), { density: 0, friction: 0.1 });
    }

    const initialX = VIEWPORT_W / SCALE / 2;
    const initialY = VIEWPORT_H / SCALE;
    const landerPose = poses?.[0];
    const lander = landerPose
      ? createDynamicBody(world, landerPose.x, landerPose.y, landerPose.angle)
      : createDynamicBody(world, initialX, initialY, 0.0);
    lander.createFixture(new PolygonShape(toVec2s(LANDER_OUTLINE)), {
      density: 5.0,
      friction: 0.1,
      filterCategoryBits: 0x0010,
      filterMaskBits: 0x001,
      restitution: 0.0,
    });
    if (landerPose) setBodyVelocity(lander, landerPose);

    const legs: Body[] = [];
    [-1, +1].forEach((i, k) => {
      const pose = poses?.[1 + k];
      const leg = pose
        ? createDynamicBody(world, pose.x, pose.y, pose.angle)
        : createDynamicBody(world, initialX - (i * LEG_AWAY) / SCALE, initialY, i * 0.05);
      // The default friction, 0.2.
      leg.createFixture(new BoxShape(LEG_W / SCALE, LEG_H / SCALE), {
        density: 1.0,
        restitution: 0.0,
        filterCategoryBits: 0x0020,
        filterMaskBits: 0x001,
      });
      if (pose) setBodyVelocity(leg, pose);
      world.createJoint(
        new RevoluteJoint({
          bodyA: lander,
          bodyB: leg,
          localAnchorA: { x: 0, y: 0 },
          localAnchorB: { x: (i * LEG_AWAY) / SCALE, y: LEG_DOWN / SCALE },
          // pybox2d's revoluteJointDef leaves the reference angle at 0 (planck would take the current one).
          referenceAngle: 0,
          enableMotor: true,
          enableLimit: true,
          maxMotorTorque: LEG_SPRING_TORQUE,
          motorSpeed: +0.3 * i,
          lowerAngle: i === -1 ? +0.9 - 0.5 : -0.9,
          upperAngle: i === -1 ? +0.9 : -0.9 + 0.5,
        }),
      );
      legs.push(leg);
    });

    world.on('begin-contact', (contact: Contact) => {
      const a = contact.getFixtureA().getBody();
      const b = contact.getFixtureB().getBody();
      if (a === lander || b === lander) this.gameOver = true;
      legs.forEach((leg, k) => {
        if (a === leg || b === leg) this.legContact[k] = true;
      });
    });
    world.on('end-contact', (contact: Contact) => {
      const a = contact.getFixtureA().getBody();
      const b = contact.getFixtureB().getBody();
      legs.forEach((leg, k) => {
        if (a === leg || b === leg) this.legContact[k] = false;
      });
    });

    this.world = world;
    this.lander = lander;
    this.legs = legs;
  }

  /** Gymnasium's `step` after the action is clipped: engines, one world step, observation, reward. */
  private advance(
    main: number,
    lateral: number,
  ): { observation: Float32Array; reward: number; terminated: boolean } {
    const lander = this.body();
    const world = this.world as World;
    const angle = lander.getAngle();
    const tip = [Math.sin(angle), Math.cos(angle)];
    const side = [-tip[1], tip[0]];
    const dispersion = [
      this.episode.rng.uniformRange(-1.0, +1.0) / SCALE,
      this.episode.rng.uniformRange(-1.0, +1.0) / SCALE,
    ];
    const position = lander.getPosition();
    const [px, py] = [position.x, position.y];

    let mPower = 0.0;
    if (main > 0.0) {
      mPower = (clip(main, 0.0, 1.0) + 1.0) * 0.5; // 0.5..1.0
      const ox = tip[0] * (MAIN_ENGINE_Y_LOCATION / SCALE + 2 * dispersion[0]) + side[0] * dispersion[1];
      const oy = -tip[1] * (MAIN_ENGINE_Y_LOCATION / SCALE + 2 * dispersion[0]) - side[1] * dispersion[1];
      const impulsePos = { x: px + ox, y: py + oy };
      lander.applyLinearImpulse(
        { x: -ox * MAIN_ENGINE_POWER * mPower, y: -oy * MAIN_ENGINE_POWER * mPower },
        impulsePos,
        true,
      );
    }

    let sPower = 0.0;
    if (Math.abs(lateral) > 0.5) {
      const direction = Math.sign(lateral);
      sPower = clip(Math.abs(lateral), 0.5, 1.0);
      const ox =
        tip[0] * dispersion[0] + side[0] * (3 * dispersion[1] + (direction * SIDE_ENGINE_AWAY) / SCALE);
      const oy =
        -tip[1] * dispersion[0] - side[1] * (3 * dispersion[1] + (direction * SIDE_ENGINE_AWAY) / SCALE);
      // Gymnasium's 17 (not SIDE_ENGINE_HEIGHT) across, as written there.
      const impulsePos = {
        x: px + ox - (tip[0] * 17) / SCALE,
        y: py + oy + (tip[1] * SIDE_ENGINE_HEIGHT) / SCALE,
      };
      lander.applyLinearImpulse(
        { x: -ox * SIDE_ENGINE_POWER * sPower, y: -oy * SIDE_ENGINE_POWER * sPower },
        impulsePos,
        true,
      );
    }
    this.lastPower = { main: mPower, side: sPower * Math.sign(lateral) };

    if (this.contactsRebuilt) {
      this.legContact = [false, false];
      this.contactsRebuilt = false;
    }
    world.step(1.0 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS);

    const state = this.stateVector();
    const shape = shaping(state);
    let reward = 0;
    if (this.prevShaping !== null) reward = shape - this.prevShaping;
    this.prevShaping = shape;
    reward -= mPower * 0.3; // less fuel spent is better
    reward -= sPower * 0.03;

    let terminated = false;
    if (this.gameOver || Math.abs(state[0]) >= 1.0) {
      terminated = true;
      reward = -100;
    }
    if (!lander.isAwake()) {
      terminated = true;
      reward = +100;
    }
    return { observation: Float32Array.from(state), reward, terminated };
  }

  /** Gymnasium's 8 state numbers in float64 (the observation is their float32 rounding). */
  private stateVector(): number[] {
    const lander = this.body();
    const pos = lander.getPosition();
    const vel = lander.getLinearVelocity();
    const helipadY = (this.terrain as LanderTerrain).helipadY;
    return [
      (pos.x - VIEWPORT_W / SCALE / 2) / (VIEWPORT_W / SCALE / 2),
      (pos.y - (helipadY + LEG_DOWN / SCALE)) / (VIEWPORT_H / SCALE / 2),
      (vel.x * (VIEWPORT_W / SCALE / 2)) / FPS,
      (vel.y * (VIEWPORT_H / SCALE / 2)) / FPS,
      lander.getAngle(),
      (20.0 * lander.getAngularVelocity()) / FPS,
      this.legContact[0] ? 1.0 : 0.0,
      this.legContact[1] ? 1.0 : 0.0,
    ];
  }
}

/** Gymnasium's potential: distance, speed and tilt penalties, ten points per leg on the ground. */
function shaping(s: readonly number[]): number {
  return (
    -100 * Math.sqrt(s[0] * s[0] + s[1] * s[1]) -
    100 * Math.sqrt(s[2] * s[2] + s[3] * s[3]) -
    100 * Math.abs(s[4]) +
    10 * s[6] +
    10 * s[7]
  );
}
