interface Waiting<Req, Res> {
  request: Req;
  resolve: (result: Res) => void;
  reject: (error: unknown) => void;
}

/**
 * What a batch answers for each of its requests, in request order: its own result or its own failure,
 * so one request's failure never fails another's (DESIGN.md invariant 7).
 */
export type MemberResult<Res> = { ok: true; value: Res } | { ok: false; error: unknown };

/**
 * Groups concurrent requests by key into batches without a timer: the first request of a quiet key goes
 * out at once (after the current tick, so requests arriving together share it); requests that arrive
 * while its batch runs wait for that one call and then go together. Under load every call carries
 * everything that queued during the previous one; no request waits longer than one call.
 * `runBatch` answers one MemberResult per request; when it throws, every request of that batch fails
 * with that error (it should isolate its members itself and throw only when all failed alike).
 */
export class KeyedBatcher<Req, Res> {
  private readonly queues = new Map<string, Array<Waiting<Req, Res>>>();
  private readonly running = new Set<string>();

  constructor(
    private readonly runBatch: (key: string, requests: Req[]) => Promise<Array<MemberResult<Res>>>,
    private readonly maxBatch = 200,
  ) {}

  submit(key: string, request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      let queue = this.queues.get(key);
      if (!queue) {
        queue = [];
        this.queues.set(key, queue);
      }
      queue.push({ request, resolve, reject });
      if (!this.running.has(key)) {
        this.running.add(key);
        setImmediate(() => void this.drain(key));
      }
    });
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key) ?? [];
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      try {
        const results = await this.runBatch(
          key,
          batch.map((waiting) => waiting.request),
        );
        batch.forEach((waiting, i) => {
          const result = results[i];
          if (!result) waiting.reject(new Error(`the batch answered nothing for request ${i}`));
          else if (result.ok) waiting.resolve(result.value);
          else waiting.reject(result.error);
        });
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.queues.delete(key);
    this.running.delete(key);
  }
}
