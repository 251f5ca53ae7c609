/** Helpers shared by the Box2D envs (built on `planck`, a JavaScript port of Box2D 2.3). */

import type { Body, Vec2Value, World } from 'planck';

/** Gymnasium's Box2D envs step the world at 50 Hz... */
export const FPS = 50;
/** ...with `world.Step(1.0 / FPS, 6 * 30, 2 * 30)`. */
export const VELOCITY_ITERATIONS = 6 * 30;
export const POSITION_ITERATIONS = 2 * 30;

/** A filled polygon to draw, in world coordinates (metres, y up): `[x0, y0, x1, y1, ...]` and a CSS colour. */
export interface DrawPolygon {
  vertices: number[];
  color: string;
}

/** Box2D's own polygon shapes are convex hulls of at most 8 vertices; these are the env's local outlines. */
export type Outline = readonly (readonly [number, number])[];

/** The outline of `box(hx, hy)`, Box2D's `polygonShape(box=(hx, hy))` (half extents). */
export function boxOutline(hx: number, hy: number): Outline {
  return [
    [-hx, -hy],
    [hx, -hy],
    [hx, hy],
    [-hx, hy],
  ];
}

export function toVec2s(outline: Outline): Vec2Value[] {
  return outline.map(([x, y]) => ({ x, y }));
}

/** A body's outline moved to where the body is now. */
export function worldPolygon(body: Body, outline: Outline, color: string): DrawPolygon {
  const vertices: number[] = [];
  for (const [x, y] of outline) {
    const p = body.getWorldPoint({ x, y });
    vertices.push(p.x, p.y);
  }
  return { vertices, color };
}

export function rgb(r: number, g: number, b: number): string {
  return `rgb(${r},${g},${b})`;
}

/** Numbers per body in `getState`: origin x, y, angle, centre-of-mass velocity x, y, angular velocity. */
export const BODY_STATE_SIZE = 6;

export function pushBodyState(body: Body, out: number[]): void {
  const p = body.getPosition();
  const v = body.getLinearVelocity();
  out.push(p.x, p.y, body.getAngle(), v.x, v.y, body.getAngularVelocity());
}

/** A body's pose and velocity, as `pushBodyState` wrote them from `offset`. */
export interface BodyPose {
  x: number;
  y: number;
  angle: number;
  vx: number;
  vy: number;
  omega: number;
}

export function readBodyState(state: readonly number[], offset: number): BodyPose {
  const [x, y, angle, vx, vy, omega] = state.slice(offset, offset + BODY_STATE_SIZE);
  return { x, y, angle, vx, vy, omega };
}

/** Sets a freshly created body's velocities (its pose is set when it is created). */
export function setBodyVelocity(body: Body, pose: BodyPose): void {
  body.setLinearVelocity({ x: pose.vx, y: pose.vy });
  body.setAngularVelocity(pose.omega);
}

/** Checks a state's terrain seed (an integer in [0, 2^32)) and its 0/1 flags. */
export function checkSeedAndFlags(envId: string, seed: number, flags: readonly number[]): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`${envId}: state[0] is the terrain seed, an integer in [0, 2^32); got ${seed}`);
  }
  flags.forEach((f, i) => {
    if (f !== 0 && f !== 1) {
      throw new Error(`${envId}: state[${i + 1}] is a flag and must be 0 or 1; got ${f}`);
    }
  });
}

/** NumPy's `np.clip(x, low, high)` for a scalar. */
export function clip(x: number, low: number, high: number): number {
  return Math.min(Math.max(x, low), high);
}

/**
 * planck sets a new body's angle to atan2(sin a, cos a), which rounds it and wraps it into (-π, π]; Box2D
 * keeps the angle it is given, and Gymnasium observes it unwrapped (a joint's angle is the difference of two
 * body angles, so a wrapped one would also break the joint limits). This puts the given angle back into the
 * body's sweep, a planck internal that its typings leave out.
 */
export function setExactAngle(body: Body, angle: number): void {
  const sweep = (body as unknown as { m_sweep?: { a: number; a0: number } }).m_sweep;
  if (sweep === undefined || typeof sweep.a !== 'number' || typeof sweep.a0 !== 'number') {
    throw new Error('planck internals changed: Body.m_sweep is missing');
  }
  sweep.a = angle;
  sweep.a0 = angle;
}

/** A dynamic body at exactly this pose (Box2D's `CreateDynamicBody(position=..., angle=...)`). */
export function createDynamicBody(world: World, x: number, y: number, angle: number): Body {
  const body = world.createBody({ type: 'dynamic', position: { x, y }, angle });
  setExactAngle(body, angle);
  return body;
}
