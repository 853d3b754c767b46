import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { loadConfig } from '../functions/config/service-config';
import { exitWithError } from './cli-errors';
import { seedSampleData } from './sample-data';
import { startService } from './service';
import { builtWebRoot } from './shim/web-page';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const webRoot = builtWebRoot(resolve(process.env.WEB_ROOT ?? 'web/dist'));
  const service = await startService(config, {
    webRoot,
    // The embedded database is this process's alone: a newcomer's first start gets the sample admin and
    // concerts, so the page has something to click.
    // The organiser gets a random password, printed once: the port may be reachable from the network.
    prepare: async (services) => {
      if (config.databaseUrl || config.production || (await services.concerts.list()).length > 0) return;
      const organiser = { email: 'admin@example.com', password: randomBytes(12).toString('base64url') };
      await seedSampleData(services, (line) => services.logger.info(`sample data: ${line}`), organiser);
    },
  });
  const { logger } = service.services;
  if (!webRoot) logger.warn('the web page is not built (npm run build:web): serving the API alone');
  logger.info(
    {
      port: service.port,
      database: config.databaseUrl ? 'postgresql' : 'pglite',
      redis: Boolean(config.redisUrl),
    },
    `concert-ticket-system listening on http://localhost:${service.port}`,
  );
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, 'draining in-flight requests, then stopping');
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

main().catch(exitWithError);
