import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { loadConfig } from '../functions/config/service-config';
import { exitWithError } from './cli-errors';
import { seedSampleData } from './sample-data';
import { startScheduler } from './scheduler';
import { startService } from './service';
import { builtWebRoot } from './shim/web-page';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const webRoot = builtWebRoot(resolve(process.env.WEB_ROOT ?? 'web/dist'));
  const embedded = !config.databaseUrl && !config.dataApi;
  let firstStart: { email: string; password: string } | undefined;
  const service = await startService(config, {
    webRoot,
    // The embedded database is this process's alone: a newcomer's first start gets the sample admin and
    // concerts, so the page has something to click.
    // The organiser gets a random password, printed once: the port may be reachable from the network.
    prepare: async (services) => {
      if (config.databaseUrl || config.production || (await services.concerts.list()).length > 0) return;
      const organiser = { email: 'admin@example.com', password: randomBytes(12).toString('base64url') };
      await seedSampleData(
        services,
        (line) => {
          // The new organiser's password goes to the plain block below, never into a log line.
          if (line.includes(organiser.password)) firstStart = organiser;
          else services.logger.info(`sample data: ${line}`);
        },
        organiser,
      );
    },
  });
  const { logger } = service.services;
  // The embedded database is this process's alone (DATA_DIR is locked), so no `npm run scheduler` or
  // `npm run job` can open it while the service runs: the service runs the scheduled jobs itself.
  const scheduler = embedded ? startScheduler(service.services) : undefined;
  if (scheduler) {
    const jobs = scheduler.registered().map((job) => `${job.name} (${job.cron})`);
    logger.info(
      { timeZone: config.scheduleTimeZone },
      `running the scheduled jobs in this process: ${jobs.join(', ')}`,
    );
  }
  if (!webRoot) logger.warn('the web page is not built (npm run build:web): serving the API alone');
  logger.info(
    {
      port: service.port,
      database: config.databaseUrl ? 'postgresql' : 'pglite',
      redis: Boolean(config.redisUrl),
    },
    `concert-ticket-system listening on http://localhost:${service.port}`,
  );
  if (firstStart) process.stdout.write(firstStartBlock(firstStart, service.port, config.dataDir));
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, 'draining in-flight requests, then stopping');
    scheduler?.stop();
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * The first start's organiser sign-in as a plain block on stdout (not inside a JSON log line), with how to
 * reset it. Printed once: the password is stored only as a scrypt hash.
 */
function firstStartBlock(
  organiser: { email: string; password: string },
  port: number,
  dataDir: string,
): string {
  return [
    '',
    '  ┌─ First start: sample concerts and an organiser account were created ─────────────',
    `  │  Open       http://localhost:${port}/`,
    `  │  E-mail     ${organiser.email}`,
    `  │  Password   ${organiser.password}`,
    '  │  Shown once. To set a new password: stop the service (Ctrl-C), then run',
    `  │    DATA_DIR=${dataDir} npx concert-tickets create-admin --email ${organiser.email} --password '<new>' --update`,
    '  └───────────────────────────────────────────────────────────────────────────────────',
    '',
    '',
  ].join('\n');
}

main().catch(exitWithError);
