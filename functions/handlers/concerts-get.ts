import { getConcert } from '../core/concerts.service';
import { httpHandler } from './http/http-handler';

export const handler = httpHandler('concerts-get', ['concerts'], async (request, { concerts }) => ({
  status: 200,
  body: { concert: await getConcert(concerts, request.id('id', 'Concert')) },
}));
