import { startTransition, useEffect, useRef, useState } from 'react';

/**
 * `value`, updated at most once every `ms`, as a low-priority transition. `phaseMs` shifts the schedule:
 * charts given different phases redraw at different moments, so no single moment draws them all.
 */
export function useThrottled<T>(value: T, ms: number, phaseMs = 0): T {
  const [shown, setShown] = useState(value);
  const next = useRef(0);
  useEffect(() => {
    const now = performance.now();
    if (next.current === 0) next.current = now + phaseMs;
    const timer = setTimeout(
      () => {
        // A transition: React renders it in slices and yields to the browser, so a redraw is no long task.
        startTransition(() => setShown(value));
        next.current = Math.max(performance.now(), next.current) + ms;
      },
      Math.max(0, next.current - now),
    );
    return () => clearTimeout(timer);
  }, [value, ms, phaseMs]);
  return shown;
}
