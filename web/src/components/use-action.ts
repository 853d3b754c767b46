import { useCallback, useState } from 'react';
import { describeError } from '../api/error-messages';

/**
 * A button's work: `busy` while it runs, its failure as a sentence in `error`. `run` resolves to the work's
 * result, or undefined when it failed (`onError` sees the cause first, to pick its own words or undo).
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = useCallback(
    async <T>(work: () => Promise<T>, onError?: (cause: unknown) => string | undefined) => {
      setBusy(true);
      setError(undefined);
      try {
        return await work();
      } catch (cause) {
        setError(onError?.(cause) ?? describeError(cause));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [],
  );
  return { busy, error, run };
}
