import { concertSales } from '../core/sales.service';
import { httpHandler } from './http/http-handler';

/** GET /api/admin/sales: sold and held apart per concert and tier, for the organiser's console. */
export const handler = httpHandler('admin-concert-sales', ['sales'], async (request, { sales }) => {
  await request.admin();
  return { status: 200, body: { concerts: await concertSales(sales) } };
});
