import { leaveWaitlist } from '../core/waitlist.service';
import { httpHandler } from './http/http-handler';
import { publicWaitlistEntry } from './http/public-waitlist-entry';

/** DELETE /api/concerts/{id}/tiers/{tierId}/waitlist: 200 the entry, status `left`; 404 without a live one. */
export const handler = httpHandler('waitlist-leave', ['waitlist'], async (request, { waitlist }) => {
  const principal = await request.user();
  const concertId = request.id('id', 'Concert').toLowerCase();
  const tierId = request.id('tierId', 'Tier').toLowerCase();
  const entry = await leaveWaitlist(waitlist, principal, concertId, tierId);
  return { status: 200, body: { entry: publicWaitlistEntry(entry) } };
});
