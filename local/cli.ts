import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
// Only commander at start-up: every command imports what it needs when it runs (the database driver,
// the service's adapters, csv-stringify), so `--help` and `--version` load none of them.
import type { Services } from '../functions/composition/services';
import type { ServiceConfig } from '../functions/config/service-config';
import type { SqlDatabase } from '../functions/ports/sql-database.port';
import { CliError, exitWithError } from './cli-errors';

const say = (line: string) => console.log(line);
/** Progress and notes go to standard error, so standard output stays the command's answer (CSV, JSON). */
const note = (line: string) => console.error(line);

async function config(): Promise<ServiceConfig> {
  const { loadConfig } = await import('../functions/config/service-config');
  return loadConfig(process.env);
}

async function quietLogger() {
  const { default: pino } = await import('pino');
  return pino({ level: 'warn' });
}

/**
 * Runs `work` with the service's adapters from the environment, then closes them. Pending migrations are
 * applied first (these commands write) and said so on standard error: nothing is migrated silently.
 */
async function withServices(work: (services: Services) => Promise<void>): Promise<void> {
  const settings = await config();
  const [{ buildServices, openDatabase }, { migrate }] = await Promise.all([
    import('../functions/composition/services'),
    import('../functions/db/migrate'),
  ]);
  const logger = await quietLogger();
  const db = await openDatabase(settings, logger);
  try {
    const applied = await migrate(db);
    if (applied.length > 0) note(`applied pending migrations first: ${applied.join(', ')}`);
  } finally {
    await db.close();
  }
  const services = await buildServices(settings, { logger });
  try {
    await work(services);
    await services.events.settled();
  } finally {
    await services.close();
  }
}

/**
 * Runs a read-only `work` on the database as it is: nothing is created or migrated. An embedded data
 * folder that does not exist yet, or a schema behind this code, is a CliError saying what to run.
 */
async function withDatabaseAsIs(work: (db: SqlDatabase) => Promise<void>): Promise<void> {
  const settings = await config();
  if (!settings.databaseUrl && !settings.dataApi) {
    if (!existsSync(join(settings.dataDir, 'pglite')))
      throw new CliError(
        `no embedded database in ${resolve(settings.dataDir)} (DATA_DIR): start the service or run \`concert-tickets migrate\` first, or set DATABASE_URL`,
      );
  }
  const { openDatabase } = await import('../functions/composition/services');
  const db = await openDatabase(settings, await quietLogger());
  try {
    const pending = await pendingMigrations(db);
    if (pending.length > 0)
      throw new CliError(
        `the database schema is behind this version (${pending.length} migration(s) pending: ${pending.join(', ')}): run \`concert-tickets migrate\` first`,
      );
    await work(db);
  } finally {
    await db.close();
  }
}

/** Migrations this code has that the database has not recorded (all of them on an empty database). */
async function pendingMigrations(db: SqlDatabase): Promise<string[]> {
  const [{ readMigrations }, { SqlOperatorRepository }] = await Promise.all([
    import('../functions/db/migrate'),
    import('../functions/adapters/postgres/sql-operator-repository'),
  ]);
  const all = await readMigrations();
  const applied = new Set((await new SqlOperatorRepository(db).appliedMigrations()) ?? []);
  return all.filter((migration) => !applied.has(migration.name)).map((migration) => migration.name);
}

const uuid = (value: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
    throw new InvalidArgumentError('not a concert id');
  return value.toLowerCase();
};

/** The package's version (package.json), for `--version`. */
export async function packageVersion(): Promise<string> {
  // The container's bundle (dist/local/cli.mjs) has no package.json one folder up: 'unknown' there.
  const text = await readFile(new URL('../package.json', import.meta.url), 'utf8').catch(() => undefined);
  if (text === undefined) return 'unknown';
  return String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
}

/** `npm run job -- --help`: the scheduled-job command's own help (it reads its arguments itself). */
async function scheduledJobHelp(): Promise<string> {
  const { SCHEDULE } = await import('../functions/core/schedule');
  return `Usage: npm run job -- <name> [--at <ISO time>|now|tick] [--date YYYY-MM-DD]

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
}

/**
 * `npm run job -- <name> [--at …] [--date …]` (the hidden `scheduled-job` command): what a Kubernetes
 * CronJob or an operator runs. A CronJob passes no scheduled time, so the run stands for the latest tick
 * of the job's cron at or before now (`job` defaults to now instead). Progress and the report (one JSON
 * line) go to standard output. Exit 0 when done or skipped; no job name prints the help, exit 2.
 * @param args the arguments after the command name, as `npm run job --` passes them
 */
async function runScheduledJob(args: string[]): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      at: { type: 'string' },
      date: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const name = positionals[0];
  if (values.help || !name) {
    say(await scheduledJobHelp());
    process.exit(values.help ? 0 : 2);
  }
  const [{ isJobName, SCHEDULE }, { reportDateFromArgument, scheduledTimeFromArgument }] = await Promise.all([
    import('../functions/core/schedule'),
    import('./scheduled-time'),
  ]);
  if (!isJobName(name))
    throw new Error(`unknown job "${name}"; one of ${SCHEDULE.map((j) => j.name).join(', ')}`);
  reportDateFromArgument(values.date);
  const settings = await config();
  const scheduledAt = scheduledTimeFromArgument(
    values.at,
    name,
    settings.scheduleTimeZone,
    new Date(),
    'tick',
  );
  await withServices(async (services) => {
    const { runJob } = await import('../functions/core/jobs.service');
    const report = await runJob({ ...services.jobs, progress: say }, name, {
      scheduledAt,
      ...(values.date ? { date: values.date } : {}),
    });
    await services.events.settled();
    say(JSON.stringify(report));
  });
}

/**
 * The operator CLI (`npx concert-tickets <command>`): migrate, seed, create-admin, job, availability,
 * export-tickets, restore; `npm run migrate|seed|job` run it too (`npm run job` is the hidden
 * `scheduled-job` command, with its own help). Each command loads only the modules it needs when it runs.
 * @param version what `--version` prints (bin/concert-tickets.mjs passes package.json's)
 */
export function operatorCli(version = 'unknown'): Command {
  const program = new Command('concert-tickets')
    .description(
      'Operator commands for concert-ticket-system. Configure with the service environment (DATABASE_URL, REDIS_URL, …); without DATABASE_URL they act on the embedded database in DATA_DIR (./.data).',
    )
    .version(version, '-V, --version', 'print the version and exit')
    .showHelpAfterError();

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const settings = await config();
      const [{ openDatabase }, { migrate }] = await Promise.all([
        import('../functions/composition/services'),
        import('../functions/db/migrate'),
      ]);
      const db = await openDatabase(settings, await quietLogger());
      try {
        const applied = await migrate(db);
        say(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.close();
      }
    });

  program
    .command('seed')
    .description('create the sample admin and concerts (safe to repeat; never changes an existing account)')
    .action(() =>
      withServices(async (services) => {
        const { seedSampleData } = await import('./sample-data');
        await seedSampleData(services, say);
      }),
    );

  program
    .command('create-admin')
    .description(
      'create an administrator; an existing account is made an admin with this password only with --update',
    )
    .requiredOption('--email <email>', 'the admin e-mail')
    .requiredOption('--password <password>', 'at least 8 characters')
    .option('--update', 'an account with this e-mail exists: make it an admin with this password')
    .action(({ email, password, update }: { email: string; password: string; update?: boolean }) => {
      if (password.length < 8) throw new CliError('the password must have at least 8 characters');
      return withServices(async (services) => {
        const [{ ensureAdmin }, { canonicalEmail }] = await Promise.all([
          import('../functions/core/auth.service'),
          import('../functions/core/email-address'),
        ]);
        const existing = await services.auth.users.findByEmail(canonicalEmail(email));
        if (existing && !update) {
          const same =
            existing.role === 'admin' &&
            (await services.auth.passwords.verify(password, existing.passwordHash));
          if (!same)
            throw new CliError(
              `an account ${existing.email} (${existing.role}) already exists: pass --update to make it an admin with this password (its sessions end)`,
            );
        }
        const admin = await ensureAdmin(services.auth, { email, password });
        say(
          `admin ${admin.email} (${admin.id})${existing ? (update ? ' updated' : ' already there') : ' created'}`,
        );
      });
    });

  program
    .command('job')
    .description(
      'run a scheduled job now: backup, reminders, expire-holds, daily-report, weekly-housekeeping',
    )
    .argument('<name>', 'the job')
    .option(
      '--at <ISO time>',
      'the time this run was scheduled for (ISO with Z or an offset, "now" or "tick": the latest tick of its cron); default now. Its periods follow from it',
    )
    .option('--date <YYYY-MM-DD>', 'daily-report: the day to report (default: the local day of --at)')
    .action(async (name: string, { at, date }: { at?: string; date?: string }) => {
      const [{ isJobName, SCHEDULE }, { reportDateFromArgument, scheduledTimeFromArgument }] =
        await Promise.all([import('../functions/core/schedule'), import('./scheduled-time')]);
      if (!isJobName(name))
        throw new CliError(`unknown job "${name}"; one of ${SCHEDULE.map((j) => j.name).join(', ')}`);
      reportDateFromArgument(date);
      const settings = await config();
      // Checked before any connection is opened: a bad --at changes nothing anywhere.
      scheduledTimeFromArgument(at, name, settings.scheduleTimeZone, new Date(), 'now');
      await withServices(async (services) => {
        const { runJob } = await import('../functions/core/jobs.service');
        const scheduledAt = scheduledTimeFromArgument(
          at,
          name,
          services.config.scheduleTimeZone,
          services.jobs.now(),
          'now',
        );
        const report = await runJob({ ...services.jobs, progress: note }, name, {
          scheduledAt,
          ...(date ? { date } : {}),
        });
        say(JSON.stringify(report));
      });
    });

  program
    .command('scheduled-job', { hidden: true })
    .description(
      'what `npm run job` and a Kubernetes CronJob run: `job` with --at defaulting to the cron tick',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'as `npm run job -- --help` lists them')
    .action((args: string[]) => runScheduledJob(args));

  program
    .command('availability')
    .description("show a concert's live availability, tier by tier (read-only: migrates nothing)")
    .argument('<concertId>', 'the concert', uuid)
    .action((concertId: string) =>
      withDatabaseAsIs(async (db) => {
        const [{ SqlConcertRepository }, { getConcert }] = await Promise.all([
          import('../functions/adapters/postgres/sql-concert-repository'),
          import('../functions/core/concerts.service'),
        ]);
        const concert = await getConcert(new SqlConcertRepository(db), concertId);
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
    .description(
      "write a concert's tickets as CSV (code, tier, holder, reservation, issued); read-only: migrates nothing",
    )
    .argument('<concertId>', 'the concert', uuid)
    .option('--out <file>', 'write to a file instead of standard output')
    .action((concertId: string, { out }: { out?: string }) =>
      withDatabaseAsIs(async (db) => {
        const [{ stringify }, { SqlOperatorRepository }] = await Promise.all([
          import('csv-stringify'),
          import('../functions/adapters/postgres/sql-operator-repository'),
        ]);
        const operator = new SqlOperatorRepository(db);
        if ((await operator.concertTitle(concertId)) === undefined)
          throw new CliError(`no concert ${concertId}`);
        const tickets = await operator.concertTickets(concertId);
        const csv = stringify({
          header: true,
          columns: ['code', 'tier', 'holder', 'reservation_id', 'created_at'],
        });
        const target = out ? createWriteStream(out) : process.stdout;
        csv.pipe(target);
        for (const ticket of tickets)
          csv.write({
            code: ticket.code,
            tier: ticket.tier,
            holder: ticket.holder,
            reservation_id: ticket.reservationId,
            created_at: ticket.issuedAt,
          });
        csv.end();
        if (out) {
          await once(target, 'finish');
          note(`wrote ${tickets.length} tickets to ${out}`);
        } else await once(csv, 'end');
      }),
    );

  program
    .command('restore')
    .description(
      'restore a pg_dump backup (custom format) into DATABASE_URL, replacing what is there (asks first, or --yes)',
    )
    .argument('<file>', 'a backups/concert-tickets-*.dump file')
    .option('-y, --yes', 'replace a database that holds data without asking')
    .action(async (file: string, { yes }: { yes?: boolean }) => {
      const { restoreBackup } = await import('./cli-restore');
      const url = (await config()).databaseUrl;
      if (!url)
        throw new CliError(
          'restore needs DATABASE_URL (PostgreSQL); the embedded database is restored by copying its DATA_DIR back',
        );
      await restoreBackup({ file, url, yes: yes === true, say, note });
    });

  return program;
}

/** Parses `argv` (as process.argv) and runs the command; a failure ends the process with one line, exit 1. */
export async function runCli(argv: string[], version: string): Promise<void> {
  await operatorCli(version).parseAsync(argv).catch(exitWithError);
}

if (import.meta.url === `file://${process.argv[1]}`) await runCli(process.argv, await packageVersion());
