import { RdsDataDatabase } from '../../functions/adapters/postgres/rds-data-database';
import { localDataApiOptions, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase } from '../support/postgres';
import { repositorySuite } from './repository-suite';

// The same suite as node-postgres and PGlite, through the real RDSDataClient.
repositorySuite('the RDS Data API', async () => {
  const database = await createTestDatabase();
  const api = await startLocalDataApi(database.url);
  const db = new RdsDataDatabase(localDataApiOptions(api, database.name));
  return {
    db,
    dispose: async () => {
      await db.close();
      await api.close();
      await database.drop();
    },
  };
});
