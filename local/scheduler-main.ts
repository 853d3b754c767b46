import { buildServices } from '../functions/composition/services';
import { loadConfig } from '../functions/config/service-config';
import { exitWithError } from './cli-errors';
import { startScheduler } from './scheduler';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const services = await buildServices(config, { migrate: true, catchUp: true });
  const scheduler = startScheduler(services);
  for (const job of scheduler.registered()) {
    services.logger.info(
      job,
      `scheduled ${job.name} at "${job.cron}" (${job.timeZone}), next ${job.nextRun}`,
    );
  }
  const stop = async () => {
    scheduler.stop();
    await services.events.settled();
    await services.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch(exitWithError);
