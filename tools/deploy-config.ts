import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { SCHEDULE } from '../functions/core/schedule';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface NginxSettings {
  httpPort: number;
  httpsPort: number;
  /** `host:port` of each backend replica. */
  backends: string[];
  tlsCert: string;
  tlsKey: string;
  runtimeDir: string;
  logDir: string;
  /** Per client address; the defaults are the contract's (100/min on the API, 10/min on login). */
  apiRate?: string;
  loginRate?: string;
  /** Benchmarks only: one load generator is one client, which the limits would stop. */
  withoutRateLimits?: boolean;
  /**
   * `http2 on;` (nginx ≥ 1.25.1, where `listen … http2` is deprecated) or, for an older nginx such as
   * Debian 12's 1.22 that the tests run, the `listen … http2` parameter. Default: the directive.
   */
  legacyHttp2Listen?: boolean;
}

/** The security headers of every HTTPS answer, nginx's own 429/503 included (a location's add_header drops the server's). */
const SECURITY_HEADERS = [
  'Strict-Transport-Security "max-age=31536000; includeSubDomains"',
  'X-Content-Type-Options "nosniff"',
  'X-Frame-Options "DENY"',
  'Referrer-Policy "strict-origin-when-cross-origin"',
  `Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' wss: https:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"`,
];
const securityHeaders = (indent: string) =>
  SECURITY_HEADERS.map((header) => `${indent}add_header ${header} always;\n`).join('');

/** What docker-compose runs (service names match local/docker-compose.yml). */
export const COMPOSE_NGINX: NginxSettings = {
  httpPort: 80,
  httpsPort: 443,
  backends: ['backend-1:5000', 'backend-2:5000'],
  tlsCert: '/etc/nginx/certs/dev.crt',
  tlsKey: '/etc/nginx/certs/dev.key',
  runtimeDir: '/var/cache/nginx',
  logDir: '/var/log/nginx',
};

/** nginx/nginx.conf.template with the settings filled in. */
export function renderNginxConfig(settings: NginxSettings): string {
  const template = readFileSync(`${ROOT}/nginx/nginx.conf.template`, 'utf8');
  const values: Record<string, string> = {
    HTTP_PORT: String(settings.httpPort),
    HTTPS_PORT: String(settings.httpsPort),
    HTTPS_REDIRECT_PORT: settings.httpsPort === 443 ? '' : `:${settings.httpsPort}`,
    API_SERVERS: settings.backends.map((b) => `    server ${b} max_fails=3 fail_timeout=10s;`).join('\n'),
    REALTIME_SERVERS: settings.backends
      .map((b) => `    server ${b} max_fails=3 fail_timeout=10s;`)
      .join('\n'),
    TLS_CERT: settings.tlsCert,
    TLS_KEY: settings.tlsKey,
    RUNTIME_DIR: settings.runtimeDir,
    LOG_DIR: settings.logDir,
    API_LIMIT: settings.withoutRateLimits ? '' : '      limit_req zone=api burst=20 nodelay;',
    LOGIN_LIMIT: settings.withoutRateLimits ? '' : '      limit_req zone=login burst=5 nodelay;',
    API_RATE: settings.apiRate ?? '100r/m',
    LOGIN_RATE: settings.loginRate ?? '10r/m',
    LISTEN_HTTP2: settings.legacyHttp2Listen ? ' http2' : '',
    HTTP2_DIRECTIVE: settings.legacyHttp2Listen ? '' : '    http2 on;\n',
    SECURITY_HEADERS: securityHeaders('    '),
    SECURITY_HEADERS_IN_LOCATION: securityHeaders('      '),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx template: no value for {{${name}}}`);
    return value;
  });
}

export const K8S_NAMESPACE = 'concert-ticket-system';

/** One CronJob per scheduled job, from the schedule table: run once at a time, never far too late. */
export function renderCronJobs(timeZone: string): string {
  return SCHEDULE.map((job) =>
    stringify({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: {
        name: `job-${job.name}`,
        namespace: K8S_NAMESPACE,
        labels: { app: 'concert-ticket-system', job: job.name },
      },
      spec: {
        schedule: job.cron,
        timeZone,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 5,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: 3600,
            template: {
              metadata: { labels: { app: 'concert-ticket-system', job: job.name } },
              spec: {
                restartPolicy: 'Never',
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: 10001,
                  runAsGroup: 10001,
                  fsGroup: 10001,
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                containers: [
                  {
                    name: 'job',
                    // Pinned by kustomize's `images:` (k8s/kustomization.yaml), as the Deployment's is.
                    image: 'concert-ticket-system',
                    args: ['node', 'dist/local/cli.mjs', 'scheduled-job', job.name],
                    envFrom: [
                      { configMapRef: { name: 'concert-backend' } },
                      { secretRef: { name: 'concert-backend' } },
                    ],
                    resources: {
                      requests: { cpu: '100m', memory: '192Mi' },
                      limits: { cpu: '500m', memory: '512Mi' },
                    },
                    securityContext: {
                      allowPrivilegeEscalation: false,
                      readOnlyRootFilesystem: true,
                      capabilities: { drop: ['ALL'] },
                    },
                    volumeMounts: [
                      { name: 'tmp', mountPath: '/tmp' },
                      ...(job.name === 'backup' ? [{ name: 'backups', mountPath: '/backups' }] : []),
                    ],
                  },
                ],
                volumes: [
                  { name: 'tmp', emptyDir: {} },
                  ...(job.name === 'backup'
                    ? [{ name: 'backups', persistentVolumeClaim: { claimName: 'concert-backups' } }]
                    : []),
                ],
              },
            },
          },
        },
      },
    }),
  ).join('---\n');
}

export const GENERATED_HEADER =
  '# Generated by `npm run render` from functions/core/schedule.ts. Do not edit.\n';

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(
    `${ROOT}/nginx/nginx.conf`,
    `# Rendered from nginx.conf.template for docker-compose. Do not edit.\n${renderNginxConfig(COMPOSE_NGINX)}`,
  );
  writeFileSync(
    `${ROOT}/k8s/cronjobs.yaml`,
    GENERATED_HEADER + renderCronJobs(process.env.SCHEDULE_TIMEZONE ?? 'UTC'),
  );
  console.log('wrote nginx/nginx.conf and k8s/cronjobs.yaml');
}
