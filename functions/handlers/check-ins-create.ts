import { checkInTicket, requireDoorStaff } from '../core/check-ins.service';
import { httpHandler } from './http/http-handler';
import { checkInBody } from './http/schemas';

/** POST /api/check-ins (staff or admin): admits a ticket at the door once; see core checkInTicket. */
export const handler = httpHandler('check-ins-create', ['checkIns'], async (request, { checkIns }) => {
  const principal = await request.user();
  requireDoorStaff(principal);
  const body = request.body(checkInBody);
  const admitted = await checkInTicket(checkIns, principal, {
    code: body.code,
    deviceId: body.deviceId,
    concertId: body.concertId?.toLowerCase(),
    scannedAt: body.scannedAt,
  });
  return { status: 200, body: admitted };
});
