import middy from '@middy/core';
import * as z from 'zod';
import { type JobOptions, type JobReport, runJob } from '../../core/jobs.service';
import type { JobName } from '../../core/schedule';
import { adminDate, calendarDate } from '../http/schemas';
import { getServices } from '../lambda-runtime';

/**
 * What EventBridge Scheduler sends (stacks/schedules.ts): `scheduledAt` is its context attribute
 * `<aws.scheduler.scheduled-time>` (ISO UTC, e.g. 2022-03-22T18:59:43Z), the same on every retry of one
 * firing. `date` lets an operator re-run one day's report by hand.
 */
const jobEvent = z.object({
  scheduledAt: adminDate.optional(),
  date: calendarDate.optional(),
});

/**
 * A scheduled job as a Lambda (EventBridge Scheduler invokes it, maybe twice, maybe late). The run takes
 * the time it was scheduled for from the event; an invocation by hand without one runs for now, as the
 * CLI does. A failed run throws, so the asynchronous invocation is retried and finally lands
 * in the dead-letter queue; so does an event whose `scheduledAt` or `date` is malformed.
 */
export function jobHandler(job: JobName) {
  return middy<unknown, JobReport>().handler(async (event) => {
    const services = await getServices();
    const parsed = jobEvent.safeParse(event ?? {});
    if (!parsed.success) throw new Error(`${job}: malformed schedule event: ${parsed.error.message}`);
    const options: JobOptions = {
      ...(parsed.data.scheduledAt ? { scheduledAt: new Date(parsed.data.scheduledAt) } : {}),
      ...(parsed.data.date ? { date: parsed.data.date } : {}),
    };
    const report = await runJob(services.jobs, job, options);
    // expire-holds may have passed tickets to waiting lists: their offers are announced before the freeze.
    await services.waitlist.offers.settled();
    await services.events.settled();
    services.logger.info({ job: report }, `${job} ${report.outcome}`);
    return report;
  });
}
