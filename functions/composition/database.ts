import { join } from 'node:path';
import type { Logger } from 'pino';
import { lockDataDir } from '../adapters/node/data-dir-lock';
import { probePostgres } from '../adapters/node/startup-probes';
import type { ServiceConfig } from '../config/service-config';
import type { SqlDatabase } from '../ports/sql-database.port';
import { dataFolder, LOCAL_CREDENTIALS } from './secrets';

/**
 * The configured database: the Data API, PostgreSQL (DATABASE_URL) or the embedded PGlite in DATA_DIR
 * (locked for this process: see data-dir-lock). With `startupChecks` (default) PostgreSQL is probed first,
 * within 10 s, and a missing database created.
 * @throws StartupError naming DATABASE_URL and its host:port when PostgreSQL cannot be reached
 * @throws ConfigError naming DATA_DIR when the data folder cannot be created
 * @throws DataDirInUseError when another living process owns DATA_DIR
 */
export async function openDatabase(
  config: ServiceConfig,
  logger: Logger,
  startupChecks = true,
): Promise<SqlDatabase> {
  if (!config.databaseUrl && config.dataApi) {
    const { endpoint, ...target } = config.dataApi;
    // Imported by configuration: the Data API client is never loaded where PostgreSQL is used, nor pg here.
    const { RdsDataDatabase } = await import('../adapters/postgres/rds-data-database');
    return new RdsDataDatabase({
      ...target,
      ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}),
    });
  }
  if (config.databaseUrl) {
    if (startupChecks) {
      await probePostgres(config.databaseUrl, (database) =>
        logger.warn({ database }, `created the database "${database}" (it did not exist)`),
      );
    }
    const { PgDatabase } = await import('../adapters/postgres/pg-database');
    return new PgDatabase({
      connectionString: config.databaseUrl,
      maxConnections: config.dbPoolMax,
      poolWaitMs: config.dbPoolWaitMs,
      onPoolError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
    });
  }
  return openEmbeddedDatabase(config, logger);
}

/**
 * The embedded PGlite database in DATA_DIR/pglite, loaded only now (a dynamic import of a specifier
 * esbuild cannot follow), so Lambda bundles never carry the WebAssembly database.
 * @throws Error "No database configured …" when this build has no embedded database (a Lambda bundle)
 */
async function openEmbeddedDatabase(config: ServiceConfig, logger: Logger): Promise<SqlDatabase> {
  await dataFolder(config);
  // One process owns an embedded data folder: taken before PGlite opens it, released when it closes.
  const lock = lockDataDir(config.dataDir);
  logger.info({ dataDir: config.dataDir }, 'using the embedded PGlite database');
  const embeddedModule = '../adapters/postgres/pglite-database';
  let embedded: typeof import('../adapters/postgres/pglite-database');
  try {
    embedded = await import(/* @vite-ignore */ embeddedModule);
  } catch (error) {
    lock.release();
    throw new Error(
      'No database configured: set DATABASE_URL or DATA_API_RESOURCE_ARN (this build has no embedded database)',
      {
        cause: error,
      },
    );
  }
  return embedded.PgliteDatabase.open(join(config.dataDir, 'pglite'), lock.release);
}
