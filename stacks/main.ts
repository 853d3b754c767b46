import { App } from 'cdktf';
import { ENVIRONMENTS } from './config';
import { ServiceStack } from './service-stack';

// `npx cdktf synth` / `npx cdktf deploy concert-tickets-dev` (or -prod). Offline synth needs no AWS
// account and no terraform binary.
const app = new App();
for (const settings of Object.values(ENVIRONMENTS)) {
  new ServiceStack(app, `concert-tickets-${settings.name}`, {
    settings,
    ...(process.env.TF_STATE_BUCKET ? { stateBucket: process.env.TF_STATE_BUCKET } : {}),
    ...(process.env.TF_STATE_LOCK_TABLE ? { stateLockTable: process.env.TF_STATE_LOCK_TABLE } : {}),
  });
}
app.synth();
