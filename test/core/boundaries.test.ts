import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FUNCTIONS = join(import.meta.dirname, '../../functions');

async function importsOf(dir: string): Promise<Array<{ file: string; from: string }>> {
  const found: Array<{ file: string; from: string }> = [];
  for (const file of await readdir(join(FUNCTIONS, dir))) {
    if (!file.endsWith('.ts')) continue;
    const source = await readFile(join(FUNCTIONS, dir, file), 'utf8');
    for (const match of source.matchAll(/from '([^']+)'/g))
      found.push({ file: `${dir}/${file}`, from: match[1] ?? '' });
  }
  return found;
}

describe('house rules (DESIGN.md, "ports and adapters")', () => {
  it('keeps the core free of adapters, handlers and I/O libraries', async () => {
    // croner only computes cron ticks (no I/O): the schedule's periods are domain rules.
    const allowed = /^(\.\/|\.\.\/ports\/|node:crypto$|croner$)/;
    const offending = (await importsOf('core')).filter(({ from }) => !allowed.test(from));
    expect(offending).toEqual([]);
  });

  it('keeps ports to types only', async () => {
    const offending = (await importsOf('ports')).filter(
      ({ from }) => !/^(\.\/|\.\.\/core\/(model|realtime)$)/.test(from),
    );
    expect(offending).toEqual([]);
  });
});
