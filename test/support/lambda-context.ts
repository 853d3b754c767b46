import type { Context } from 'aws-lambda';
import { lambdaContext } from '../../local/shim/lambda-context';

/** Time left in every invocation given a fake context, ms (a test reuses one context for many calls). */
export const FAKE_REMAINING_MS = 30_000;

/**
 * The one fake Lambda `Context` for tests: the shim's own (every field a handler reads, with local
 * values), for function `test`, request id `test-request`, and always FAKE_REMAINING_MS (30 s) left, so
 * that a context made once per file does not run out during a slow file; `overrides` replace fields
 * (e.g. `{ awsRequestId: 'req-1' }`).
 */
export function fakeLambdaContext(overrides: Partial<Context> = {}): Context {
  return {
    ...lambdaContext(overrides.functionName ?? 'test', overrides.awsRequestId ?? 'test-request'),
    getRemainingTimeInMillis: () => FAKE_REMAINING_MS,
    ...overrides,
  };
}
