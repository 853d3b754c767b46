import { updateQueuedConcert } from '../core/waiting-room.service';
import { httpHandler } from './http/http-handler';
import { updateConcertBody } from './http/schemas';

export const handler = httpHandler(
  'concerts-update',
  ['concertAdmin', 'queue'],
  async (request, { concertAdmin, queue }) => {
    await request.admin();
    const id = request.id('id', 'Concert');
    const { tiers = [], ...fields } = request.body(updateConcertBody);
    const concert = await updateQueuedConcert({ ...queue, ...concertAdmin }, id, {
      ...fields,
      tierChanges: tiers.flatMap((tier) => ('id' in tier ? [{ ...tier, id: tier.id.toLowerCase() }] : [])),
      newTiers: tiers.flatMap((tier) => ('id' in tier ? [] : [tier])),
    });
    return { status: 200, body: { concert } };
  },
);
