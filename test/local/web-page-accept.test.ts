import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service';

describe('the web page at / for plain clients', () => {
  let t: TestService;
  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'cts-page-'));
    await writeFile(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    t = await startTestService({}, { webRoot: root });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers `curl localhost:5000/` (Accept: */*, or none) with the page', async () => {
    for (const accept of ['*/*', undefined, 'text/*']) {
      const response = await fetch(`${t.service.url}/`, accept ? { headers: { accept } } : {});
      expect({ accept, status: response.status }).toEqual({ accept, status: 200 });
      expect(await response.text()).toContain('<div id="root"></div>');
    }
  });

  it('keeps the API’s 404 for JSON clients and for plain clients at other addresses', async () => {
    for (const [path, accept] of [
      ['/', 'application/json'],
      ['/no-such-thing', '*/*'],
      ['/api/nope', 'text/html'],
    ] as const) {
      const response = await fetch(`${t.service.url}${path}`, { headers: { accept } });
      expect({ path, accept, status: response.status }).toEqual({ path, accept, status: 404 });
    }
  });
});
