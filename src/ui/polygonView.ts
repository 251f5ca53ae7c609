/** Draws an env's 2D picture (Box2D): filled world polygons, the viewport fitted to the canvas. */
import type { EnvDrawing } from '../envs/types';

export function paintPolygons(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  drawing: EnvDrawing,
): void {
  const { view, polygons } = drawing;
  const scale = Math.min(width / view.width, height / view.height);
  const offsetX = (width - view.width * scale) / 2;
  const offsetY = (height - view.height * scale) / 2;
  const sx = (x: number) => offsetX + (x - view.x) * scale;
  const sy = (y: number) => height - offsetY - (y - view.y) * scale;
  for (const polygon of polygons) {
    const v = polygon.vertices;
    ctx.fillStyle = polygon.color;
    ctx.beginPath();
    ctx.moveTo(sx(v[0]), sy(v[1]));
    for (let i = 2; i < v.length; i += 2) ctx.lineTo(sx(v[i]), sy(v[i + 1]));
    ctx.closePath();
    ctx.fill();
  }
}
