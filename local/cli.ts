import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { promisify } from 'node:util';
import { Command, InvalidArgumentError } from 'commander';
import { stringify } from 'csv-stringify';
import pino from 'pino';
import { buildServices, openDatabase, type Services } from '../functions/composition/services';
import { loadConfig } from '../functions/config/service-config';
import { ensureAdmin } from '../functions/core/auth.service';
import { getConcert } from '../functions/core/concerts.service';
import { runJob } from '../functions/core/jobs.service';
import { isJobName, SCHEDULE } from '../functions/core/schedule';
import { migrate } from '../functions/db/migrate';
import { exitWithError } from './cli-errors';
import { seedSampleData } from './sample-data';
import { reportDateFromArgument, scheduledTimeFromArgument } from './scheduled-time';

const run = promisify(execFile);
const say = (line: string) => console.log(line);

/** Runs `work` with the service's adapters from the environment, then closes them. */
async function withServices(work: (services: Services) => Promise<void>): Promise<void> {
  const services = await buildServices(loadConfig(process.env), {
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    await work(services);
    await services.events.settled();
  } finally {
    await services.close();
  }
}

const uuid = (value: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
    throw new InvalidArgumentError('not a concert id');
  return value.toLowerCase();
};

export function operatorCli(): Command {
  const program = new Command('concert-tickets')
    .description(
      'Operator commands for concert-ticket-system. Configure with the service environment (DATABASE_URL, REDIS_URL, …).',
    )
    .showHelpAfterError();

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const db = await openDatabase(loadConfig(process.env), pino({ level: 'warn' }));
      try {
        const applied = await migrate(db);
        say(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.close();
      }
    });

  program
    .command('seed')
    .description('create the sample admin and concerts (safe to repeat)')
    .action(() => withServices((services) => seedSampleData(services, say)));

  program
    .command('create-admin')
    .description('create an administrator, or make an existing account one with this password')
    .requiredOption('--email <email>', 'the admin e-mail')
    .requiredOption('--password <password>', 'at least 8 characters')
    .action(({ email, password }: { email: string; password: string }) =>
      withServices(async (services) => {
        if (password.length < 8) throw new Error('the password must have at least 8 characters');
        const admin = await ensureAdmin(services.auth, { email, password });
        say(`admin ${admin.email} (${admin.id})`);
      }),
    );

  program
    .command('job')
    .description(`run a scheduled job now: ${SCHEDULE.map((j) => j.name).join(', ')}`)
    .argument('<name>', 'the job')
    .option(
      '--at <ISO time>',
      'the time this run was scheduled for (ISO with Z or an offset, "now" or "tick": the latest tick of its cron); default now. Its periods follow from it',
    )
    .option('--date <YYYY-MM-DD>', 'daily-report: the day to report (default: the local day of --at)')
    .action((name: string, { at, date }: { at?: string; date?: string }) =>
      withServices(async (services) => {
        if (!isJobName(name)) throw new Error(`unknown job "${name}"`);
        reportDateFromArgument(date);
        const scheduledAt = scheduledTimeFromArgument(
          at,
          name,
          services.config.scheduleTimeZone,
          services.jobs.now(),
          'now',
        );
        const report = await runJob({ ...services.jobs, progress: say }, name, {
          scheduledAt,
          ...(date ? { date } : {}),
        });
        say(JSON.stringify(report));
      }),
    );

  program
    .command('availability')
    .description("show a concert's live availability, tier by tier")
    .argument('<concertId>', 'the concert', uuid)
    .action((concertId: string) =>
      withServices(async (services) => {
        const concert = await getConcert(services.storedConcerts, concertId);
        say(
          `${concert.title} — ${concert.artist}, ${concert.venue}, ${concert.startsAt} (${concert.status})`,
        );
        for (const tier of concert.tiers)
          say(`  ${tier.name.padEnd(24)} ${String(tier.available).padStart(7)} of ${tier.capacity} left`);
        say(
          `  ${'total'.padEnd(24)} ${String(concert.availableTickets).padStart(7)} left, ${concert.totalBooked} held or sold`,
        );
      }),
    );

  program
    .command('export-tickets')
    .description("write a concert's tickets as CSV (code, tier, holder, reservation, issued)")
    .argument('<concertId>', 'the concert', uuid)
    .option('--out <file>', 'write to a file instead of standard output')
    .action((concertId: string, { out }: { out?: string }) =>
      withServices(async (services) => {
        const rows = await services.db.query(
          `SELECT t.code, tt.name AS tier, u.email AS holder, t.reservation_id, t.created_at
             FROM tickets t JOIN ticket_tiers tt ON tt.id = t.tier_id JOIN users u ON u.id = t.user_id
            WHERE t.concert_id = $1 ORDER BY tt.position, t.created_at, t.code`,
          [concertId],
        );
        const csv = stringify({
          header: true,
          columns: ['code', 'tier', 'holder', 'reservation_id', 'created_at'],
        });
        const target = out ? createWriteStream(out) : process.stdout;
        csv.pipe(target);
        for (const row of rows)
          csv.write({ ...row, created_at: new Date(String(row.created_at)).toISOString() });
        csv.end();
        if (out) {
          await once(target, 'finish');
          console.error(`wrote ${rows.length} tickets to ${out}`);
        } else await once(csv, 'end');
      }),
    );

  program
    .command('restore')
    .description('restore a pg_dump backup (custom format) into DATABASE_URL, replacing what is there')
    .argument('<file>', 'a backups/concert-tickets-*.dump file')
    .action(async (file: string) => {
      const url = loadConfig(process.env).databaseUrl;
      if (!url) throw new Error('restore needs DATABASE_URL (PostgreSQL)');
      console.error(`restoring ${file} …`);
      const started = Date.now();
      await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--exit-on-error', '-d', url, file], {
        maxBuffer: 16 * 1024 * 1024,
      });
      say(`restored ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

  return program;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  operatorCli().parseAsync(process.argv).catch(exitWithError);
}
