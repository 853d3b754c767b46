import { joinWaitlist } from '../core/waitlist.service';
import { httpHandler } from './http/http-handler';
import { publicWaitlistEntry } from './http/public-waitlist-entry';
import { joinWaitlistBody } from './http/schemas';

/** POST /api/concerts/{id}/tiers/{tierId}/waitlist `{quantity}`: 201 a new entry, 200 the same one again. */
export const handler = httpHandler('waitlist-join', ['waitlist'], async (request, { waitlist }) => {
  const principal = await request.user();
  const concertId = request.id('id', 'Concert').toLowerCase();
  const tierId = request.id('tierId', 'Tier').toLowerCase();
  const { quantity } = request.body(joinWaitlistBody);
  const { entry, created } = await joinWaitlist(waitlist, principal, {
    concertId,
    tierId,
    quantity,
  });
  return { status: created ? 201 : 200, body: { entry: publicWaitlistEntry(entry) } };
});
