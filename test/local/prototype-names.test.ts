import type { ALBEvent } from 'aws-lambda';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { toHttpApiEvent } from '../../local/shim/http-api-event';
import { fakeLambdaContext } from '../support/lambda-context';

// Issue 15 item 9's kind: names a client chooses (WebSocket actions there; query parameters and headers
// here) are data, never members of Object.prototype.
describe('query parameters and headers named after Object.prototype members', () => {
  it('the shim passes ?toString=, ?constructor= and ?__proto__= through as plain parameters', () => {
    const req = {
      headers: { host: 'localhost', constructor: 'h' },
      originalUrl: '/api/concerts?toString=a&constructor=b&__proto__=c&hasOwnProperty=d&toString=e',
      path: '/api/concerts',
      params: {},
      method: 'GET',
      httpVersion: '1.1',
      hostname: 'localhost',
      ip: '127.0.0.1',
      socket: { remoteAddress: '127.0.0.1' },
      body: undefined,
    } as unknown as Request;

    const event = toHttpApiEvent(req, 'GET /api/concerts');

    expect(Object.entries(event.queryStringParameters ?? {})).toEqual([
      ['toString', 'a,e'],
      ['constructor', 'b'],
      ['__proto__', 'c'],
      ['hasOwnProperty', 'd'],
    ]);
    expect(event.headers.constructor).toBe('h');
  });

  it('the ALB handler answers a request with such parameters and headers like any other', async () => {
    process.env.LOG_LEVEL = 'silent';
    const { handler } = await import('../../functions/handlers/alb-api');
    const event = {
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:x' } },
      httpMethod: 'GET',
      path: '/health',
      queryStringParameters: { __proto__: 'x', toString: 'y' },
      headers: { host: 'example.test', constructor: 'z' },
      body: '',
      isBase64Encoded: false,
    } as unknown as ALBEvent;

    const response = await handler(event, fakeLambdaContext());

    expect(response.statusCode).toBe(200);
  });
});
