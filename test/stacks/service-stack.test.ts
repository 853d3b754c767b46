import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmfMetrics } from '../../functions/adapters/emf-metrics';
import { SCHEDULE } from '../../functions/core/schedule';
import { HTTP_ROUTES } from '../../functions/handlers/http/routes';
import {
  jobFunctionName,
  LAMBDA_FUNCTIONS,
  WEBSOCKET_ROUTES,
} from '../../functions/handlers/lambda-functions';
import { ENVIRONMENTS, type EnvironmentSettings } from '../../stacks/config';
import { toEventBridgeCron } from '../../stacks/cron';
import { ServiceStack } from '../../stacks/service-stack';
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

  it('sends failed asynchronous invocations of the jobs and the relay to a dead-letter queue', () => {
    const configs = prod.all('aws_lambda_function_event_invoke_config');
    expect(configs).toHaveLength(SCHEDULE.length + 1);
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
    expect(schedules).toHaveLength(SCHEDULE.length + 1);
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
