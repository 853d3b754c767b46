import { RdsDataDatabase } from '../../functions/adapters/rds-data-database';
import { startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase } from '../support/postgres';
import { repositorySuite } from './repository-suite';

// The same suite as node-postgres and PGlite, through the real RDSDataClient.
repositorySuite('the RDS Data API', async () => {
  const database = await createTestDatabase();
  const api = await startLocalDataApi(database.url);
  const db = new RdsDataDatabase({
    resourceArn: 'arn:aws:rds:ap-southeast-1:123456789012:cluster:concert-tickets',
    secretArn: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:concert-tickets-db',
    database: database.name,
    region: 'ap-southeast-1',
    endpoint: api.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    db,
    dispose: async () => {
      await db.close();
      await api.close();
      await database.drop();
    },
  };
});
