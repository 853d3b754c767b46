import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { createTestDatabase } from '../support/postgres';
import { repositorySuite } from './repository-suite';

repositorySuite('node-postgres', async () => {
  const database = await createTestDatabase();
  const db = new PgDatabase({ connectionString: database.url, maxConnections: 8 });
  return {
    db,
    dispose: async () => {
      await db.close();
      await database.drop();
    },
  };
});
