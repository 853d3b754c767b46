import { httpHandler } from './http/http-handler';
import { openApiDocument } from './http/openapi';

let document: Record<string, unknown> | undefined;

export const handler = httpHandler('api-openapi', async () => {
  document ??= openApiDocument();
  return { status: 200, body: document, headers: { 'cache-control': 'public, max-age=300' } };
});
