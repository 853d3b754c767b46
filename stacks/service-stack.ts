import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { SCHEDULE } from '../functions/core/schedule';
import { jobFunctionName, LAMBDA_FUNCTIONS, WEBSOCKET_ROUTES } from '../functions/handlers/lambda-functions';
import { Cache } from './cache';
import { type EnvironmentSettings, secretRecoveryWindowDays } from './config';
import { DATABASE_NAME, Database } from './database';
import { Functions, type PolicyStatement } from './functions';
import { HttpApi } from './http-api';
import { LoadBalancer } from './load-balancer';
import { Mail } from './mail';
import { Monitoring } from './monitoring';
import { Network } from './network';
import { Schedules } from './schedules';
import { WebSocketApi } from './websocket-api';

export interface ServiceStackOptions {
  settings: EnvironmentSettings;
  /** Where the Lambda bundles are built (tests use a temporary directory). */
  bundleDir?: string;
  /** S3 state (bucket, optional DynamoDB lock table); local state when absent. */
  stateBucket?: string;
  stateLockTable?: string;
}

const WEBSOCKET_FUNCTIONS = new Set([
  ...WEBSOCKET_ROUTES.map((r) => r.functionName),
  'relay',
  'relay-shard',
  'queue-admission',
]);
const MAILING_FUNCTIONS = new Set([jobFunctionName('reminders'), jobFunctionName('daily-report')]);
const ASYNC_FUNCTIONS = [...SCHEDULE.map((job) => jobFunctionName(job.name)), 'relay', 'queue-admission'];
/**
 * Functions that never run SQL: they get neither the Data API nor the database's master secret (every
 * function reads the JWT key and the Redis token: the services are built at cold start).
 */
export const FUNCTIONS_WITHOUT_DATABASE = new Set(['health', 'api-openapi']);

/** The whole service in one environment: network, data, functions, entry points, schedules, mail. */
export class ServiceStack extends TerraformStack {
  readonly network: Network;
  readonly database: Database;
  readonly cache: Cache;
  readonly functions: Functions;
  readonly httpApi: HttpApi;
  readonly webSocketApi: WebSocketApi;
  readonly loadBalancer: LoadBalancer;
  readonly schedules: Schedules;

  constructor(scope: Construct, id: string, options: ServiceStackOptions) {
    super(scope, id);
    const { settings } = options;
    const prefix = `cts-${settings.name}`;
    new AwsProvider(this, 'aws', {
      region: settings.region,
      defaultTags: [{ tags: { project: 'concert-ticket-system', environment: settings.name } }],
    });
    if (options.stateBucket) {
      const backend = new S3Backend(this, {
        bucket: options.stateBucket,
        key: `concert-ticket-system/${settings.name}.tfstate`,
        region: settings.region,
        encrypt: true,
        ...(options.stateLockTable ? { dynamodbTable: options.stateLockTable } : {}),
      });
      // Terraform 1.10+ locks with a lock file next to the state when no DynamoDB table is named.
      if (!options.stateLockTable) backend.addOverride('use_lockfile', true);
    } else {
      new LocalBackend(this, { path: `terraform.${settings.name}.tfstate` });
    }

    const zones: [string, string] = [`${settings.region}a`, `${settings.region}b`];
    this.network = new Network(this, 'network', {
      prefix,
      region: settings.region,
      availabilityZones: zones,
      natPerZone: settings.multiAz,
    });
    this.database = new Database(this, 'database', {
      prefix,
      settings,
      subnetIds: this.network.privateSubnetIds,
      securityGroupId: this.network.databaseSecurityGroup.id,
      availabilityZones: zones,
    });
    this.cache = new Cache(this, 'cache', {
      prefix,
      settings,
      subnetIds: this.network.privateSubnetIds,
      securityGroupId: this.network.cacheSecurityGroup.id,
    });
    const mail = new Mail(this, 'mail', {
      from: settings.emailFrom,
      region: settings.region,
      ownsIdentity: settings.ownsSenderIdentity,
      sandbox: settings.mailSandbox,
    });
    const jwt = signingKeySecret(this, prefix, settings);
    this.webSocketApi = new WebSocketApi(this, 'websocket', { prefix, settings });

    const secretsEveryoneReads = [this.cache.authTokenSecretArn, jwt];
    // The relay invokes the relay-shard function synchronously, one invocation per shard (named, not
    // referenced: the relay's role is made before that function).
    const relayShardFunction = `${prefix}-relay-shard`;
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const relayShardArn = `arn:${partition.partition}:lambda:${settings.region}:${account.accountId}:function:${relayShardFunction}`;
    const grants = (name: string): PolicyStatement[] => {
      const usesDatabase = !FUNCTIONS_WITHOUT_DATABASE.has(name);
      const statements: PolicyStatement[] = [
        {
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: usesDatabase ? [...secretsEveryoneReads, this.database.secretArn] : secretsEveryoneReads,
        },
      ];
      if (usesDatabase) {
        statements.push({
          Effect: 'Allow',
          Action: [
            'rds-data:ExecuteStatement',
            'rds-data:BatchExecuteStatement',
            'rds-data:BeginTransaction',
            'rds-data:CommitTransaction',
            'rds-data:RollbackTransaction',
          ],
          Resource: [this.database.cluster.arn],
        });
      }
      if (WEBSOCKET_FUNCTIONS.has(name)) {
        statements.push({
          Effect: 'Allow',
          Action: ['execute-api:ManageConnections'],
          Resource: [this.webSocketApi.manageConnectionsArn],
        });
      }
      if (name === 'relay' && settings.lambda.relayShards > 1) {
        statements.push({ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [relayShardArn] });
      }
      if (MAILING_FUNCTIONS.has(name)) {
        statements.push({
          Effect: 'Allow',
          Action: ['ses:SendEmail', 'ses:SendRawEmail'],
          Resource: mail.sendResources,
        });
      }
      if (name === jobFunctionName('backup')) {
        // ListRecoveryPointsByResource supports no resource-level permissions.
        statements.push({
          Effect: 'Allow',
          Action: ['backup:ListRecoveryPointsByResource'],
          Resource: ['*'],
        });
      }
      return statements;
    };
    this.functions = new Functions(this, 'functions', {
      prefix,
      names: LAMBDA_FUNCTIONS,
      asyncNames: ASYNC_FUNCTIONS,
      memoryMb: settings.lambda.memoryMb,
      logRetentionDays: settings.lambda.logRetentionDays,
      subnetIds: this.network.privateSubnetIds,
      securityGroupIds: [this.network.lambdaSecurityGroup.id],
      grants,
      reservedConcurrency: settings.lambda.reservedConcurrency,
      // A shard posts until the leader's post deadline (its run's end + 30 s): as long as the relay may run.
      timeouts: { 'relay-shard': 120 },
      environmentFor: (name): Record<string, string> =>
        name === 'relay' && settings.lambda.relayShards > 1
          ? { RELAY_SHARD_FUNCTION: relayShardFunction, RELAY_SHARDS: String(settings.lambda.relayShards) }
          : {},
      ...(options.bundleDir ? { bundleDir: options.bundleDir } : {}),
      environment: {
        NODE_ENV: 'production',
        DATA_API_RESOURCE_ARN: this.database.cluster.arn,
        DATA_API_SECRET_ARN: this.database.secretArn,
        DATA_API_DATABASE: DATABASE_NAME,
        REDIS_URL: this.cache.url,
        REDIS_AUTH_SECRET_ARN: this.cache.authTokenSecretArn,
        JWT_SECRET_ARN: jwt,
        EMAIL_FROM: settings.emailFrom,
        SES_REGION: settings.region,
        SCHEDULE_TIMEZONE: settings.scheduleTimeZone,
        WEBSOCKET_CALLBACK_URL: this.webSocketApi.callbackUrl,
        BACKUP_VERIFY_RESOURCE_ARN: this.database.cluster.arn,
      },
    });
    this.webSocketApi.route(this.functions);
    this.httpApi = new HttpApi(this, 'http', { prefix, settings, functions: this.functions });
    this.loadBalancer = new LoadBalancer(this, 'load-balancer', {
      prefix,
      subnetIds: this.network.publicSubnetIds,
      securityGroupId: this.network.loadBalancerSecurityGroup.id,
      target: this.functions.get('alb-api').fn,
      deletionProtection: settings.deletionProtection,
      ...(settings.certificateArn ? { certificateArn: settings.certificateArn } : {}),
    });
    this.schedules = new Schedules(this, 'schedules', {
      prefix,
      timeZone: settings.scheduleTimeZone,
      functions: this.functions,
    });

    new Monitoring(this, 'monitoring', {
      prefix,
      region: settings.region,
      httpApiId: this.httpApi.api.id,
      clusterIdentifier: this.database.cluster.clusterIdentifier,
      redisNodeId: `${this.cache.replicationGroup.replicationGroupId}-001`,
      deadLetterQueueNames: [this.functions.deadLetterQueue.name, this.schedules.deadLetterQueue.name],
      relayFunctionName: this.functions.get('relay').fn.functionName,
      relayShardFunctionName: this.functions.get('relay-shard').fn.functionName,
      queueAdmissionFunctionName: this.functions.get('queue-admission').fn.functionName,
      reserveFunctionName: this.functions.get('reservations-create').fn.functionName,
      ...(process.env.ALARM_EMAIL ? { alarmEmail: process.env.ALARM_EMAIL } : {}),
    });

    new TerraformOutput(this, 'api_url', {
      value: this.httpApi.api.apiEndpoint,
      description: 'REST API (API Gateway HTTP API)',
    });
    new TerraformOutput(this, 'websocket_url', {
      value: this.webSocketApi.stage.invokeUrl,
      description: 'WebSocket API (wss://)',
    });
    new TerraformOutput(this, 'alb_dns_name', {
      value: this.loadBalancer.lb.dnsName,
      description: 'Application Load Balancer',
    });
    new TerraformOutput(this, 'data_api_resource_arn', {
      value: this.database.cluster.arn,
      description: 'for npm run migrate',
    });
    new TerraformOutput(this, 'data_api_secret_arn', {
      value: this.database.secretArn,
      description: 'for npm run migrate',
    });
  }
}

/** The JWT signing key: generated once into Secrets Manager, read by the functions at cold start. */
function signingKeySecret(scope: Construct, prefix: string, settings: EnvironmentSettings): string {
  const value = new DataAwsSecretsmanagerRandomPassword(scope, 'jwt-random', {
    passwordLength: 64,
    excludePunctuation: true,
  });
  const secret = new SecretsmanagerSecret(scope, 'jwt-secret', {
    name: `${prefix}/jwt-signing-key`,
    recoveryWindowInDays: secretRecoveryWindowDays(settings),
  });
  new SecretsmanagerSecretVersion(scope, 'jwt-secret-value', {
    secretId: secret.id,
    secretString: value.randomPassword,
    lifecycle: { ignoreChanges: ['secret_string'] },
  });
  return secret.arn;
}
