import { parseArgs } from 'node:util';
import pino from 'pino';
import { buildServices } from '../functions/composition/services';
import { loadConfig } from '../functions/config/service-config';
import { runJob } from '../functions/core/jobs.service';
import { isJobName, SCHEDULE } from '../functions/core/schedule';
import { exitWithError } from './cli-errors';

const HELP = `Usage: npm run job -- <name> [--date YYYY-MM-DD]

Runs one scheduled job now, with the service's environment (DATABASE_URL, REDIS_URL, SMTP_URL, ...).
Safe to run while the scheduler runs: a second concurrent run is skipped, a repeated run repeats no effect.

Jobs:
${SCHEDULE.map((job) => `  ${job.name.padEnd(20)} ${job.cron.padEnd(13)} ${job.description}`).join('\n')}

Options:
  --date YYYY-MM-DD   daily-report: the day to report (default: today in SCHEDULE_TIMEZONE)
  --help              this text`;

/** `npm run job -- <name>`: what a Kubernetes CronJob or an operator runs. Exit 0 when done or skipped. */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { date: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  const name = positionals[0];
  if (values.help || !name) {
    console.log(HELP);
    process.exit(values.help ? 0 : 2);
  }
  if (!isJobName(name))
    throw new Error(`unknown job "${name}"; one of ${SCHEDULE.map((j) => j.name).join(', ')}`);
  if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date))
    throw new Error('--date takes YYYY-MM-DD');

  const config = loadConfig(process.env);
  const services = await buildServices(config, { migrate: true, logger: pino({ level: 'warn' }) });
  try {
    const jobs = { ...services.jobs, progress: (message: string) => console.log(message) };
    const report = await runJob(jobs, name, values.date ? { date: values.date } : {});
    await services.events.settled();
    console.log(JSON.stringify(report));
  } finally {
    await services.close();
  }
}

main().catch(exitWithError);
