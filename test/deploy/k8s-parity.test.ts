import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const run = promisify(execFile);

// Issue 17: `kubectl apply` must leave a working system. These read the manifests as the cluster would.

/** The documents of one YAML file (a file may hold several). */
async function documents(path: string): Promise<any[]> {
  return parseAllDocuments(await readFile(path, 'utf8'))
    .map((doc) => doc.toJS())
    .filter(Boolean);
}

/** What `kubectl apply -k k8s` applies, without kubectl: the base kustomization's resources. */
async function baseManifests(): Promise<any[]> {
  const kustomization = parse(await readFile('k8s/kustomization.yaml', 'utf8'));
  const docs = [];
  for (const file of kustomization.resources as string[]) docs.push(...(await documents(join('k8s', file))));
  return docs;
}

const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((path) => existsSync(path));
async function render(dir: string): Promise<any[]> {
  const { stdout } = await run(kubectl as string, ['kustomize', dir], { maxBuffer: 8 * 1024 * 1024 });
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS())
    .filter(Boolean);
}

const containersOf = (doc: any): any[] => {
  const pod = doc.spec?.jobTemplate?.spec?.template?.spec ?? doc.spec?.template?.spec;
  return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
};

describe('kubectl apply of k8s/', () => {
  it('applies no Secret and no placeholder: the template lives outside the applied set', async () => {
    // `kubectl apply -f k8s/` would apply every top-level YAML file, `-k` the kustomization's resources.
    const topLevel = (await readdir('k8s')).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    const kustomization = parse(await readFile('k8s/kustomization.yaml', 'utf8'));
    expect(new Set(kustomization.resources)).toEqual(new Set(topLevel));
    for (const doc of await baseManifests()) {
      expect(doc.kind, doc.metadata?.name).not.toBe('Secret');
      expect(JSON.stringify(doc)).not.toMatch(/CHANGE-ME/);
    }
    const [template] = await documents('k8s/templates/secret.example.yaml');
    expect(template.kind).toBe('Secret');
  });

  it('names the image as a kustomize parameter everywhere, pinned to no floating tag', async () => {
    const kustomization = parse(await readFile('k8s/kustomization.yaml', 'utf8'));
    const [image] = kustomization.images;
    expect(image.newTag).toBeDefined();
    expect(image.newTag).not.toBe('latest');
    const images = (await baseManifests()).flatMap(containersOf).map((c) => String(c.image));
    expect(images.length).toBeGreaterThan(1);
    for (const ref of images) expect(ref.split(':')[0]).toBe(image.name);
  });

  it.skipIf(!kubectl)(
    'renders each overlay with a Service for every host the configuration names, and the pinned image',
    async () => {
      const [template] = await documents('k8s/templates/secret.example.yaml');
      for (const overlay of ['k8s-overlays/bare-cluster', 'k8s-overlays/managed']) {
        const docs = await render(overlay);
        const config = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'concert-backend');
        const services = new Set(docs.filter((d) => d.kind === 'Service').map((d) => d.metadata.name));
        const urls = Object.entries(config.data as Record<string, string>).filter(([, v]) =>
          /^\w+:\/\//.test(v),
        );
        for (const [key, url] of urls) {
          const host = new URL(url).hostname;
          if (!host.includes('.')) expect(services, `${overlay}: ${key} → ${host}`).toContain(host);
        }
        for (const ref of docs.flatMap(containersOf).map((c) => String(c.image)))
          expect(ref, overlay).not.toMatch(/:latest$|^[^:]+$/);
        if (overlay.endsWith('bare-cluster')) {
          expect(config.data.REDIS_URL).toBeDefined();
          for (const name of ['postgres', 'redis']) expect(services).toContain(name);
          // DATABASE_URL comes from the secret: the template's example host must be a Service here too.
          expect(String(template.stringData.DATABASE_URL)).toMatch(/CHANGE-ME/);
        } else {
          expect(config.data.REDIS_URL, 'managed: REDIS_URL is a secret').toBeUndefined();
        }
      }
    },
  );

  it('runs behind one proxy (TRUST_PROXY=1) in k8s and compose', async () => {
    const config = (await baseManifests()).find((d) => d.kind === 'ConfigMap');
    expect(config.data.TRUST_PROXY).toBe('1');
    const compose = parse(await readFile('local/docker-compose.yml', 'utf8'), { merge: true });
    for (const name of ['backend-1', 'backend-2'])
      expect(String(compose.services[name].environment.TRUST_PROXY)).toBe('1');
  });

  it('sizes memory from the measured RSS and scales on CPU only (memory never falls after a sale)', async () => {
    const results = await readFile('bench/results.md', 'utf8');
    // The hot-tier sale's peak RSS of the shim, as `npm run bench` writes it.
    const rssMb = Number(/shim peak RSS (\d+) MB/.exec(results)?.[1]);
    expect(rssMb).toBeGreaterThan(0);
    const docs = await baseManifests();
    const [container] = containersOf(docs.find((d) => d.kind === 'Deployment'));
    const requestMi = Number(/^(\d+)Mi$/.exec(container.resources.requests.memory)?.[1]);
    expect(requestMi * 1.048576).toBeGreaterThanOrEqual(rssMb);
    const hpa = docs.find((d) => d.kind === 'HorizontalPodAutoscaler');
    for (const metric of hpa.spec.metrics) expect(metric.resource.name).toBe('cpu');
  });

  it('denies ingress to the namespace except the controller (and monitoring) to the backend', async () => {
    const policies = (await baseManifests()).filter((d) => d.kind === 'NetworkPolicy');
    expect(
      policies.find((p) => JSON.stringify(p.spec.podSelector) === '{}' && !p.spec.ingress),
    ).toBeDefined();
    const backend = policies.find((p) => p.spec.podSelector.matchLabels?.app === 'concert-backend');
    const sources = backend.spec.ingress.flatMap((rule: any) => rule.from);
    expect(sources.map((s: any) => s.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toContain(
      'ingress-nginx',
    );
  });
});

interface Outcome {
  /** Requests a minute per client, when limited. */
  rpm?: number;
  /** Never served to the internet (nginx 404, the Ingress 403). */
  hidden: boolean;
}

/** nginx's choice of location for a path (exact, then longest prefix, then the first matching regex). */
async function nginxRouter() {
  const conf = await readFile('nginx/nginx.conf', 'utf8');
  const zones = Object.fromEntries(
    [...conf.matchAll(/limit_req_zone \S+ zone=(\w+):\S+ rate=(\d+)r\/m;/g)].map((m) => [m[1], Number(m[2])]),
  );
  // The TLS server only: the port-80 one redirects everything.
  const server = conf.slice(conf.indexOf('listen 443'));
  const locations: { modifier: string; pattern: string; outcome: Outcome }[] = [];
  for (const m of server.matchAll(/^\s*location (?:(=|~\*|~|\^~) )?(\S+) \{/gm)) {
    let depth = 1;
    let i = (m.index ?? 0) + m[0].length;
    const start = i;
    while (depth > 0 && i < server.length) {
      if (server[i] === '{') depth++;
      if (server[i] === '}') depth--;
      i++;
    }
    const body = server.slice(start, i);
    const pattern = m[2] as string;
    if (pattern.startsWith('@') || body.includes('internal;')) continue;
    const zone = /limit_req zone=(\w+)/.exec(body)?.[1];
    locations.push({
      modifier: m[1] ?? '',
      pattern,
      outcome: { ...(zone ? { rpm: zones[zone] } : {}), hidden: /return 404;/.test(body) },
    });
  }
  const route = (path: string): Outcome | undefined => {
    const exact = locations.find((l) => l.modifier === '=' && l.pattern === path);
    if (exact) return exact.outcome;
    const prefix = locations
      .filter((l) => (l.modifier === '' || l.modifier === '^~') && path.startsWith(l.pattern))
      .sort((a, b) => b.pattern.length - a.pattern.length)[0];
    if (prefix?.modifier !== '^~') {
      const regex = locations.find(
        (l) => l.modifier.startsWith('~') && new RegExp(l.pattern, l.modifier === '~*' ? 'i' : '').test(path),
      );
      if (regex) return regex.outcome;
    }
    return prefix?.outcome;
  };
  const status = Number(/limit_req_status (\d+);/.exec(conf)?.[1]);
  return { route, status, count: locations.length };
}

/** The Ingress objects' choice for a path (Exact, then the longest Prefix by path element). */
async function ingressRouter() {
  const ingresses = (await baseManifests()).filter((d) => d.kind === 'Ingress');
  const paths = ingresses.flatMap((ingress) =>
    ingress.spec.rules.flatMap((rule: any) =>
      rule.http.paths.map((p: any) => ({ path: p.path as string, type: p.pathType as string, ingress })),
    ),
  );
  const outcome = (ingress: any): Outcome => {
    const annotations = ingress.metadata.annotations ?? {};
    const rpm = annotations['nginx.ingress.kubernetes.io/limit-rpm'];
    return {
      ...(rpm ? { rpm: Number(rpm) } : {}),
      hidden: annotations['nginx.ingress.kubernetes.io/denylist-source-range'] === '0.0.0.0/0,::/0',
    };
  };
  const route = (path: string): Outcome | undefined => {
    const exact = paths.find((p) => p.type === 'Exact' && p.path === path);
    if (exact) return outcome(exact.ingress);
    const prefix = paths
      .filter((p) => {
        if (p.type !== 'Prefix') return false;
        const base = p.path.replace(/\/$/, '');
        return base === '' || path === base || path.startsWith(`${base}/`);
      })
      .sort((a, b) => b.path.length - a.path.length)[0];
    return prefix && outcome(prefix.ingress);
  };
  return { route, ingresses };
}

// Paths a browser, a client and a scanner send.
const SAMPLE_PATHS = [
  '/',
  '/index.html',
  '/assets/index-abc123.js',
  '/concerts/42',
  '/api/concerts',
  '/api/concerts/42/availability',
  '/api/auth/login',
  '/api/auth/register',
  '/api/reservations',
  '/api/docs/',
  '/api/openapi.json',
  '/ws',
  '/socket.io/',
  '/health',
  '/ready',
  '/metrics',
  '/metrics/',
  '/@connections',
  '/@connections/abc',
];

describe('the Ingress at parity with nginx/nginx.conf', () => {
  it('routes every sample path to the same request limit, unlimited where nginx is, hidden where nginx hides it', async () => {
    const nginx = await nginxRouter();
    const ingress = await ingressRouter();
    expect(nginx.count).toBeGreaterThanOrEqual(6);
    for (const path of SAMPLE_PATHS) {
      const expected = nginx.route(path);
      expect(expected, `nginx serves ${path}`).toBeDefined();
      expect(ingress.route(path), path).toEqual(expected);
    }
    for (const object of ingress.ingresses) {
      for (const tls of object.spec.tls ?? []) expect(tls.secretName).toBe('concert-tls');
      if (object.metadata.annotations['nginx.ingress.kubernetes.io/denylist-source-range']) continue;
      // Who provides the TLS secret: cert-manager from this annotation (or the operator, documented).
      expect(object.metadata.annotations['cert-manager.io/cluster-issuer']).toBeDefined();
    }
  });

  it('answers over the limit with the status nginx uses (429), set on the controller', async () => {
    const { status } = await nginxRouter();
    const [config] = await documents('k8s/ingress-nginx/controller-config.yaml');
    expect(Number(config.data['limit-req-status-code'])).toBe(status);
    expect(status).toBe(429);
  });
});
