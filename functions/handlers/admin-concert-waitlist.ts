import { waitlistStats } from '../core/waitlist.service';
import { httpHandler } from './http/http-handler';

/** GET /api/admin/concerts/{id}/waitlist: per tier, list length, offers made, claimed, expired, left. */
export const handler = httpHandler('admin-concert-waitlist', ['waitlist'], async (request, { waitlist }) => {
  await request.admin();
  const concertId = request.id('id', 'Concert').toLowerCase();
  return { status: 200, body: { tiers: await waitlistStats(waitlist, concertId) } };
});
