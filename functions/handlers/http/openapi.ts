import * as z from 'zod';
import { responseBodies } from './response-schemas';
import { HTTP_ROUTE_TABLE } from './route-table';

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/**
 * The OpenAPI 3.1 document, generated from the route table and the very zod schemas the handlers
 * validate with: a route cannot exist without being documented, nor a body be checked differently.
 */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of HTTP_ROUTE_TABLE) {
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
    // The Idempotency-Key sent again with another request (IDEMPOTENCY_KEY_REUSED).
    if (route.functionName === 'reservations-create') errors.push('422');
    const success = { 'application/json': { schema: jsonSchema(route.response.body, 'output') } };
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
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [String(route.response.status)]: {
          description: route.response.status === 201 ? 'Created' : 'Success',
          content: success,
        },
        ...(route.functionName === 'reservations-create'
          ? {
              '200': {
                description: 'A retry with the same Idempotency-Key: the same reservation',
                content: success,
              },
            }
          : {}),
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
      schemas: { Error: jsonSchema(responseBodies.error, 'output') },
    },
  };
}
