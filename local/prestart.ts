import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataDirInUseError, dataDirOwner } from '../functions/adapters/node/data-dir-lock';
import { loadConfig } from '../functions/config/service-config';
import { exitWithError } from './cli-errors';
import { portTakenBy } from './port-owner';

/**
 * `npm start`'s prestart: refuses before touching anything when the port is taken or the embedded data
 * folder is owned (a second `npm start`), then builds the web page into a temporary folder and moves it
 * into web/dist (WEB_ROOT) file by file, index.html last: a service already serving that folder never sees
 * an empty or half-written page.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.databaseUrl && !config.dataApi) {
    const owner = dataDirOwner(config.dataDir);
    if (owner) throw new DataDirInUseError(config.dataDir, owner);
  }
  const taken = await portTakenBy(config.port);
  if (taken) throw new Error(taken);
  const target = resolve(process.env.WEB_ROOT ?? 'web/dist');
  const staging = mkdtempSync(join(resolve('web'), '.dist-build-'));
  try {
    const build = spawnSync(
      process.execPath,
      [
        resolve('node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'web/vite.config.ts',
        '--outDir',
        staging,
        '--emptyOutDir',
      ],
      { stdio: 'inherit' },
    );
    if (build.status !== 0) throw new Error(`the web page did not build (vite exited ${build.status})`);
    mkdirSync(target, { recursive: true });
    // New hashed assets next to the old ones (a page already open keeps loading its own), then the
    // index.html that names them, by an atomic rename.
    for (const entry of readdirSync(staging)) {
      if (entry !== 'index.html') cpSync(join(staging, entry), join(target, entry), { recursive: true });
    }
    renameSync(join(staging, 'index.html'), join(target, 'index.html'));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main().catch(exitWithError);
