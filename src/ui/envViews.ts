/** Drawing of each environment on a 2D canvas, from the simulator state the worker streams. */
import { mountainHeight } from '../envs/mountainCarContinuous';

export type EnvPainter = (
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  state: number[],
  action: number[],
) => void;

/** Pendulum-v1: θ = 0 is upright, positive θ counter-clockwise; the arrow shows the torque. */
const paintPendulum: EnvPainter = (ctx, w, h, state, action) => {
  const [theta] = state;
  const cx = w / 2;
  const cy = h / 2;
  const length = Math.min(w, h) * 0.36;
  const tipX = cx - length * Math.sin(theta);
  const tipY = cy - length * Math.cos(theta);
  ctx.lineCap = 'round';
  ctx.strokeStyle = '#cc4d4d';
  ctx.lineWidth = length * 0.16;
  ctx.beginPath();
  ctx.moveTo(cx, cy);
  ctx.lineTo(tipX, tipY);
  ctx.stroke();
  ctx.fillStyle = '#111827';
  ctx.beginPath();
  ctx.arc(cx, cy, length * 0.05, 0, 2 * Math.PI);
  ctx.fill();
  // Torque: an arc whose length is |u| / 2 of a half turn, pointing the way it pushes.
  const torque = action[0] ?? 0;
  if (Math.abs(torque) > 1e-3) {
    const radius = length * 0.32;
    const sweep = (Math.min(Math.abs(torque), 2) / 2) * Math.PI * 0.9;
    const start = -Math.PI / 2; // screen angle of "up"
    const ccw = torque > 0; // positive torque turns counter-clockwise, which is negative screen angle
    const end = ccw ? start - sweep : start + sweep;
    ctx.strokeStyle = '#1f2937';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(cx, cy, radius, start, end, ccw);
    ctx.stroke();
    const ax = cx + radius * Math.cos(end);
    const ay = cy + radius * Math.sin(end);
    const dir = end + (ccw ? -Math.PI / 2 : Math.PI / 2);
    ctx.beginPath();
    ctx.moveTo(ax + 9 * Math.cos(dir), ay + 9 * Math.sin(dir));
    ctx.lineTo(ax + 7 * Math.cos(dir + 2.4), ay + 7 * Math.sin(dir + 2.4));
    ctx.lineTo(ax + 7 * Math.cos(dir - 2.4), ay + 7 * Math.sin(dir - 2.4));
    ctx.closePath();
    ctx.fillStyle = '#1f2937';
    ctx.fill();
  }
};

/** MountainCarContinuous-v0: the hill y = 0.45 sin(3x) + 0.55, the car at its position, the flag at 0.45. */
const paintMountainCar: EnvPainter = (ctx, w, h, state, action) => {
  const [position] = state;
  const minX = -1.2;
  const maxX = 0.6;
  const scale = w / (maxX - minX);
  const toScreen = (x: number): [number, number] => [
    (x - minX) * scale,
    h - 20 - mountainHeight(x) * scale * 0.9,
  ];
  ctx.strokeStyle = '#374151';
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let i = 0; i <= 100; i++) {
    const [sx, sy] = toScreen(minX + ((maxX - minX) * i) / 100);
    if (i === 0) ctx.moveTo(sx, sy);
    else ctx.lineTo(sx, sy);
  }
  ctx.stroke();
  const [fx, fy] = toScreen(0.45);
  ctx.strokeStyle = '#111827';
  ctx.beginPath();
  ctx.moveTo(fx, fy);
  ctx.lineTo(fx, fy - 40);
  ctx.stroke();
  ctx.fillStyle = '#eab308';
  ctx.beginPath();
  ctx.moveTo(fx, fy - 40);
  ctx.lineTo(fx + 22, fy - 34);
  ctx.lineTo(fx, fy - 28);
  ctx.fill();
  const [cx, cy] = toScreen(position);
  const slope = Math.atan(Math.cos(3 * position) * 3 * 0.45 * 0.9);
  ctx.save();
  ctx.translate(cx, cy);
  ctx.rotate(-slope);
  ctx.fillStyle = '#2563eb';
  ctx.fillRect(-20, -22, 40, 14);
  ctx.fillStyle = '#111827';
  for (const x of [-12, 12]) {
    ctx.beginPath();
    ctx.arc(x, -6, 6, 0, 2 * Math.PI);
    ctx.fill();
  }
  const force = action[0] ?? 0;
  if (Math.abs(force) > 1e-3) {
    ctx.strokeStyle = '#dc2626';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(0, -32);
    ctx.lineTo(30 * Math.max(-1, Math.min(1, force)), -32);
    ctx.stroke();
  }
  ctx.restore();
};

export const ENV_PAINTERS: Record<string, EnvPainter> = {
  'Pendulum-v1': paintPendulum,
  'MountainCarContinuous-v0': paintMountainCar,
};
