import type { Context } from 'aws-lambda';
import { lambdaContext } from '../../local/shim/lambda-context';

/**
 * The one fake Lambda `Context` for tests: the shim's own (every field a handler reads, with local
 * values), for function `test`, request id `test-request`, 30 s (30,000 ms) left; `overrides` replace
 * fields (e.g. `{ awsRequestId: 'req-1' }`).
 */
export function fakeLambdaContext(overrides: Partial<Context> = {}): Context {
  return {
    ...lambdaContext(overrides.functionName ?? 'test', overrides.awsRequestId ?? 'test-request'),
    ...overrides,
  };
}
