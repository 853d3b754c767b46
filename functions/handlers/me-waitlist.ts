import { listMyWaitlist } from '../core/waitlist.service';
import { httpHandler } from './http/http-handler';
import { publicWaitlistEntry } from './http/public-waitlist-entry';

/** GET /api/me/waitlist: the caller's entries, newest first; an offer carries its `reservation`. */
export const handler = httpHandler('me-waitlist', ['waitlist'], async (request, { waitlist }) => {
  const entries = await listMyWaitlist(waitlist, await request.user());
  return { status: 200, body: { entries: entries.map(publicWaitlistEntry) } };
});
