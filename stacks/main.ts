import { App } from 'cdktf';
import { deployProblems, type EnvironmentSettings, environmentsFrom } from './config';
import { ServiceStack } from './service-stack';

// `npm run synth` / `npm run cdktf -- deploy concert-tickets-dev` (or -prod). Offline synth needs no AWS
// account and no terraform binary, but the settings a real deploy needs: EMAIL_FROM for both, and
// TF_STATE_BUCKET and CERTIFICATE_ARN for prod. CTS_ENVIRONMENTS=dev synthesizes dev alone (to deploy
// dev without prod's settings).
const environments = environmentsFrom(process.env);
const wanted = (process.env.CTS_ENVIRONMENTS ?? 'dev,prod').split(',').map((name) => name.trim());
const selected: EnvironmentSettings[] = Object.values(environments).filter((s) => wanted.includes(s.name));
const stateBucket = process.env.TF_STATE_BUCKET || undefined;
const problems = selected.flatMap((settings) =>
  deployProblems(settings, { stateBucket, emailFromSet: Boolean(process.env.EMAIL_FROM?.trim()) }),
);
if (problems.length > 0 || selected.length === 0) {
  for (const line of problems) console.error(line);
  if (selected.length === 0) console.error(`CTS_ENVIRONMENTS names no environment (dev, prod): "${wanted}"`);
  process.exit(1);
}

const app = new App();
for (const settings of selected) {
  new ServiceStack(app, `concert-tickets-${settings.name}`, {
    settings,
    ...(stateBucket ? { stateBucket } : {}),
    ...(process.env.TF_STATE_LOCK_TABLE ? { stateLockTable: process.env.TF_STATE_LOCK_TABLE } : {}),
  });
}
app.synth();
