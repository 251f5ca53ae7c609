/**
 * Pendulum's learned landscape: V(θ, θ̇) = Q1(s, π(s)) and the policy π(θ, θ̇) over a grid of states,
 * refreshed every few seconds while training runs. θ runs left to right (−π…π, upright in the middle),
 * θ̇ bottom to top (−8…8).
 */
import { useEffect, useRef } from 'react';
import { usePlayground } from './store';
import { trainingClient } from './trainingClient';

const REFRESH_MS = 3000;
const RESOLUTION = 41;

/** What a value that is not a number is painted in (a diverged critic's, say). */
export const NOT_FINITE: [number, number, number] = [150, 150, 150];

/** Dark blue → teal → yellow, like viridis; grey for NaN. */
export function sequential(t: number): [number, number, number] {
  if (Number.isNaN(t)) return NOT_FINITE;
  const stops: [number, number, number][] = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const i = Math.floor(x);
  const f = x - i;
  return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f)) as [number, number, number];
}

/** Blue (negative) → white → red (positive); grey for NaN. */
export function diverging(t: number): [number, number, number] {
  if (Number.isNaN(t)) return NOT_FINITE;
  const v = Math.max(-1, Math.min(1, t));
  return v < 0
    ? [Math.round(255 * (1 + v)), Math.round(255 * (1 + v)), 255]
    : [255, Math.round(255 * (1 - v)), Math.round(255 * (1 - v))];
}

function paint(
  canvas: HTMLCanvasElement | null,
  values: Float32Array,
  n: number,
  color: (v: number) => [number, number, number],
) {
  const ctx = canvas?.getContext('2d');
  if (!canvas || !ctx) return;
  const image = ctx.createImageData(n, n);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      // Row 0 of the data is θ̇ = −8: draw it at the bottom.
      const [r, g, b] = color(values[row * n + col]);
      const o = ((n - 1 - row) * n + col) * 4;
      image.data.set([r, g, b, 255], o);
    }
  }
  const off = new OffscreenCanvas(n, n);
  off.getContext('2d')?.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** The range of the finite values, and how many are not finite (NaN or infinite). */
export function finiteRange(values: ArrayLike<number>): { lo: number; hi: number; notFinite: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let notFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      notFinite++;
      continue;
    }
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return { lo, hi, notFinite };
}

export function Landscape() {
  const landscape = usePlayground((s) => s.landscape);
  const env = usePlayground((s) => s.status?.config?.env);
  const running = usePlayground((s) => s.status?.state === 'running');
  const valueCanvas = useRef<HTMLCanvasElement>(null);
  const policyCanvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    if (env !== 'Pendulum-v1' || !running) return;
    const ask = () => trainingClient().send({ type: 'landscape', resolution: RESOLUTION });
    ask();
    const timer = setInterval(ask, REFRESH_MS);
    return () => clearInterval(timer);
  }, [env, running]);

  useEffect(() => {
    if (!landscape) return;
    const { value, action, resolution: n } = landscape;
    const { lo, hi, notFinite } = finiteRange(value);
    // Non-finite values (a diverged critic) are painted grey; the others over their own range.
    const finite = (v: number) => (Number.isFinite(v) ? v : Number.NaN);
    paint(valueCanvas.current, value, n, (v) => sequential((finite(v) - lo) / (hi > lo ? hi - lo : 1)));
    paint(policyCanvas.current, action, n, (a) => diverging(finite(a) / 2));
    if (valueCanvas.current)
      valueCanvas.current.title =
        notFinite === value.length
          ? 'V is not finite anywhere (grey): the critic diverged'
          : `V from ${lo.toFixed(1)} (dark) to ${hi.toFixed(1)} (yellow)${notFinite ? `; ${notFinite} of ${value.length} values not finite (grey)` : ''}`;
  }, [landscape]);

  if (env !== 'Pendulum-v1') return null;
  return (
    <div className="landscape" data-step={landscape?.step ?? ''}>
      <figure>
        <figcaption>V(θ, θ̇) = Q1(s, π(s))</figcaption>
        <canvas ref={valueCanvas} width={164} height={164} data-testid="landscape-value" />
      </figure>
      <figure>
        <figcaption>π(θ, θ̇): torque −2 (blue) … +2 (red)</figcaption>
        <canvas ref={policyCanvas} width={164} height={164} data-testid="landscape-policy" />
      </figure>
      <p className="axis-note">θ: −π … π left to right (upright in the middle); θ̇: −8 … 8 bottom to top</p>
    </div>
  );
}
