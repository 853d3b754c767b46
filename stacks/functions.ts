import { resolve } from 'node:path';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { buildLambdaSync } from './lambda-bundle';

// Both environments' stacks share one build of each bundle per process.
const built = new Map<string, string>();
function bundle(name: string, outDir: string | undefined): string {
  const key = `${outDir ?? ''}:${name}`;
  let dir = built.get(key);
  if (!dir) {
    dir = buildLambdaSync(name, outDir).dir;
    built.set(key, dir);
  }
  return dir;
}

export interface PolicyStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
}

export interface FunctionsOptions {
  prefix: string;
  names: readonly string[];
  /** Functions EventBridge Scheduler invokes asynchronously: their failures go to the dead-letter queue. */
  asyncNames: readonly string[];
  memoryMb: number;
  logRetentionDays: number;
  subnetIds: string[];
  securityGroupIds: string[];
  environment: Record<string, string>;
  /** What each function may do beyond writing its logs and attaching to the VPC. */
  grants: (name: string) => PolicyStatement[];
  /** Where bundles are built (default dist/lambda). */
  bundleDir?: string;
  /** Reserved concurrency per function name; the others share the account's unreserved pool. */
  reservedConcurrency?: Record<string, number>;
  /** Timeout (s) per function name; default 120 for asynchronous functions, 29 for the others. */
  timeouts?: Record<string, number>;
  /** Variables one function gets on top of `environment` (e.g. the relay's shard function). */
  environmentFor?: (name: string) => Record<string, string>;
}

/**
 * What Lambda needs to attach a function to a VPC: the actions of the AWS managed policy
 * AWSLambdaVPCAccessExecutionRole. None of them takes a resource-level restriction.
 */
export const LAMBDA_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export interface DeployedFunction {
  name: string;
  fn: LambdaFunction;
  asset: TerraformAsset;
  bundlePath: string;
}

/**
 * Every handler bundled with esbuild into its own TerraformAsset, as a nodejs22.x Lambda in the private
 * subnets, with its own role (least privilege: named actions on named resources), a log group with
 * retention, and, for asynchronously invoked ones, retries ending in a dead-letter queue.
 */
export class Functions extends Construct {
  readonly byName = new Map<string, DeployedFunction>();
  readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, options: FunctionsOptions) {
    super(scope, id);
    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: `${options.prefix}-failed-invocations`,
      messageRetentionSeconds: 14 * 24 * 3600,
      sqsManagedSseEnabled: true,
    });
    for (const name of options.names) {
      const functionName = `${options.prefix}-${name}`;
      const dir = bundle(name, options.bundleDir);
      const asset = new TerraformAsset(this, `${name}-bundle`, {
        path: resolve(dir),
        type: AssetType.ARCHIVE,
      });
      const logGroup = new CloudwatchLogGroup(this, `${name}-logs`, {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: options.logRetentionDays,
      });
      const role = new IamRole(this, `${name}-role`, {
        name: functionName,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      });
      const asynchronous = options.asyncNames.includes(name);
      const statements: PolicyStatement[] = [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [`${logGroup.arn}:*`],
        },
        { Effect: 'Allow', Action: LAMBDA_VPC_ACTIONS, Resource: ['*'] },
        ...(asynchronous
          ? [{ Effect: 'Allow' as const, Action: ['sqs:SendMessage'], Resource: [this.deadLetterQueue.arn] }]
          : []),
        ...options.grants(name),
      ];
      const policy = new IamRolePolicy(this, `${name}-policy`, {
        name: `${functionName}-access`,
        role: role.id,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      });
      const fn = new LambdaFunction(this, `${name}-fn`, {
        functionName,
        role: role.arn,
        runtime: 'nodejs22.x',
        handler: 'index.handler',
        architectures: ['arm64'],
        filename: asset.path,
        sourceCodeHash: asset.assetHash,
        memorySize: options.memoryMb,
        timeout: options.timeouts?.[name] ?? (asynchronous ? 120 : 29),
        vpcConfig: { subnetIds: options.subnetIds, securityGroupIds: options.securityGroupIds },
        environment: { variables: { ...options.environment, ...options.environmentFor?.(name) } },
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
        ...(options.reservedConcurrency?.[name] !== undefined
          ? { reservedConcurrentExecutions: options.reservedConcurrency[name] }
          : {}),
        // The role alone is not enough: creating a VPC function checks the role may make network
        // interfaces, and an invoke-config destination checks it may send there.
        dependsOn: [logGroup, policy],
      });
      if (asynchronous) {
        new LambdaFunctionEventInvokeConfig(this, `${name}-async`, {
          functionName: fn.functionName,
          maximumRetryAttempts: 2,
          maximumEventAgeInSeconds: 3600,
          destinationConfig: { onFailure: { destination: this.deadLetterQueue.arn } },
        });
      }
      this.byName.set(name, { name, fn, asset, bundlePath: resolve(dir, 'index.mjs') });
    }
  }

  get(name: string): DeployedFunction {
    const deployed = this.byName.get(name);
    if (!deployed) throw new Error(`no function ${name}`);
    return deployed;
  }
}
