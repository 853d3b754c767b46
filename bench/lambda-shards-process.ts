/**
 * The relay-shard "Lambda" for the relay benchmark: a Lambda Invoke stand-in in a process of its own that
 * runs the relay-shard handler's body (`runRelayShard`) with a real API Gateway client posting to the
 * management stand-in. Every invocation shares this one process: on a 2-core machine it stands for the
 * protocol and payloads of parallel Lambdas, not for their separate CPUs. Started with `fork` (IPC): it
 * answers `{ url }` once listening; on `'cpu'` it answers `{ cpuMicros }` (its CPU so far, user + system).
 *
 *   MANAGEMENT_URL=http://127.0.0.1:… (the management endpoint stand-in)
 */
import { ApiGatewayPusher } from '../functions/adapters/aws/apigw-management-pusher';
import { runRelayShard } from '../functions/handlers/relay-shard';
import { startLambdaInvokeStandIn } from '../test/support/lambda-invoke-stand-in';

const pusher = new ApiGatewayPusher({
  endpoint: process.env.MANAGEMENT_URL ?? '',
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const lambda = await startLambdaInvokeStandIn((event) => runRelayShard(event, pusher));
process.on('message', (message) => {
  if (message !== 'cpu') return;
  const { user, system } = process.cpuUsage();
  process.send?.({ cpuMicros: user + system, invocations: lambda.invocations.length });
});
process.send?.({ url: lambda.url });
