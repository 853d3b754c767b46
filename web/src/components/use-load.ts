import { type DependencyList, useCallback, useEffect, useState } from 'react';
import { describeError } from '../api/error-messages';

/** Loads once per change of `deps`; `reload` fetches again. Errors become a sentence. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what the load depends on, as with useEffect.
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    let current = true;
    run().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
      },
      (cause: unknown) => {
        if (!current) return;
        setError(describeError(cause));
      },
    );
    return () => {
      current = false;
    };
  }, [run]);
  useEffect(reload, [reload]);
  return { data, error, reload };
}
