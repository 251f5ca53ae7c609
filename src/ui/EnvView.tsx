/**
 * The environment in motion: redrawn every animation frame from the latest state the worker sent. Classic
 * and planar envs are drawn on a 2D canvas; Ant and Humanoid in 3D (three.js, loaded on first use).
 */
import { useEffect, useRef, useState } from 'react';
import { ENV_PAINTERS } from './envViews';
import { PHYSICS_VIEWS, paintPhysics } from './physicsView';
import type { PhysicsView3d } from './physicsView3d';
import { paintPolygons } from './polygonView';
import { usePlayground } from './store';

const VIEWS_3D = new Set(['Ant-v5', 'Humanoid-v5']);

export function EnvView() {
  const canvas = useRef<HTMLCanvasElement>(null);
  const canvas3d = useRef<HTMLCanvasElement>(null);
  const watching = usePlayground((s) => s.watching);
  const parallelEnvs = usePlayground((s) => s.status?.config?.parallelEnvs ?? 1);
  const [is3d, setIs3d] = useState(false);

  useEffect(() => {
    let handle = 0;
    let lastKey = '';
    let view3d: PhysicsView3d | null = null;
    let loading3d = false;
    let disposed = false;
    const draw = () => {
      handle = requestAnimationFrame(draw);
      const { frame, watchFrame, watching: watch } = usePlayground.getState();
      const shown = watch && watchFrame ? watchFrame : frame;
      if (!shown) return;
      const key = `${shown.source}:${shown.step}:${shown.state.join(',')}`;
      if (key === lastKey) return;
      const three = VIEWS_3D.has(shown.envId);
      setIs3d(three);
      const el = three ? canvas3d.current : canvas.current;
      if (!el) return;
      if (three) {
        if (!view3d) {
          if (!loading3d) {
            loading3d = true;
            void import('./physicsView3d').then(({ PhysicsView3d }) => {
              if (!disposed && canvas3d.current) view3d = new PhysicsView3d(canvas3d.current);
            });
          }
          return;
        }
        if (shown.scene) view3d.draw(shown.scene);
      } else {
        const ctx = el.getContext('2d');
        if (!ctx) return;
        ctx.clearRect(0, 0, el.width, el.height);
        const paint = ENV_PAINTERS[shown.envId];
        const physics = PHYSICS_VIEWS[shown.envId];
        if (paint) paint(ctx, el.width, el.height, shown.state, shown.action);
        else if (physics && shown.scene) paintPhysics(ctx, el.width, el.height, shown.scene, physics);
        else if (shown.drawing) paintPolygons(ctx, el.width, el.height, shown.drawing);
        else {
          ctx.fillStyle = '#6b7280';
          ctx.fillText(`No view for ${shown.envId} yet`, 12, 20);
        }
      }
      lastKey = key;
      el.dataset.frames = String(Number(el.dataset.frames ?? 0) + 1);
    };
    handle = requestAnimationFrame(draw);
    return () => {
      disposed = true;
      cancelAnimationFrame(handle);
      view3d?.dispose();
    };
  }, []);

  return (
    <figure className="env-view">
      <figcaption>
        {watching
          ? 'The policy, in real time (no noise)'
          : parallelEnvs > 1
            ? `Training env (the first of ${parallelEnvs} stepped side by side)`
            : 'Training env'}
      </figcaption>
      <canvas ref={canvas} width={360} height={260} data-testid="env-canvas" hidden={is3d} />
      <canvas ref={canvas3d} width={360} height={260} data-testid="env-canvas-3d" hidden={!is3d} />
    </figure>
  );
}
