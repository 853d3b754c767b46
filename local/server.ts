import { loadConfig } from '../functions/config/service-config';
import { exitWithError } from './cli-errors';
import { startService } from './service';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const service = await startService(config);
  const { logger } = service.services;
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
