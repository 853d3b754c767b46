import { describe, expect, it } from 'vitest';
import { ApiGatewayPusher } from '../../functions/adapters/aws/apigw-management-pusher';

// Issue 19: the relay's per-post SDK work was cut by removing middleware; removing the retry middleware
// silently removed signing too (it is placed relative to it), so what stays is checked by name.
describe('the relay pusher SDK middleware', () => {
  const options = {
    endpoint: 'http://127.0.0.1:9',
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };

  it('keeps signing, serialisation and error parsing, and drops the user-agent and logger middleware', () => {
    const names = new ApiGatewayPusher(options).middleware().join('\n');
    expect(names).toContain('awsAuthMiddleware');
    expect(names).toContain('serializerMiddleware');
    expect(names).toContain('deserializerMiddleware');
    expect(names).not.toContain('getUserAgentMiddleware');
    expect(names).not.toContain('loggerMiddleware');
  });

  it('keeps the SDK defaults only when asked (the benchmark baseline)', () => {
    const names = new ApiGatewayPusher({ ...options, sdkDefaults: true }).middleware().join('\n');
    expect(names).toContain('getUserAgentMiddleware');
    expect(names).toContain('awsAuthMiddleware');
  });
});
