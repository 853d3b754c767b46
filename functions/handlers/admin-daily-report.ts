import { notFound } from '../core/errors';
import { localDate } from '../core/jobs.service';
import { httpHandler } from './http/http-handler';
import { calendarDate } from './http/schemas';

export const handler = httpHandler(
  'admin-daily-report',
  ['dailyReports'],
  async (request, { dailyReports }) => {
    await request.admin();
    const raw = request.event.queryStringParameters?.date;
    const date =
      raw === undefined
        ? localDate(new Date(), dailyReports.timeZone)
        : request.validate(calendarDate, raw, 'The date');
    const report = await dailyReports.reports.find(date);
    if (!report) throw notFound(`A report for ${date}`);
    return { status: 200, body: { report } };
  },
);
