import { Cron } from 'croner';
import type { Services } from '../functions/composition/services';
import { runJob } from '../functions/core/jobs.service';
import { latestTick, SCHEDULE } from '../functions/core/schedule';

export interface RunningScheduler {
  /** What was registered, read back from the cron library (tests compare it with the schedule table). */
  registered(): Array<{ name: string; cron: string; timeZone: string; nextRun: string | null }>;
  stop(): void;
}

/**
 * The local scheduler: one process (`npm run scheduler`), never inside the scaled API replicas. Each job
 * keeps its own advisory lock, so a second scheduler by mistake still runs each job once at a time. Each
 * run is told the tick it fires for, so a run delayed by a busy event loop keeps its period.
 */
export function startScheduler(services: Services): RunningScheduler {
  const timeZone = services.config.scheduleTimeZone;
  const crons = SCHEDULE.map(
    (job) =>
      new Cron(job.cron, { name: job.name, timezone: timeZone, protect: true, catch: false }, async () => {
        try {
          // croner fires once the tick has come, so the latest tick at or before now is the one it fired for.
          const scheduledAt = latestTick(job.name, services.jobs.now(), timeZone);
          const report = await runJob(services.jobs, job.name, { scheduledAt });
          services.logger.info({ job: report }, `${job.name} ${report.outcome}`);
        } catch (error) {
          services.logger.error({ err: error, job: job.name }, `${job.name} failed`);
        }
      }),
  );
  return {
    registered: () =>
      crons.map((cron) => ({
        name: cron.name ?? '',
        cron: cron.getPattern() ?? '',
        timeZone: String(cron.options.timezone ?? ''),
        nextRun: cron.nextRun()?.toISOString() ?? null,
      })),
    stop: () => {
      for (const cron of crons) cron.stop();
    },
  };
}
