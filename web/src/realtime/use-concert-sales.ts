import { useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import type { ConcertSales } from '../api/contract';

/**
 * Sold and held apart per concert (admin only: GET /api/admin/sales), read again whenever `changed` does
 * (a new count or an admin notice). One request at a time: changes that arrive meanwhile make one more read
 * after it, so a busy sale costs at most one request in flight, and the last read always follows the last change.
 */
export function useConcertSales(api: ApiClient, changed: string): Map<string, ConcertSales> | null {
  const [sales, setSales] = useState<Map<string, ConcertSales> | null>(null);
  const reading = useRef({ busy: false, again: false, mounted: true });

  useEffect(() => {
    const state = reading.current;
    state.mounted = true;
    return () => {
      state.mounted = false;
    };
  }, []);

  useEffect(() => {
    // `changed` only says when to read: its value is not used.
    void changed;
    const state = reading.current;
    const read = () => {
      state.busy = true;
      api
        .sales()
        .then(
          ({ concerts }) => {
            if (state.mounted) setSales(new Map(concerts.map((concert) => [concert.concertId, concert])));
          },
          () => {},
        )
        .finally(() => {
          state.busy = false;
          if (state.again && state.mounted) {
            state.again = false;
            read();
          }
        });
    };
    if (state.busy) state.again = true;
    else read();
  }, [api, changed]);

  return sales;
}
