import { createConcert } from '../core/concerts.service';
import { httpHandler } from './http/http-handler';
import { createConcertBody } from './http/schemas';

export const handler = httpHandler('concerts-create', ['concertAdmin'], async (request, { concertAdmin }) => {
  await request.admin();
  const concert = await createConcert(concertAdmin, request.body(createConcertBody));
  return { status: 201, body: { concert } };
});
