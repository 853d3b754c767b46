import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { repositorySuite } from './repository-suite';

repositorySuite('PGlite', async () => {
  const db = await PgliteDatabase.open();
  return { db, dispose: () => db.close() };
});
