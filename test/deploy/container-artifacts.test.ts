import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { SCHEDULE } from '../../functions/core/schedule';
import { buildServer, SERVER_ENTRIES } from '../../tools/build-server';
import {
  COMPOSE_NGINX,
  GENERATED_HEADER,
  renderCronJobs,
  renderNginxConfig,
} from '../../tools/deploy-config';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { freePort, waitForReady } from '../support/processes';

const run = promisify(execFile);

// Each kind the manifests use, with the model that validates it against the Kubernetes schema.
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'batch/v1/CronJob': CronJob,
};

/** What `kubectl apply -k k8s` applies: the base kustomization's resources. */
async function manifests(): Promise<any[]> {
  const files = parse(await readFile('k8s/kustomization.yaml', 'utf8')).resources as string[];
  const docs = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(join('k8s', file), 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const value = doc.toJS();
      if (value) docs.push({ ...value, __file: file });
    }
  }
  return docs;
}

describe('Kubernetes manifests', () => {
  it('parse and validate against the Kubernetes schemas', async () => {
    const docs = await manifests();
    expect(docs.length).toBeGreaterThanOrEqual(10 + SCHEDULE.length - 1);
    for (const { __file, ...doc } of docs) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${__file}: ${doc.apiVersion}/${doc.kind}`).toBeDefined();
      expect(() => new (Model as NonNullable<typeof Model>)(doc).validate(), __file).not.toThrow();
      expect(doc.metadata.namespace ?? doc.metadata.name).toBe('concert-ticket-system');
    }
  });

  it('give the Deployment no replicas, probes, limits, a non-root read-only container, and spread', async () => {
    const deployment = (await manifests()).find((d) => d.kind === 'Deployment');
    expect(deployment.spec.replicas).toBeUndefined();
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
    for (const container of pod.containers) {
      expect(container.resources.requests.cpu).toBeDefined();
      expect(container.resources.requests.memory).toBeDefined();
      expect(container.resources.limits.cpu).toBeDefined();
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(container.livenessProbe.httpGet.path).toBe('/health');
      expect(container.readinessProbe.httpGet.path).toBe('/ready');
    }
  });

  it('scale 3–10 on CPU 70%, with a scale-down policy and a disruption budget', async () => {
    const docs = await manifests();
    const hpa = docs.find((d) => d.kind === 'HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 10,
      scaleTargetRef: { kind: 'Deployment', name: 'concert-backend' },
    });
    const targets = Object.fromEntries(
      hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization]),
    );
    expect(targets).toEqual({ cpu: 70 });
    expect(hpa.spec.behavior.scaleDown.policies.length).toBeGreaterThan(0);
    expect(docs.find((d) => d.kind === 'PodDisruptionBudget').spec.selector.matchLabels).toEqual({
      app: 'concert-backend',
    });
  });

  it('have one CronJob per job of the schedule table, generated from it: Forbid, a deadline, the time zone', async () => {
    expect(await readFile('k8s/cronjobs.yaml', 'utf8')).toBe(GENERATED_HEADER + renderCronJobs('UTC'));
    const cronJobs = (await manifests()).filter((d) => d.kind === 'CronJob');
    expect(cronJobs.map((c) => [c.metadata.labels.job, c.spec.schedule])).toEqual(
      SCHEDULE.map((job) => [job.name, job.cron]),
    );
    for (const cronJob of cronJobs) {
      expect(cronJob.spec).toMatchObject({
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        timeZone: 'UTC',
      });
      const [container] = cronJob.spec.jobTemplate.spec.template.spec.containers;
      expect(container.args).toEqual([
        'node',
        'dist/local/cli.mjs',
        'scheduled-job',
        cronJob.metadata.labels.job,
      ]);
      expect(container.resources.requests.cpu).toBeDefined();
      // Job pods run under the runtime's default seccomp profile, and their image is the one kustomize pins.
      expect(cronJob.spec.jobTemplate.spec.template.spec.securityContext.seccompProfile).toEqual({
        type: 'RuntimeDefault',
      });
      expect(container.image).toBe('concert-ticket-system');
    }
  });
});

describe('nginx, compose and the image', () => {
  it('keep nginx/nginx.conf equal to the template rendered for compose', async () => {
    expect(await readFile('nginx/nginx.conf', 'utf8')).toBe(
      `# Rendered from nginx.conf.template for docker-compose. Do not edit.\n${renderNginxConfig(COMPOSE_NGINX)}`,
    );
    // Compose runs nginx 1.27: HTTP/2 with the `http2` directive, not the deprecated listen parameter.
    const conf = await readFile('nginx/nginx.conf', 'utf8');
    expect(conf).toMatch(/^\s*http2 on;$/m);
    expect(conf).not.toMatch(/listen [^;]*\bhttp2\b/);
  });

  it('name every service in the compose file, and the nginx upstreams are its backends', async () => {
    const compose = parse(await readFile('local/docker-compose.yml', 'utf8'), { merge: true });
    expect(Object.keys(compose.services).sort()).toEqual(
      ['backend-1', 'backend-2', 'init', 'mailpit', 'nginx', 'postgres', 'redis', 'scheduler'].sort(),
    );
    expect(compose.services.postgres.image).toMatch(/^postgres:15/);
    expect(compose.services.redis.image).toMatch(/^redis:7/);
    expect(compose.services.scheduler.command).toEqual(['node', 'dist/local/scheduler-main.mjs']);
    expect(compose.services['backend-1'].environment.INSTANCE_ID).toBe('backend-1');
    const nginx = await readFile('nginx/nginx.conf', 'utf8');
    const upstreams = [...nginx.matchAll(/^\s+server (\S+):(\d+) /gm)].map((m) => m[1]);
    expect(new Set(upstreams)).toEqual(new Set(['backend-1', 'backend-2']));
    for (const host of upstreams) expect(compose.services).toHaveProperty(host as string);
  });

  it('build a multi-stage, non-root image with a health check, running a bundle that exists', async () => {
    const dockerfile = await readFile('local/Dockerfile', 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER app$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/local\/server\.mjs"\]/);
    expect(dockerfile).toMatch(/RUN .*npm run build:web/);
    expect(dockerfile).toMatch(/^COPY --from=build .*\/app\/web\/dist \.\/web\/dist$/m);
    expect(SERVER_ENTRIES).toEqual(expect.arrayContaining(['server', 'cli', 'scheduler-main']));
  });

  describe('the bundled entry points the image runs', () => {
    let database: TestDatabase;
    let out: string;
    beforeAll(async () => {
      database = await createTestDatabase();
      out = await mkdtemp(join(tmpdir(), 'cts-server-bundle-'));
      await buildServer(out);
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('serve with plain node, run a job, and stop cleanly on SIGTERM', async () => {
      const port = await freePort();
      const env = {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: database.url,
        JWT_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
      };
      const server = spawn(process.execPath, [join(out, 'server.mjs')], {
        // The image's layout: the page's build where WEB_ROOT points (./web/dist in the image).
        env: { ...env, PORT: String(port), WEB_ROOT: resolve('web/dist') },
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => server.once('exit', resolve));
      try {
        await waitForReady(`http://127.0.0.1:${port}`);
        const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/html' } });
        expect(await page.text()).toContain('<script type="module" crossorigin src="/assets/');
        const { stdout } = await run(
          process.execPath,
          [join(out, 'cli.mjs'), 'scheduled-job', 'expire-holds'],
          { env },
        );
        expect(stdout).toMatch(/"outcome":"succeeded"/);
      } finally {
        server.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    });
  });
});
