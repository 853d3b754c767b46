import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Issue 17: a fresh clone comes up with `docker compose up` and nothing else; the image is the one Lambda
// runs on. No Docker engine here: these check what the engine would refuse or get wrong.

const compose = async () =>
  parse(await readFile('local/docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, any>;
    volumes: Record<string, unknown>;
  };

describe('docker compose on a fresh clone', () => {
  it('needs no file a clone lacks: ../.env optional, every interpolated variable has a default', async () => {
    const text = await readFile('local/docker-compose.yml', 'utf8');
    // `$${X}` is compose's escape for the container's own shell; `${X:-default}` and `${X-default}` need nothing.
    const bare = [...text.matchAll(/(?<!\$)\$\{(\w+)\}/g)].map((m) => m[1]);
    expect(bare).toEqual([]);
    for (const [name, service] of Object.entries((await compose()).services)) {
      for (const file of [service.env_file ?? []].flat()) {
        expect(typeof file === 'object' && file.required === false, `${name}: ${JSON.stringify(file)}`).toBe(
          true,
        );
      }
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(':')[0] as string;
        // A bind mount must be a file the repository holds (a generated one would be missing).
        if (source.startsWith('.')) expect(source, name).not.toMatch(/certs|\.env/);
      }
    }
  });

  it('makes the certificate nginx reads in a one-shot service nginx waits for', async () => {
    const { services } = await compose();
    const nginxConf = await readFile('nginx/nginx.conf', 'utf8');
    const certDir = /ssl_certificate (\S+)\/[^/]+;/.exec(nginxConf)?.[1];
    const mount = (services.nginx.volumes as string[]).find((v) => v.split(':')[1] === certDir);
    expect(mount, `nginx mounts ${certDir}`).toBeDefined();
    const volume = mount?.split(':')[0] as string;
    expect(services.init.volumes.map((v: string) => v.split(':')[0])).toContain(volume);
    expect(services.nginx.depends_on.init.condition).toBe('service_completed_successfully');
    expect(services.init.command.join('\n')).toMatch(/openssl req -x509/);
  });

  it('gives every replica the same signing key and the backends fixed addresses (nginx resolves names once)', async () => {
    const { services } = await compose();
    const nginxConf = await readFile('nginx/nginx.conf', 'utf8');
    const upstreams = new Set(
      [...nginxConf.matchAll(/^\s+server ([\w-]+):\d+/gm)].map((m) => m[1] as string),
    );
    for (const host of upstreams)
      expect(services[host].networks.default.ipv4_address, host).toMatch(/^\d+\./);
    for (const name of ['backend-1', 'backend-2', 'scheduler']) {
      expect(services[name].depends_on.init.condition).toBe('service_completed_successfully');
      expect(services[name].entrypoint.join(' ')).toContain('/run/cts/jwt-secret');
      expect(String(services[name].environment.TRUST_PROXY)).toBe('1');
    }
  });

  it('pins every image to a version (no latest, no bare name)', async () => {
    for (const [name, service] of Object.entries((await compose()).services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/:[\w.-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
  });
});

describe('the image', () => {
  it('runs the Node major Lambda runs, with no dev dependencies in its final stage, non-root, with a health check', async () => {
    const dockerfile = await readFile('local/Dockerfile', 'utf8');
    const functions = await readFile('stacks/functions.ts', 'utf8');
    const lambdaMajor = /runtime: 'nodejs(\d+)\.x'/.exec(functions)?.[1];
    const stages = dockerfile.split(/^FROM /m).slice(1);
    for (const stage of stages) expect(stage).toMatch(new RegExp(`^node:${lambdaMajor}-`));
    const final = stages.at(-1) as string;
    expect(final).not.toMatch(/npm (ci|install)/);
    const copied = [...final.matchAll(/^COPY --from=build \S+ (\S+)/gm)].map((m) => m[1]);
    for (const path of copied.filter((p) => p?.includes('node_modules')))
      expect(path).toMatch(/^\/app\/node_modules\/swagger-ui-dist$/);
    expect(final).toMatch(/^USER app$/m);
    expect(final).toMatch(/^HEALTHCHECK /m);
  });

  it('keeps the build context free of dependencies, builds, state and secrets', async () => {
    const ignored = (await readFile('.dockerignore', 'utf8')).split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', '.git', '.env', 'cdktf.out', 'dist', '.data', 'nginx/certs'])
      expect(ignored, entry).toContain(entry);
  });
});
