import { Worker } from 'node:worker_threads';
import type { RelayShard, RelayShardResult, RelayShardRunner } from '../../ports/relay-shards.port';
import type { RelayWorkerData } from './relay-shard-worker';

export interface WorkerThreadShardsOptions {
  /** Worker threads, one shard each per delivery (≥ 1). */
  workers: number;
  /** The pusher every worker builds for itself (endpoint, credentials, timeouts). */
  pusher: RelayWorkerData;
  /**
   * The worker's module. Default: relay-shard-worker next to this module, with this module's extension
   * (`.ts` under tsx, `.js` or `.mjs` once built).
   */
  workerUrl?: URL;
  /** Node options of the threads (default: this process's); a test under vitest passes tsx's loader. */
  execArgv?: string[];
}

/**
 * The container form of relay sharding: `workers` threads, each with its own SDK client and sockets,
 * each posting one shard of every delivery (core `postShard`), so the SDK's per-post CPU is spread over
 * the cores instead of one event loop. Threads start on the first delivery. A thread that dies
 * rejects its shard's run (the leader posts that shard itself) and is replaced on the next run.
 */
export class WorkerThreadShardRunner implements RelayShardRunner {
  readonly shards: number;
  private readonly threads: Array<Worker | undefined>;
  private readonly pending = new Map<
    number,
    { resolve: (r: RelayShardResult) => void; reject: (e: Error) => void; thread: number }
  >();
  private nextId = 0;
  private nextThread = 0;

  constructor(private readonly options: WorkerThreadShardsOptions) {
    this.shards = Math.max(1, Math.floor(options.workers));
    this.threads = new Array(this.shards).fill(undefined);
  }

  run(shard: RelayShard): Promise<RelayShardResult> {
    const thread = this.nextThread;
    this.nextThread = (this.nextThread + 1) % this.shards;
    const worker = this.thread(thread);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, thread });
      worker.postMessage({ id, shard });
    });
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0, this.threads.length, ...new Array(this.shards).fill(undefined));
    await Promise.all(threads.map((worker) => worker?.terminate()));
  }

  private thread(index: number): Worker {
    const running = this.threads[index];
    if (running) return running;
    const here = import.meta.url;
    const url =
      this.options.workerUrl ?? new URL(`./relay-shard-worker${here.slice(here.lastIndexOf('.'))}`, here);
    const worker = new Worker(url, {
      workerData: this.options.pusher,
      ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}),
    });
    worker.unref();
    worker.on('message', ({ id, result }: { id: number; result: RelayShardResult }) => {
      this.pending.get(id)?.resolve(result);
      this.pending.delete(id);
    });
    const lost = (error: Error) => {
      if (this.threads[index] === worker) this.threads[index] = undefined;
      for (const [id, waiting] of this.pending)
        if (waiting.thread === index) {
          this.pending.delete(id);
          waiting.reject(error);
        }
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`relay worker ${index} exited (${code})`)));
    this.threads[index] = worker;
    return worker;
  }
}
