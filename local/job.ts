import { parseArgs } from 'node:util';
import pino from 'pino';
import { buildServices, openDatabase } from '../functions/composition/services';
import { loadConfig } from '../functions/config/service-config';
import { runJob } from '../functions/core/jobs.service';
import { isJobName, SCHEDULE } from '../functions/core/schedule';
import { migrate } from '../functions/db/migrate';
import { exitWithError } from './cli-errors';
import { reportDateFromArgument, scheduledTimeFromArgument } from './scheduled-time';

const HELP = `Usage: npm run job -- <name> [--at <ISO time>|now|tick] [--date YYYY-MM-DD]

Runs one scheduled job, with the service's environment (DATABASE_URL, REDIS_URL, SMTP_URL, ...), for the
time it was scheduled for: its periods (reminder window, report day) follow from that time, not the clock.
Safe to run while the scheduler runs: a second concurrent run is skipped, a repeated run repeats no effect,
a late one still covers its own period.

Jobs:
${SCHEDULE.map((job) => `  ${job.name.padEnd(20)} ${job.cron.padEnd(13)} ${job.description}`).join('\n')}

Options:
  --at <time>         the time this run was scheduled for: an ISO time with Z or an offset, "now", or
                      "tick" (default: the latest tick of the job's cron at or before now in
                      SCHEDULE_TIMEZONE, which is what a Kubernetes CronJob fired for)
  --date YYYY-MM-DD   daily-report: the day to report (default: the local day of --at)
  --help              this text`;

/**
 * `npm run job -- <name>`: what a Kubernetes CronJob or an operator runs. A CronJob passes no scheduled
 * time, so the run stands for the latest tick of the job's cron at or before now. Exit 0 when done or skipped.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      at: { type: 'string' },
      date: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const name = positionals[0];
  if (values.help || !name) {
    console.log(HELP);
    process.exit(values.help ? 0 : 2);
  }
  if (!isJobName(name))
    throw new Error(`unknown job "${name}"; one of ${SCHEDULE.map((j) => j.name).join(', ')}`);
  reportDateFromArgument(values.date);

  const config = loadConfig(process.env);
  const scheduledAt = scheduledTimeFromArgument(values.at, name, config.scheduleTimeZone, new Date(), 'tick');
  const logger = pino({ level: 'warn' });
  // Pending migrations are applied first and said so (standard error): nothing is migrated silently.
  const db = await openDatabase(config, logger);
  try {
    const applied = await migrate(db);
    if (applied.length > 0) console.error(`applied pending migrations first: ${applied.join(', ')}`);
  } finally {
    await db.close();
  }
  const services = await buildServices(config, { logger });
  try {
    const jobs = { ...services.jobs, progress: (message: string) => console.log(message) };
    const report = await runJob(jobs, name, { scheduledAt, ...(values.date ? { date: values.date } : {}) });
    await services.events.settled();
    console.log(JSON.stringify(report));
  } finally {
    await services.close();
  }
}

main().catch(exitWithError);
