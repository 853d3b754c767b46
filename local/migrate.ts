import pino from 'pino';
import { openDatabase } from '../functions/composition/services';
import { loadConfig } from '../functions/config/service-config';
import { migrate } from '../functions/db/migrate';
import { exitWithError } from './cli-errors';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and says which. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const db = await openDatabase(config, pino({ level: 'warn' }));
  try {
    const applied = await migrate(db);
    console.log(applied.length > 0 ? `Applied ${applied.join(', ')}` : 'Database is up to date');
  } finally {
    await db.close();
  }
}

main().catch(exitWithError);
