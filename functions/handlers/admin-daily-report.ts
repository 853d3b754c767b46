import { notFound } from '../core/errors';
import { localDate } from '../core/jobs.service';
import { httpHandler } from './http/http-handler';
import { calendarDate } from './http/schemas';

export const handler = httpHandler('admin-daily-report', async (request, services) => {
  await request.admin();
  const raw = request.event.queryStringParameters?.date;
  const date =
    raw === undefined
      ? localDate(new Date(), services.config.scheduleTimeZone)
      : request.validate(calendarDate, raw, 'The date');
  const report = await services.reports.find(date);
  if (!report) throw notFound(`A report for ${date}`);
  return { status: 200, body: { report } };
});
