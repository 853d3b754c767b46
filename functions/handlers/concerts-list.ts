import { listConcerts } from '../core/concerts.service';
import { httpHandler } from './http/http-handler';

export const handler = httpHandler('concerts-list', ['concerts'], async (_request, { concerts }) => ({
  status: 200,
  body: { concerts: await listConcerts(concerts) },
}));
