import { useEffect, useRef, useState } from 'react';

/**
 * `value`, updated at most once every `ms`. `phaseMs` shifts the schedule: charts given different phases
 * redraw in separate tasks, so no single task draws them all.
 */
export function useThrottled<T>(value: T, ms: number, phaseMs = 0): T {
  const [shown, setShown] = useState(value);
  const next = useRef(0);
  useEffect(() => {
    const now = performance.now();
    if (next.current === 0) next.current = now + phaseMs;
    const timer = setTimeout(
      () => {
        setShown(value);
        next.current = Math.max(performance.now(), next.current) + ms;
      },
      Math.max(0, next.current - now),
    );
    return () => clearTimeout(timer);
  }, [value, ms, phaseMs]);
  return shown;
}
