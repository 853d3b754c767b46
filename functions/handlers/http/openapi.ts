import { z } from 'zod';
import { HTTP_STATUS } from './error-response';
import { HTTP_ROUTES } from './routes';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(HTTP_STATUS) },
        message: { type: 'string' },
        details: {},
      },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

/**
 * The OpenAPI 3.1 document, generated from the route table and the very zod schemas the handlers
 * validate with: a route cannot exist without being documented, nor a body be checked differently.
 */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of HTTP_ROUTES) {
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string', format: 'uuid' },
    }));
    if (route.functionName === 'admin-daily-report') {
      parameters.push({
        name: 'date',
        in: 'query',
        required: false,
        schema: { type: 'string', format: 'date' },
      });
    }
    if (route.functionName === 'reservations-create') {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', maxLength: 200 } as never,
      });
    }
    const errors =
      route.access === 'public'
        ? ['400', '404', '409', '429', '503']
        : ['400', '401', '403', '404', '409', '503'];
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      operationId: route.functionName,
      summary: route.summary,
      ...(route.access === 'public' ? {} : { security: [{ bearer: [] }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body) } },
            },
          }
        : {}),
      responses: {
        [route.method === 'POST' && !route.path.includes('confirm') && route.functionName !== 'auth-login'
          ? '201'
          : '200']: {
          description: 'Success',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        ...Object.fromEntries(
          errors.map((status) => [
            status,
            {
              description: 'Error',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'concert-ticket-system',
      version: '1.0.0',
      description: 'Holds, confirmations and live availability for concert tickets. Contract: shared/API.md.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema },
    },
  };
}
