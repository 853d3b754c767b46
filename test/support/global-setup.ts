import { build } from 'vite';

/** Builds the web page into web/dist once per run: the shim serves it and the browser tests click it. */
export default async function buildWebPage(): Promise<void> {
  await build({
    configFile: new URL('../../web/vite.config.ts', import.meta.url).pathname,
    logLevel: 'warn',
  });
}
