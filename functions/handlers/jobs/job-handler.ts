import middy from '@middy/core';
import { type JobOptions, type JobReport, runJob } from '../../core/jobs.service';
import type { JobName } from '../../core/schedule';
import { getServices } from '../http/runtime';

/**
 * A scheduled job as a Lambda (EventBridge Scheduler invokes it, maybe twice, maybe late). A failed run
 * throws, so the asynchronous invocation is retried and finally lands in the dead-letter queue.
 */
export function jobHandler(job: JobName) {
  return middy<JobOptions | undefined, JobReport>().handler(async (event) => {
    const services = await getServices();
    const date =
      typeof event?.date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(event.date) ? event.date : undefined;
    const report = await runJob(services.jobs, job, date ? { date } : {});
    await services.events.settled();
    services.logger.info({ job: report }, `${job} ${report.outcome}`);
    return report;
  });
}
