import { SCHEDULE } from '../core/schedule';
import { HTTP_ROUTE_TABLE } from './http/route-table';
import { CLIENT_ACTIONS } from './websocket/client-actions';

// Plain data for the stacks and the bundler: imports no handler (the route table, the client actions
// and the schedule are data), so `cdktf synth` never loads the service's runtime modules.

/** The WebSocket API's routes and the function serving each (API Gateway route selection: `$request.body.action`). */
export const WEBSOCKET_ROUTES: ReadonlyArray<{ routeKey: string; functionName: string }> = [
  { routeKey: '$connect', functionName: 'ws-connect' },
  { routeKey: '$disconnect', functionName: 'ws-disconnect' },
  { routeKey: '$default', functionName: 'ws-message' },
  ...CLIENT_ACTIONS.map((action) => ({ routeKey: action, functionName: 'ws-message' })),
];

/** Every function AWS deploys; each is `functions/handlers/<name>.ts` exporting `handler`. */
export const LAMBDA_FUNCTIONS: readonly string[] = [
  ...new Set([
    ...HTTP_ROUTE_TABLE.map((route) => route.functionName),
    ...WEBSOCKET_ROUTES.map((route) => route.functionName),
    'relay',
    // One shard of a relay delivery, invoked synchronously by the relay leader (RELAY_SHARDS > 1).
    'relay-shard',
    // The waiting room's admission, once a minute, in one-second steps (functions/handlers/queue-admission.ts).
    'queue-admission',
    'alb-api',
    ...SCHEDULE.map((job) => jobFunctionName(job.name)),
  ]),
];

/** The Lambda that runs a scheduled job: `functions/handlers/job-<name>.ts`. */
export function jobFunctionName(job: string): string {
  return `job-${job}`;
}
