import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmfMetrics } from '../../functions/adapters/aws/emf-metrics';
import { SCHEDULE } from '../../functions/core/schedule';
import { HTTP_ROUTES } from '../../functions/handlers/http/routes';
import {
  jobFunctionName,
  LAMBDA_FUNCTIONS,
  WEBSOCKET_ROUTES,
} from '../../functions/handlers/lambda-functions';
import {
  deployProblems,
  ENVIRONMENTS,
  type EnvironmentSettings,
  environmentsFrom,
} from '../../stacks/config';
import { toEventBridgeCron } from '../../stacks/cron';
import { VPC_ENDPOINT_SERVICES } from '../../stacks/network';
import { ServiceStack } from '../../stacks/service-stack';
import { Testing } from '../../stacks/testing';
import { captureEmf } from '../support/emf';

type Resources = Record<string, Record<string, any>>;

const bundleDir = mkdtempSync(join(tmpdir(), 'cts-stack-bundles-'));

function synth(
  settings: EnvironmentSettings,
  extra: Partial<ConstructorParameters<typeof ServiceStack>[2]> = {},
) {
  const app = Testing.app();
  const stack = new ServiceStack(app, `test-${settings.name}`, { settings, bundleDir, ...extra });
  const json = JSON.parse(Testing.synth(stack)) as {
    resource: Resources;
    output: Record<string, unknown>;
    terraform: any;
    data: Resources;
  };
  const all = (type: string) => Object.values(json.resource[type] ?? {});
  return { stack, json, all };
}

describe('the AWS stack (CDKTF, synthesized offline)', () => {
  let prod: ReturnType<typeof synth>;
  let dev: ReturnType<typeof synth>;

  beforeAll(() => {
    prod = synth({ ...ENVIRONMENTS.prod, scheduleTimeZone: 'Asia/Singapore' });
    dev = synth(ENVIRONMENTS.dev);
  });

  it('builds a VPC 10.0.0.0/16 with public and private subnets in two AZs and NAT', () => {
    expect(prod.all('aws_vpc')[0]).toMatchObject({ cidr_block: '10.0.0.0/16' });
    const subnets = prod.all('aws_subnet');
    expect(subnets).toHaveLength(4);
    expect(new Set(subnets.map((s) => s.availability_zone))).toEqual(
      new Set(['ap-southeast-1a', 'ap-southeast-1b']),
    );
    expect(prod.all('aws_internet_gateway')).toHaveLength(1);
    expect(prod.all('aws_nat_gateway')).toHaveLength(2);
    expect(dev.all('aws_nat_gateway')).toHaveLength(1);
  });

  it('runs Aurora PostgreSQL 15 with the Data API, encryption, a managed password, and Multi-AZ in prod', () => {
    const [cluster] = prod.all('aws_rds_cluster');
    expect(cluster).toMatchObject({
      engine: 'aurora-postgresql',
      enable_http_endpoint: true,
      storage_encrypted: true,
      manage_master_user_password: true,
      deletion_protection: true,
      backup_retention_period: 14,
    });
    expect(Number.parseFloat(cluster?.engine_version)).toBeGreaterThanOrEqual(15);
    const instances = prod.all('aws_rds_cluster_instance');
    expect(instances).toHaveLength(2);
    expect(new Set(instances.map((i) => i.availability_zone)).size).toBe(2);
    expect(dev.all('aws_rds_cluster_instance')).toHaveLength(1);
    expect(dev.all('aws_rds_cluster')[0]).toMatchObject({
      deletion_protection: false,
      skip_final_snapshot: true,
    });
  });

  it('runs Redis 7 with failover, Multi-AZ in prod, encryption in transit and at rest, and an auth token from Secrets Manager', () => {
    const [redis] = prod.all('aws_elasticache_replication_group');
    expect(redis).toMatchObject({
      engine: 'redis',
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      num_cache_clusters: 2,
      transit_encryption_enabled: true,
      at_rest_encryption_enabled: 'true',
    });
    expect(String(redis?.engine_version)).toMatch(/^7\./);
    expect(String(redis?.auth_token)).toContain('aws_secretsmanager_random_password');
    expect(prod.all('aws_secretsmanager_secret').map((s) => s.name)).toContain('cts-prod/redis-auth-token');
    expect(dev.all('aws_elasticache_replication_group')[0]).toMatchObject({
      multi_az_enabled: false,
      num_cache_clusters: 1,
    });
  });

  it('opens no security group to the internet except the ALB on 80 and 443; data stores only from the Lambdas', () => {
    const ingress = prod.all('aws_vpc_security_group_ingress_rule');
    const open = ingress.filter((rule) => rule.cidr_ipv4 === '0.0.0.0/0' || rule.cidr_ipv6 === '::/0');
    expect(open.map((rule) => rule.from_port).sort()).toEqual([443, 80]);
    for (const rule of open) expect(rule.security_group_id).toMatch(/alb-sg/);
    for (const rule of ingress.filter((r) => r.from_port === 5432 || r.from_port === 6379)) {
      expect(rule.referenced_security_group_id).toMatch(/lambda-sg/);
      expect(rule.cidr_ipv4).toBeUndefined();
    }
    expect(prod.all('aws_security_group').every((group) => !group.ingress)).toBe(true);
  });

  it('deploys every function: nodejs22.x, in the private subnets, with a bundle that exists and a log group with retention', () => {
    const functions = prod.all('aws_lambda_function');
    expect(functions.map((f) => f.function_name).sort()).toEqual(
      LAMBDA_FUNCTIONS.map((name) => `cts-prod-${name}`).sort(),
    );
    for (const fn of functions) {
      expect(fn.runtime).toBe('nodejs22.x');
      expect(fn.vpc_config.subnet_ids).toHaveLength(2);
      expect(String(fn.vpc_config.subnet_ids)).toMatch(/private/);
      expect(fn.vpc_config.security_group_ids).toHaveLength(1);
      expect(fn.environment.variables).toMatchObject({
        NODE_ENV: 'production',
        DATA_API_DATABASE: 'tickets',
      });
    }
    for (const deployed of prod.stack.functions.byName.values())
      expect(existsSync(deployed.bundlePath)).toBe(true);
    const logGroups = prod.all('aws_cloudwatch_log_group');
    expect(logGroups).toHaveLength(LAMBDA_FUNCTIONS.length);
    for (const group of logGroups) expect(group.retention_in_days).toBe(30);
  });

  it('grants no wildcard action in any IAM policy, and names resources', () => {
    const policies = prod.all('aws_iam_role_policy').map((p) => JSON.parse(p.policy));
    expect(policies.length).toBeGreaterThan(LAMBDA_FUNCTIONS.length);
    for (const policy of policies) {
      for (const statement of policy.Statement) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
        const broad = [statement.Resource].flat().filter((resource: string) => resource === '*');
        // Only the actions AWS offers without resource-level permissions may use "*".
        if (broad.length)
          expect(
            [statement.Action]
              .flat()
              .every((a: string) => /^ec2:|^backup:ListRecoveryPointsByResource$/.test(a)),
          ).toBe(true);
      }
    }
  });

  it('lets the prod relay invoke exactly the relay-shard function, which posts to connections (issue 19)', () => {
    const policy = (name: string) =>
      JSON.parse(prod.all('aws_iam_role_policy').find((p) => p.name === `cts-prod-${name}-access`)?.policy);
    const invokes = (name: string) =>
      policy(name).Statement.filter((s: { Action: string[] }) => s.Action.includes('lambda:InvokeFunction'));
    const [invoke] = invokes('relay');
    expect(invoke.Resource).toHaveLength(1);
    expect(invoke.Resource[0]).toMatch(
      /^arn:\$\{data\.aws_partition\..*:lambda:.*:function:cts-prod-relay-shard$/,
    );
    for (const name of LAMBDA_FUNCTIONS.filter((n) => n !== 'relay')) expect(invokes(name)).toEqual([]);
    expect(JSON.stringify(policy('relay-shard'))).toContain('execute-api:ManageConnections');
    const fn = (name: string) =>
      prod.all('aws_lambda_function').find((f) => f.function_name === `cts-prod-${name}`);
    expect(fn('relay')?.environment.variables).toMatchObject({
      RELAY_SHARD_FUNCTION: 'cts-prod-relay-shard',
      RELAY_SHARDS: String(ENVIRONMENTS.prod.lambda.relayShards),
    });
    expect(fn('relay-shard')).toMatchObject({ timeout: 120, reserved_concurrent_executions: 20 });
    expect(fn('relay-shard')?.environment.variables.RELAY_SHARD_FUNCTION).toBeUndefined();
    expect(prod.all('aws_cloudwatch_metric_alarm').map((alarm) => alarm.alarm_name)).toEqual(
      expect.arrayContaining(['cts-prod-relay-shard-errors', 'cts-prod-relay-shard-throttles']),
    );
    // dev: one shard, so no grant and no variables.
    const devRelay = dev.all('aws_lambda_function').find((f) => f.function_name === 'cts-dev-relay');
    expect(devRelay?.environment.variables.RELAY_SHARDS).toBeUndefined();
  });

  it('sends failed asynchronous invocations of the jobs, the relay and the queue admission to a dead-letter queue', () => {
    const configs = prod.all('aws_lambda_function_event_invoke_config');
    expect(configs).toHaveLength(SCHEDULE.length + 2);
    for (const config of configs)
      expect(config.destination_config.on_failure.destination).toMatch(/aws_sqs_queue/);
  });

  it('schedules every job of the schedule table in its time zone, and the relay, with retries and a DLQ', () => {
    const schedules = prod.all('aws_scheduler_schedule');
    for (const job of SCHEDULE) {
      const schedule = schedules.find((s) => s.name === `cts-prod-${job.name}`);
      expect(schedule, job.name).toMatchObject({
        schedule_expression: toEventBridgeCron(job.cron),
        schedule_expression_timezone: 'Asia/Singapore',
        flexible_time_window: { mode: 'OFF' },
      });
      expect(schedule?.target.arn).toContain(jobFunctionName(job.name));
      expect(schedule?.target.retry_policy.maximum_retry_attempts).toBeGreaterThan(0);
      expect(schedule?.target.dead_letter_config.arn).toMatch(/aws_sqs_queue/);
    }
    expect(schedules.find((s) => s.name === 'cts-prod-relay')).toMatchObject({
      schedule_expression: 'rate(1 minute)',
    });
    // The waiting room's admission: every minute, stepping each second for 55 s of it.
    const admission = schedules.find((s) => s.name === 'cts-prod-queue-admission');
    expect(admission).toMatchObject({ schedule_expression: 'rate(1 minute)' });
    expect(JSON.parse(admission?.target.input ?? '{}')).toEqual({ runForMs: 55_000 });
    expect(prod.all('aws_cloudwatch_metric_alarm').map((alarm) => alarm.alarm_name)).toContain(
      'cts-prod-queue-admission-errors',
    );
    expect(schedules).toHaveLength(SCHEDULE.length + 2);
  });

  it("backs up with a plan whose schedule is the backup job's", () => {
    const backup = SCHEDULE.find((job) => job.name === 'backup');
    const [plan] = prod.all('aws_backup_plan');
    expect(plan?.rule[0]).toMatchObject({
      schedule: toEventBridgeCron(backup?.cron ?? ''),
      schedule_expression_timezone: 'Asia/Singapore',
    });
    expect(prod.all('aws_backup_selection')[0]?.resources[0]).toMatch(/aws_rds_cluster/);
  });

  it('routes every REST route through the HTTP API, throttled, with stricter limits on login', () => {
    const routes = prod.all('aws_apigatewayv2_route');
    const keys = routes.map((r) => r.route_key);
    for (const route of HTTP_ROUTES) expect(keys).toContain(`${route.method} ${route.path}`);
    for (const route of WEBSOCKET_ROUTES) expect(keys).toContain(route.routeKey);
    const apis = prod.all('aws_apigatewayv2_api');
    expect(apis.find((a) => a.protocol_type === 'WEBSOCKET')).toMatchObject({
      route_selection_expression: '$request.body.action',
    });
    const httpStage = prod.all('aws_apigatewayv2_stage').find((s) => s.name === '$default');
    expect(httpStage?.default_route_settings).toMatchObject({
      throttling_rate_limit: 2000,
      throttling_burst_limit: 5000,
    });
    expect(httpStage?.route_settings[0]).toMatchObject({
      route_key: 'POST /api/auth/login',
      throttling_rate_limit: 20,
    });
    expect(httpStage?.route_settings[0].throttling_rate_limit).toBeLessThan(
      httpStage?.default_route_settings.throttling_rate_limit,
    );
  });

  it('puts an ALB with a Lambda target in front of the REST API; HTTPS with a certificate, 80 redirecting', () => {
    expect(prod.all('aws_lb_target_group')[0]).toMatchObject({ target_type: 'lambda' });
    expect(prod.all('aws_lb_listener').map((l) => l.port)).toEqual([80]);
    const tls = synth({
      ...ENVIRONMENTS.prod,
      certificateArn: 'arn:aws:acm:ap-southeast-1:123456789012:certificate/abc',
    });
    const listeners = tls.all('aws_lb_listener');
    expect(listeners.find((l) => l.port === 443)).toMatchObject({
      protocol: 'HTTPS',
      certificate_arn: expect.stringContaining('certificate/abc'),
    });
    expect(listeners.find((l) => l.port === 80)?.default_action[0]).toMatchObject({
      type: 'redirect',
      redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' },
    });
  });

  it('alarms on 5xx, relay failures, relay lag, dead letters, Aurora CPU and Redis memory, and draws a dashboard', () => {
    const alarms = prod.all('aws_cloudwatch_metric_alarm');
    const metrics = alarms.map((a) => `${a.namespace}/${a.metric_name}`);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'AWS/ApiGateway/5xx',
        'AWS/Lambda/Errors',
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/RDS/CPUUtilization',
        'AWS/ElastiCache/DatabaseMemoryUsagePercentage',
        'ConcertTickets/RelayLag',
      ]),
    );
    expect(alarms.filter((a) => a.metric_name === 'ApproximateNumberOfMessagesVisible')).toHaveLength(2);
    for (const alarm of alarms) expect(alarm.alarm_actions[0]).toMatch(/aws_sns_topic/);
    const [dashboard] = prod.all('aws_cloudwatch_dashboard');
    expect(JSON.parse(dashboard?.dashboard_body).widgets.length).toBeGreaterThanOrEqual(7);
  });

  it('alarms on the relay lag the functions write as embedded metrics: same namespace, name and dimensions', async () => {
    const [line] = await captureEmf(() => new EmfMetrics().deliveryLag('concert-update', 16));
    const directive = line?._aws.CloudWatchMetrics[0];
    const lag = prod.all('aws_cloudwatch_metric_alarm').find((a) => a.alarm_name === 'cts-prod-relay-lag');
    expect(lag).toMatchObject({
      namespace: directive?.Namespace,
      metric_name: directive?.Metrics[0]?.Name,
      statistic: 'Maximum',
      threshold: 15_000,
    });
    // CloudWatch matches a metric only with exactly its dimension set.
    const dimensions = Object.fromEntries(
      (directive?.Dimensions[0] ?? []).map((name) => [name, line?.[name]]),
    );
    expect(lag?.dimensions).toEqual(dimensions);
    expect(line?.RelayLag).toBeGreaterThanOrEqual(lag?.threshold);
  });

  it('verifies the sender with SES, and outputs the API URL, the WebSocket URL and the ALB name', () => {
    expect(prod.all('aws_ses_email_identity')[0]).toMatchObject({ email: ENVIRONMENTS.prod.emailFrom });
    expect(Object.keys(prod.json.output)).toEqual(
      expect.arrayContaining(['api_url', 'websocket_url', 'alb_dns_name']),
    );
  });

  it('keeps state locally by default and in S3 with locking when configured', () => {
    expect(prod.json.terraform.backend.local).toMatchObject({ path: 'terraform.prod.tfstate' });
    const s3 = synth(ENVIRONMENTS.prod, { stateBucket: 'tf-state', stateLockTable: 'tf-locks' });
    expect(s3.json.terraform.backend.s3).toMatchObject({
      bucket: 'tf-state',
      encrypt: true,
      dynamodb_table: 'tf-locks',
    });
    const lockfile = synth(ENVIRONMENTS.prod, { stateBucket: 'tf-state' });
    expect(lockfile.json.terraform.backend.s3).toMatchObject({ use_lockfile: true });
  });
});

// Issue 17: what a first real `cdktf deploy` (and the days after it) would hit, checked offline.
describe('the AWS stack against the providers’ rules', () => {
  const deployEnv = {
    EMAIL_FROM: 'tickets@tickets.example-shop.io',
    FRONTEND_URL: 'https://tickets.example-shop.io, https://admin.example-shop.io',
    CERTIFICATE_ARN: 'arn:aws:acm:ap-southeast-1:123456789012:certificate/abc',
  };
  const settings = environmentsFrom(deployEnv);
  let prod: ReturnType<typeof synth>;
  let dev: ReturnType<typeof synth>;
  const keyed = (s: ReturnType<typeof synth>, type: string) => Object.entries(s.json.resource[type] ?? {});

  beforeAll(() => {
    prod = synth(settings.prod, { stateBucket: 'tf-state' });
    dev = synth(settings.dev);
  });

  it('makes each stage with route settings depend on every route of its API (a missing route is a NotFoundException)', () => {
    for (const stack of [prod, dev]) {
      const routes = keyed(stack, 'aws_apigatewayv2_route');
      const stages = stack.all('aws_apigatewayv2_stage').filter((s) => s.route_settings?.length);
      expect(stages).toHaveLength(1);
      for (const stage of stages) {
        const own = routes.filter(([, route]) => route.api_id === stage.api_id).map(([key]) => key);
        expect(own.length).toBeGreaterThan(0);
        for (const key of own) expect(stage.depends_on ?? [], key).toContain(`aws_apigatewayv2_route.${key}`);
      }
      const http = stages.find((s) => s.name === '$default');
      const named = (http?.route_settings ?? []).map((r: { route_key: string }) => r.route_key);
      const keys = stack.all('aws_apigatewayv2_route').map((r) => r.route_key);
      for (const key of named) expect(keys).toContain(key);
    }
  });

  it('pins Aurora to a major version and lets minor upgrades happen without a downgrade plan', () => {
    for (const stack of [prod, dev]) {
      const [cluster] = stack.all('aws_rds_cluster');
      expect(cluster?.engine_version).toMatch(/^\d+$/);
      expect(cluster?.lifecycle?.ignore_changes).toContain('engine_version');
      expect(cluster?.allow_major_version_upgrade ?? false).toBe(false);
      for (const instance of stack.all('aws_rds_cluster_instance')) {
        expect(String(instance.engine_version ?? '')).not.toMatch(/^\d+\.\d+/);
        expect(instance.auto_minor_version_upgrade ?? true).toBe(true);
      }
    }
  });

  it('integrates every Lambda proxy integration with POST (WebSocket APIs require it)', () => {
    const integrations = prod.all('aws_apigatewayv2_integration');
    expect(integrations.length).toBeGreaterThan(0);
    for (const integration of integrations) {
      expect(integration.integration_type).toBe('AWS_PROXY');
      expect(integration.integration_method, integration.integration_uri).toBe('POST');
    }
  });

  it('answers browser preflights on the HTTP API for the FRONTEND_URL origins, with the headers the clients send', () => {
    const http = prod.all('aws_apigatewayv2_api').find((a) => a.protocol_type === 'HTTP');
    expect(http?.cors_configuration).toMatchObject({
      allow_origins: ['https://tickets.example-shop.io', 'https://admin.example-shop.io'],
      allow_headers: expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']),
      expose_headers: expect.arrayContaining(['retry-after']),
    });
    const methods = new Set(HTTP_ROUTES.map((route) => route.method));
    expect(new Set(http?.cors_configuration.allow_methods)).toEqual(new Set([...methods, 'OPTIONS']));
    const none = synth(environmentsFrom({ ...deployEnv, FRONTEND_URL: '' }).dev);
    expect(none.all('aws_apigatewayv2_api').find((a) => a.protocol_type === 'HTTP')?.cors_configuration).toBe(
      undefined,
    );
  });

  it('creates the SES sender identity in one stack of the account only; the dev policy works in the sandbox', () => {
    const identities = [...prod.all('aws_ses_email_identity'), ...dev.all('aws_ses_email_identity')];
    expect(identities).toEqual([expect.objectContaining({ email: deployEnv.EMAIL_FROM })]);
    const sesResources = (stack: ReturnType<typeof synth>) =>
      stack
        .all('aws_iam_role_policy')
        .flatMap((p) => JSON.parse(p.policy).Statement)
        .filter((s: { Action: string[] }) => s.Action.includes('ses:SendEmail'))
        .flatMap((s: { Resource: string[] }) => s.Resource);
    // Sandbox: SES authorizes the recipients' identities too, so the policy names the account's identities.
    expect(sesResources(dev).length).toBeGreaterThan(0);
    for (const resource of sesResources(dev)) expect(resource).toMatch(/:identity\/\*$/);
    for (const resource of sesResources(prod)) expect(resource).toMatch(/aws_ses_email_identity\..*\.arn/);
    const devOwner = environmentsFrom({ ...deployEnv, SES_IDENTITY_OWNER: 'dev' });
    expect(synth(devOwner.prod).all('aws_ses_email_identity')).toHaveLength(0);
    expect(synth(devOwner.dev).all('aws_ses_email_identity')).toHaveLength(1);
  });

  it('refuses to deploy without EMAIL_FROM, with an unverifiable one, and prod without remote state or TLS', () => {
    const ok = { stateBucket: 'tf-state', emailFromSet: true };
    expect(deployProblems(settings.prod, ok)).toEqual([]);
    expect(deployProblems(settings.dev, { emailFromSet: true })).toEqual([]);
    expect(deployProblems(environmentsFrom({}).dev, { emailFromSet: false })).toEqual([
      expect.stringMatching(/^concert-tickets-dev: set EMAIL_FROM/),
    ]);
    for (const address of ['tickets@example.com', 'a@mail.example.org', 'me@shop.test', 'nobody'])
      expect(
        deployProblems(environmentsFrom({ EMAIL_FROM: address }).dev, { emailFromSet: true }),
        address,
      ).toEqual([expect.stringContaining('EMAIL_FROM')]);
    const bare = environmentsFrom({ EMAIL_FROM: deployEnv.EMAIL_FROM }).prod;
    const problems = deployProblems(bare, { emailFromSet: true });
    expect(problems).toEqual([
      expect.stringContaining('TF_STATE_BUCKET'),
      expect.stringContaining('CERTIFICATE_ARN'),
    ]);
    for (const line of problems) expect(line).not.toContain('\n');
  });

  it('lets dev be destroyed and re-created at once; prod keeps its recovery windows and its vault', () => {
    for (const secret of dev.all('aws_secretsmanager_secret')) expect(secret.recovery_window_in_days).toBe(0);
    for (const secret of prod.all('aws_secretsmanager_secret'))
      expect(secret.recovery_window_in_days).toBe(7);
    expect(dev.all('aws_backup_vault')[0]?.force_destroy).toBe(true);
    expect(prod.all('aws_backup_vault')[0]?.force_destroy ?? false).toBe(false);
    expect(dev.all('aws_lb')[0]?.enable_deletion_protection).toBe(false);
    expect(dev.all('aws_rds_cluster')[0]).toMatchObject({
      deletion_protection: false,
      skip_final_snapshot: true,
    });
  });

  it('gives each function the VPC actions Lambda needs, its policy before it starts, and only the secrets it reads', () => {
    // AWSLambdaVPCAccessExecutionRole, the managed policy Lambda documents for VPC functions.
    const vpcActions = [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ];
    const policies = keyed(prod, 'aws_iam_role_policy');
    for (const [, fn] of keyed(prod, 'aws_lambda_function')) {
      const role = String(fn.role).replace(/\.arn\}$/, '.id}');
      const own = policies.filter(([, policy]) => policy.role === role);
      expect(own, fn.function_name).toHaveLength(1);
      const [key, policy] = own[0] as [string, any];
      expect(fn.depends_on, fn.function_name).toContain(`aws_iam_role_policy.${key}`);
      const statements = JSON.parse(policy.policy).Statement as { Action: string[]; Resource: string[] }[];
      expect(statements.flatMap((s) => s.Action)).toEqual(expect.arrayContaining(vpcActions));
      const name = String(fn.function_name).replace(/^cts-prod-/, '');
      const readsDatabase = statements.some(
        (s) =>
          s.Action.some((a) => a.startsWith('rds-data:')) ||
          s.Resource.some((r) => /master_user_secret/.test(r)),
      );
      expect(readsDatabase, name).toBe(!['health', 'api-openapi'].includes(name));
    }
  });

  it('makes everything that hands a role to an AWS service wait for that role’s policies', () => {
    // A role without its policy yet: Lambda refuses a VPC function, AWS Backup's first job fails, etc.
    for (const stack of [prod, dev]) {
      const grants = [
        ...keyed(stack, 'aws_iam_role_policy').map(([k, p]) => [`aws_iam_role_policy.${k}`, p.role] as const),
        ...keyed(stack, 'aws_iam_role_policy_attachment').map(
          ([k, p]) => [`aws_iam_role_policy_attachment.${k}`, p.role] as const,
        ),
      ];
      for (const [type, byName] of Object.entries(stack.json.resource)) {
        if (type.startsWith('aws_iam_')) continue;
        for (const [name, body] of Object.entries(byName)) {
          const text = JSON.stringify(body);
          for (const m of text.matchAll(/\$\{aws_iam_role\.([\w-]+)\.arn\}/g)) {
            const role = m[1] as string;
            const needed = grants
              .filter(([, r]) => r === `\${aws_iam_role.${role}.id}` || r === `\${aws_iam_role.${role}.name}`)
              .map(([id]) => id);
            for (const id of needed) expect(body.depends_on ?? [], `${type}.${name} → ${id}`).toContain(id);
          }
        }
      }
    }
  });

  it('reserves concurrency for the relay and the WebSocket functions', () => {
    const functions = prod.all('aws_lambda_function');
    for (const name of ['relay', ...new Set(WEBSOCKET_ROUTES.map((route) => route.functionName))]) {
      const fn = functions.find((f) => f.function_name === `cts-prod-${name}`);
      expect(fn?.reserved_concurrent_executions, name).toBeGreaterThan(0);
    }
    expect(functions.find((f) => f.function_name === 'cts-prod-relay')?.reserved_concurrent_executions).toBe(
      2,
    );
    // The waiting room's admission: one run and the next at the handover (a lease keeps one admitting).
    expect(
      functions.find((f) => f.function_name === 'cts-prod-queue-admission')?.reserved_concurrent_executions,
    ).toBe(2);
    // AWS keeps 100 unreserved: the sum must fit a quota the account can have (dev: none at all).
    const reserved = functions.reduce((sum, f) => sum + (f.reserved_concurrent_executions ?? 0), 0);
    expect(reserved + 100).toBeLessThanOrEqual(1000);
    expect(dev.all('aws_lambda_function').every((f) => f.reserved_concurrent_executions === undefined)).toBe(
      true,
    );
  });

  it('reaches every AWS API the functions call through an interface endpoint, or names why not', async () => {
    const { dependencies } = JSON.parse(await readFile('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const clients = Object.keys(dependencies).filter((name) => name.startsWith('@aws-sdk/client-'));
    const endpoints = prod.all('aws_vpc_endpoint');
    const services = endpoints.map((e) =>
      String(e.service_name).replace(/^com\.amazonaws\.ap-southeast-1\./, ''),
    );
    for (const client of clients) {
      const service = VPC_ENDPOINT_SERVICES[client];
      expect(service, `${client}: no endpoint and no reason`).toBeDefined();
      if (service?.endpoint) expect(services).toContain(service.endpoint);
    }
    for (const endpoint of endpoints) {
      expect(endpoint).toMatchObject({ vpc_endpoint_type: 'Interface', private_dns_enabled: true });
      expect(String(endpoint.subnet_ids)).toMatch(/private/);
    }
    const https = prod
      .all('aws_vpc_security_group_ingress_rule')
      .filter((rule) => String(rule.security_group_id).includes('endpoints'));
    expect(https).toEqual([
      expect.objectContaining({
        from_port: 443,
        referenced_security_group_id: expect.stringMatching(/lambda-sg/),
      }),
    ]);
  });
});

describe('the synthesized graph', () => {
  it('has no dependency cycle (Terraform refuses a cycle at plan; found here without a binary)', () => {
    const settings = environmentsFrom({ EMAIL_FROM: 'tickets@tickets.example-shop.io' });
    for (const stack of [synth(settings.prod, { stateBucket: 'tf-state' }), synth(settings.dev)]) {
      const edges = new Map<string, Set<string>>();
      const nodes: [string, unknown][] = [];
      for (const [type, byName] of Object.entries(stack.json.resource))
        for (const [name, body] of Object.entries(byName)) nodes.push([`${type}.${name}`, body]);
      for (const [type, byName] of Object.entries(stack.json.data ?? {}))
        for (const [name, body] of Object.entries(byName)) nodes.push([`data.${type}.${name}`, body]);
      const known = new Set(nodes.map(([id]) => id));
      for (const [id, body] of nodes) {
        const text = JSON.stringify(body);
        const refs = new Set<string>();
        for (const m of text.matchAll(/(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g)) {
          const ref = `${m[1] ?? ''}${m[2]}.${m[3]}`;
          if (known.has(ref) && ref !== id) refs.add(ref);
        }
        edges.set(id, refs);
      }
      const state = new Map<string, 'open' | 'done'>();
      const visit = (id: string, path: string[]): void => {
        if (state.get(id) === 'done') return;
        if (state.get(id) === 'open') throw new Error(`cycle: ${[...path, id].join(' -> ')}`);
        state.set(id, 'open');
        for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
        state.set(id, 'done');
      };
      expect(() => {
        for (const id of edges.keys()) visit(id, []);
      }).not.toThrow();
    }
  });
});
