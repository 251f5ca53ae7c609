/** The environment in motion: redrawn every animation frame from the latest state the worker sent. */
import { useEffect, useRef } from 'react';
import { ENV_PAINTERS } from './envViews';
import { PHYSICS_VIEWS, paintPhysics } from './physicsView';
import { usePlayground } from './store';

export function EnvView() {
  const canvas = useRef<HTMLCanvasElement>(null);
  const watching = usePlayground((s) => s.watching);

  useEffect(() => {
    let handle = 0;
    let lastKey = '';
    const draw = () => {
      handle = requestAnimationFrame(draw);
      const el = canvas.current;
      const { frame, watchFrame, watching: watch } = usePlayground.getState();
      const shown = watch && watchFrame ? watchFrame : frame;
      if (!el || !shown) return;
      const key = `${shown.source}:${shown.step}:${shown.state.join(',')}`;
      if (key === lastKey) return;
      lastKey = key;
      const ctx = el.getContext('2d');
      if (!ctx) return;
      ctx.clearRect(0, 0, el.width, el.height);
      const paint = ENV_PAINTERS[shown.envId];
      const physics = PHYSICS_VIEWS[shown.envId];
      if (paint) paint(ctx, el.width, el.height, shown.state, shown.action);
      else if (physics && shown.scene) paintPhysics(ctx, el.width, el.height, shown.scene, physics);
      else {
        ctx.fillStyle = '#6b7280';
        ctx.fillText(`No view for ${shown.envId} yet`, 12, 20);
      }
      el.dataset.frames = String(Number(el.dataset.frames ?? 0) + 1);
    };
    handle = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(handle);
  }, []);

  return (
    <figure className="env-view">
      <figcaption>{watching ? 'Current policy, real time (no noise)' : 'Training env'}</figcaption>
      <canvas ref={canvas} width={360} height={260} data-testid="env-canvas" />
    </figure>
  );
}
