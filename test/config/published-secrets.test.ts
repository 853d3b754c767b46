import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localJwtKey } from '../../functions/adapters/crypto/local-jwt-key';
import { weakSecretReason } from '../../functions/config/published-secrets';
import { ConfigError, loadConfig } from '../../functions/config/service-config';

const ROOT = join(import.meta.dirname, '..', '..');
const SECRET_NAMES = 'JWT_SECRET|ADMIN_PASSWORD|POSTGRES_PASSWORD';

/** Every file a user copies sample settings from: k8s manifests, compose, .env.example, README, docs. */
async function shippedSampleFiles(): Promise<string[]> {
  const inDir = async (dir: string, pattern: RegExp) =>
    (await readdir(join(ROOT, dir))).filter((name) => pattern.test(name)).map((name) => join(dir, name));
  return [
    '.env.example',
    'README.md',
    'local/docker-compose.yml',
    ...(await inDir('k8s', /\.ya?ml$/)),
    ...(await inDir('k8s/templates', /\.ya?ml$/)),
    ...(await inDir('docs', /\.md$/)),
    // Benchmarks start services with a sample organiser too (outside attack: bench-password was accepted).
    ...(await inDir('bench', /\.ts$/)),
  ];
}

/** `NAME=value`, `NAME: value`, `NAME='value'`, `NAME="value"`, `${NAME:-default}`; skips `$(...)`, `…`. */
function sampleValues(text: string, quotedOnly = false): Array<{ name: string; value: string }> {
  const found: Array<{ name: string; value: string }> = [];
  const pattern = new RegExp(
    `(?<!\\{)\\b(${SECRET_NAMES})\\b\\s*[:=]\\s*(?:'([^']*)'|"([^"]*)"|([^\\s'"#|\`,]+))`,
    'g',
  );
  for (const match of text.matchAll(pattern)) {
    const value = match[2] ?? match[3] ?? match[4] ?? '';
    // In source code only a string literal is a sample value (not `jwtSecret` or `randomBytes(32)…`).
    if (quotedOnly && match[4] !== undefined) continue;
    if (!value || /^[$…]/.test(value) || value === '...') continue;
    found.push({ name: match[1] ?? '', value });
  }
  // Compose defaults: "${POSTGRES_PASSWORD:-tickets}".
  for (const match of text.matchAll(new RegExp(`\\$\\{(?:${SECRET_NAMES}):-([^}]+)\\}`, 'g'))) {
    found.push({ name: 'default', value: match[1] ?? '' });
  }
  // Prose samples: "`admin@example.com` / `change-me-admin`".
  for (const match of text.matchAll(/`[^`\s]+@[^`\s]+`\s*\/\s*`([^`]+)`/g)) {
    found.push({ name: 'ADMIN_PASSWORD', value: match[1] ?? '' });
  }
  return found;
}

const productionWith = (env: Record<string, string>) => ({
  NODE_ENV: 'production',
  JWT_SECRET: randomBytes(32).toString('hex'),
  ADMIN_EMAIL: 'ops@tickets.test',
  ADMIN_PASSWORD: 'Kp9#vL2qXw7!zR',
  ...env,
});

describe('published and weak secrets', () => {
  it('finds the sample secrets this repository ships (so the scan below scans something)', async () => {
    const all = (
      await Promise.all(
        (
          await shippedSampleFiles()
        ).map(async (f) => sampleValues(await readFile(join(ROOT, f), 'utf8'), f.endsWith('.ts'))),
      )
    ).flat();
    expect(all.map((s) => s.value)).toEqual(
      expect.arrayContaining(['CHANGE-ME-to-at-least-32-random-characters', 'CHANGE-ME', 'change-me-admin']),
    );
  });

  it('refuses, in production and in one line naming the variable, every sample secret the repository ships', async () => {
    const files = await shippedSampleFiles();
    const seedSource = await readFile(join(ROOT, 'local/sample-data.ts'), 'utf8');
    const seedPasswords = [...seedSource.matchAll(/password:\s*'([^']+)'/g)].map((m) => m[1] ?? '');
    const values = new Set(seedPasswords);
    for (const file of files) {
      for (const { value } of sampleValues(await readFile(join(ROOT, file), 'utf8'), file.endsWith('.ts')))
        values.add(value);
    }
    expect(values.size).toBeGreaterThan(3);
    for (const value of values) {
      for (const variable of ['JWT_SECRET', 'ADMIN_PASSWORD']) {
        let error: unknown;
        try {
          loadConfig(productionWith({ [variable]: value }));
        } catch (caught) {
          error = caught;
        }
        expect(error, `${variable}=${value}`).toBeInstanceOf(ConfigError);
        const message = (error as Error).message;
        expect(message).toMatch(new RegExp(`^${variable}`));
        expect(message).not.toContain('\n');
        if (value.length > 3) expect(message).not.toContain(value);
      }
    }
  });

  it('refuses every placeholder of the k8s Secret template under its own variable', async () => {
    const template = await readFile(join(ROOT, 'k8s/templates/secret.example.yaml'), 'utf8');
    const entries = [...template.matchAll(/^\s+([A-Z_]+):\s*(\S*CHANGE-ME\S*)/gm)];
    expect(entries.map((m) => m[1])).toEqual(
      expect.arrayContaining(['JWT_SECRET', 'ADMIN_PASSWORD', 'SMTP_URL']),
    );
    for (const [, variable = '', value = ''] of entries) {
      expect(() => loadConfig(productionWith({ [variable]: value })), variable).toThrow(
        new RegExp(`^${variable}`),
      );
    }
    expect(() =>
      loadConfig(productionWith({ FRONTEND_URL: 'https://exchange-me.example.org' })),
    ).not.toThrow();
  });

  it('refuses obviously weak signing keys and accepts a random one', () => {
    for (const weak of [
      'x'.repeat(40),
      'abcd'.repeat(10),
      '0123456789abcdefghijklmnopqrstuvwxyz',
      'my-super-secret-jwt-key-for-production!!',
      'short-but-random-9f8e7d',
      // Outside attack: the k8s sample as a Secret manifest's `data:` holds it (base64) was accepted.
      Buffer.from('CHANGE-ME-to-at-least-32-random-characters').toString('base64'),
    ]) {
      expect(weakSecretReason(weak, 'signing-key'), weak).toBeDefined();
      expect(() => loadConfig(productionWith({ JWT_SECRET: weak }))).toThrow(/^JWT_SECRET/);
    }
    expect(weakSecretReason(randomBytes(32).toString('hex'), 'signing-key')).toBeUndefined();
    expect(weakSecretReason(randomBytes(48).toString('base64url'), 'signing-key')).toBeUndefined();
    expect(weakSecretReason(randomBytes(48).toString('base64'), 'signing-key')).toBeUndefined();
    expect(() => loadConfig(productionWith({}))).not.toThrow();
  });

  it('leaves development alone: a sample admin password is fine without NODE_ENV=production', () => {
    expect(
      loadConfig({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'change-me-admin' }).admin,
    ).toBeDefined();
  });
});

describe('the embedded signing key file', () => {
  const dataDir = () => mkdtemp(join(tmpdir(), 'cts-jwt-'));

  it('replaces a torn, short or weak key file instead of using it', async () => {
    for (const bad of ['', 'abc', 'Zm9vYmFy', 'x'.repeat(64), 'CHANGE-ME-to-at-least-32-random-characters']) {
      const dir = await dataDir();
      await writeFile(join(dir, 'jwt-secret'), bad);
      const key = await localJwtKey(dir);
      expect(key, JSON.stringify(bad)).not.toBe(bad);
      expect(weakSecretReason(key, 'signing-key')).toBeUndefined();
      expect((await readFile(join(dir, 'jwt-secret'), 'utf8')).trim()).toBe(key);
      expect((await stat(join(dir, 'jwt-secret'))).mode & 0o777).toBe(0o600);
      expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    }
  });

  it('keeps a sound key across restarts, and two processes starting together agree on one', async () => {
    const dir = await dataDir();
    const keys = await Promise.all(Array.from({ length: 8 }, () => localJwtKey(dir)));
    expect(new Set(keys).size).toBe(1);
    expect(await localJwtKey(dir)).toBe(keys[0]);
  });
});
