import { useEffect, useState } from 'react';

/** Whole seconds left until `deadline` (ISO), ticking every second; 0 once it has passed. */
export function useCountdown(deadline: string): number {
  const left = () => Math.max(0, Math.ceil((Date.parse(deadline) - Date.now()) / 1000));
  const [seconds, setSeconds] = useState(left);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `left` reads only `deadline`, a new closure each render.
  useEffect(() => {
    setSeconds(left());
    const timer = setInterval(() => {
      const next = left();
      setSeconds(next);
      if (next === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [deadline]);
  return seconds;
}
