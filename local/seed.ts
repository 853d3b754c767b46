import pino from 'pino';
import { buildServices } from '../functions/composition/services';
import { loadConfig } from '../functions/config/service-config';
import { exitWithError } from './cli-errors';
import { seedSampleData } from './sample-data';

/** `npm run seed` */
async function main(): Promise<void> {
  const services = await buildServices(loadConfig(process.env), {
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    await seedSampleData(services);
  } finally {
    await services.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main().catch(exitWithError);
