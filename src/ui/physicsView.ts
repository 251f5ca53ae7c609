/**
 * A 2D view of a MuJoCo model from its geoms: side view (x right, z up) with the camera following the
 * body, or top view (x right, y up) for Reacher. Capsules and cylinders are drawn as thick rounded
 * segments along their axis, spheres as discs, boxes as the outline of their projected corners.
 */
import type { EnvScene } from '../envs/types';

export interface PhysicsViewOptions {
  plane: 'side' | 'top';
  /** Pixels per metre. */
  scale: number;
  /** Follow the model horizontally (locomotion) or keep the origin centred. */
  follow: boolean;
}

const PLANE = 0;
const SPHERE = 2;
const CAPSULE = 3;
const ELLIPSOID = 4;
const CYLINDER = 5;
const BOX = 6;

function colour(rgba: Float32Array, i: number): string {
  const c = (k: number) => Math.round(255 * rgba[4 * i + k]);
  return `rgba(${c(0)}, ${c(1)}, ${c(2)}, ${Math.max(0.35, rgba[4 * i + 3])})`;
}

/** Convex hull (monotone chain) of projected points, for box outlines. */
function hull(points: [number, number][]): [number, number][] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: number[], a: number[], b: number[]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: [number, number][] = [];
  for (const q of p.reverse()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

export function paintPhysics(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  scene: EnvScene,
  options: PhysicsViewOptions,
): void {
  const n = scene.types.length;
  const vAxis = options.plane === 'side' ? 2 : 1;
  // Camera: the mean x of the moving geoms when following; the ground sits low in a side view.
  let cx = 0;
  if (options.follow) {
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (scene.types[i] === PLANE) continue;
      cx += scene.xpos[3 * i];
      count++;
    }
    cx = count ? cx / count : 0;
  }
  const originY = options.plane === 'side' ? height * 0.78 : height / 2;
  const toScreen = (x: number, v: number): [number, number] => [
    width / 2 + (x - cx) * options.scale,
    originY - v * options.scale,
  ];
  const s = options.scale;

  // Ground, with ticks every half metre so motion shows while the camera follows.
  if (options.plane === 'side') {
    ctx.strokeStyle = '#9ca3af';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, originY);
    ctx.lineTo(width, originY);
    const first = Math.floor((cx - width / 2 / s) * 2) / 2;
    for (let x = first; x < cx + width / 2 / s; x += 0.5) {
      const [sx] = toScreen(x, 0);
      ctx.moveTo(sx, originY);
      ctx.lineTo(sx - 6, originY + 8);
    }
    ctx.stroke();
  }

  for (let i = 0; i < n; i++) {
    const type = scene.types[i];
    if (type === PLANE) continue;
    const px = scene.xpos[3 * i];
    const pv = scene.xpos[3 * i + vAxis];
    const m = scene.xmat.subarray(9 * i, 9 * i + 9);
    const size = scene.sizes.subarray(3 * i, 3 * i + 3);
    ctx.fillStyle = colour(scene.rgba, i);
    ctx.strokeStyle = colour(scene.rgba, i);
    if (type === CAPSULE || type === CYLINDER) {
      // The geom's local z axis is the third column of its rotation matrix.
      const ax = m[2] * size[1];
      const av = m[3 * vAxis + 2] * size[1];
      const [x0, y0] = toScreen(px - ax, pv - av);
      const [x1, y1] = toScreen(px + ax, pv + av);
      ctx.lineWidth = Math.max(2, 2 * size[0] * s);
      ctx.lineCap = type === CAPSULE ? 'round' : 'butt';
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
    } else if (type === SPHERE || type === ELLIPSOID) {
      const [x, y] = toScreen(px, pv);
      const radius = type === SPHERE ? size[0] : (size[0] + size[1] + size[2]) / 3;
      ctx.beginPath();
      ctx.arc(x, y, Math.max(2, radius * s), 0, 2 * Math.PI);
      ctx.fill();
    } else if (type === BOX) {
      const corners: [number, number][] = [];
      for (const a of [-1, 1]) {
        for (const b of [-1, 1]) {
          for (const c of [-1, 1]) {
            const local = [a * size[0], b * size[1], c * size[2]];
            const wx = px + m[0] * local[0] + m[1] * local[1] + m[2] * local[2];
            const wv =
              pv + m[3 * vAxis] * local[0] + m[3 * vAxis + 1] * local[1] + m[3 * vAxis + 2] * local[2];
            corners.push(toScreen(wx, wv));
          }
        }
      }
      const outline = hull(corners);
      ctx.beginPath();
      for (const [k, [x, y]] of outline.entries()) {
        if (k === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.closePath();
      ctx.fill();
    }
  }
}

/** How each planar MuJoCo env is viewed (Ant and Humanoid are drawn in 3D, see physicsView3d.ts). */
export const PHYSICS_VIEWS: Record<string, PhysicsViewOptions> = {
  'InvertedPendulum-v5': { plane: 'side', scale: 140, follow: false },
  'InvertedDoublePendulum-v5': { plane: 'side', scale: 110, follow: false },
  'Reacher-v5': { plane: 'top', scale: 380, follow: false },
  'HalfCheetah-v5': { plane: 'side', scale: 110, follow: true },
  'Hopper-v5': { plane: 'side', scale: 110, follow: true },
  'Walker2d-v5': { plane: 'side', scale: 110, follow: true },
};
