import { jobHandler } from './jobs/job-handler';

export const handler = jobHandler('expire-holds');
