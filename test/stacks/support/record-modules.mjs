// Preload (`node --import ./test/stacks/support/record-modules.mjs …`): appends the file path of every
// module the process loads to the file named by CTS_MODULE_LOG, one per line. ESM (and the .ts files tsx
// serves) are seen by a resolve hook in the loader thread; CommonJS ones by require.cache at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.CTS_MODULE_LOG;
if (log) {
  register(
    `data:text/javascript,${encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const resolved = await next(specifier, context);
        if (resolved.url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');
        return resolved;
      }
    `)}`,
  );
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    appendFileSync(
      log,
      `${Object.keys(require.cache)
        .map((path) => `file://${path}`)
        .join('\n')}\n`,
    );
  });
}
