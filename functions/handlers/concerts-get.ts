import { getConcert } from '../core/concerts.service';
import { httpHandler } from './http/http-handler';

export const handler = httpHandler('concerts-get', async (request, services) => ({
  status: 200,
  body: { concert: await getConcert(services.concerts, request.id('id', 'Concert')) },
}));
