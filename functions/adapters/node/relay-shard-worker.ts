/**
 * The body of one relay worker thread (see WorkerThreadShardRunner): one ApiGatewayPusher (one SDK
 * client, one keep-alive agent) for the thread's life, built from `workerData` ({@link RelayWorkerData});
 * each `{ id, shard }` message is posted with the core's `postShard` and answered `{ id, result }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { postShard } from '../../core/relay-availability';
import type { RelayShard } from '../../ports/relay-shards.port';
import { ApiGatewayPusher, type ApiGatewayPusherOptions } from '../aws/apigw-management-pusher';

/** What a relay worker thread is started with: the pusher's options (plain data). */
export type RelayWorkerData = ApiGatewayPusherOptions;

const pusher = new ApiGatewayPusher(workerData as RelayWorkerData);
parentPort?.on('message', (message: { id: number; shard: RelayShard }) => {
  void postShard(pusher, message.shard).then((result) => parentPort?.postMessage({ id: message.id, result }));
});
