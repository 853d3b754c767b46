import { createConcert } from '../core/concerts.service';
import { httpHandler } from './http/http-handler';
import { createConcertBody } from './http/schemas';

export const handler = httpHandler('concerts-create', async (request, services) => {
  await request.admin();
  const concert = await createConcert(services, request.body(createConcertBody));
  return { status: 201, body: { concert } };
});
