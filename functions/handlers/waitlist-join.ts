import { joinWaitlist } from '../core/waitlist.service';
import { httpHandler } from './http/http-handler';
import { publicWaitlistEntry } from './http/public-waitlist-entry';
import { joinWaitlistBody } from './http/schemas';

/**
 * POST /api/concerts/{id}/tiers/{tierId}/waitlist `{quantity, admissionToken?}`: 201 a new entry, 200 the
 * same one again; on a waiting-room concert the fan's admission is needed (403 ADMISSION_REQUIRED).
 */
export const handler = httpHandler('waitlist-join', ['waitlist'], async (request, { waitlist }) => {
  const principal = await request.user();
  const concertId = request.id('id', 'Concert').toLowerCase();
  const tierId = request.id('tierId', 'Tier').toLowerCase();
  const { quantity, admissionToken } = request.body(joinWaitlistBody);
  const { entry, created } = await joinWaitlist(waitlist, principal, {
    concertId,
    tierId,
    quantity,
    admissionToken,
  });
  return { status: created ? 201 : 200, body: { entry: publicWaitlistEntry(entry) } };
});
