import { listConcerts } from '../core/concerts.service';
import { httpHandler } from './http/http-handler';

export const handler = httpHandler('concerts-list', async (_request, services) => ({
  status: 200,
  body: { concerts: await listConcerts(services.concerts) },
}));
