import { z } from 'zod';
import { notFound } from '../core/errors';
import { localDate } from '../core/jobs.service';
import { httpHandler } from './http/http-handler';

const reportDate = z.iso.date();

export const handler = httpHandler('admin-daily-report', async (request, services) => {
  await request.admin();
  const raw = request.event.queryStringParameters?.date;
  const date =
    raw === undefined
      ? localDate(new Date(), services.config.scheduleTimeZone)
      : request.validate(reportDate, raw, 'The date');
  const report = await services.reports.find(date);
  if (!report) throw notFound(`A report for ${date}`);
  return { status: 200, body: { report } };
});
