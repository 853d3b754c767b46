import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Construct } from 'constructs';
import { SCHEDULE } from '../functions/core/schedule';
import { jobFunctionName } from '../functions/handlers/lambda-functions';
import { toEventBridgeCron } from './cron';
import type { Functions } from './functions';

export const RELAY_RATE = 'rate(1 minute)';
/**
 * EventBridge Scheduler's context attribute for the time a schedule fired for (ISO UTC, e.g.
 * 2022-03-22T18:59:43Z), replaced in the target input; see the Scheduler User Guide, "Adding context
 * attributes".
 */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';
/** The relay reads for 50 s of each minute, so one run hands over to the next. */
export const RELAY_RUN_MS = 50_000;
/** The waiting room's admission steps for 55 s of each minute (a lease keeps an overlap to one admitter). */
export const QUEUE_ADMISSION_RUN_MS = 55_000;

/**
 * EventBridge Scheduler: one schedule per job of the schedule table, in its time zone, and the relay
 * every minute. Each retries, then lands in a dead-letter queue.
 */
export class Schedules extends Construct {
  readonly schedules: SchedulerSchedule[] = [];
  readonly deadLetterQueue: SqsQueue;

  constructor(
    scope: Construct,
    id: string,
    options: { prefix: string; timeZone: string; functions: Functions },
  ) {
    super(scope, id);
    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: `${options.prefix}-missed-schedules`,
      messageRetentionSeconds: 14 * 24 * 3600,
      sqsManagedSseEnabled: true,
    });
    const targets = [
      ...SCHEDULE.map((job) => ({
        name: job.name,
        expression: toEventBridgeCron(job.cron),
        timeZone: options.timeZone,
        fn: options.functions.get(jobFunctionName(job.name)).fn,
        // The scheduled time, filled in by EventBridge Scheduler on every invocation (retries too): the
        // job's period follows from it, not from when the Lambda happens to run.
        input: { scheduledAt: SCHEDULED_TIME },
      })),
      {
        name: 'relay',
        expression: RELAY_RATE,
        timeZone: 'UTC',
        fn: options.functions.get('relay').fn,
        input: { runForMs: RELAY_RUN_MS },
      },
      {
        name: 'queue-admission',
        expression: RELAY_RATE,
        timeZone: 'UTC',
        fn: options.functions.get('queue-admission').fn,
        input: { runForMs: QUEUE_ADMISSION_RUN_MS },
      },
    ];
    const role = new IamRole(this, 'role', {
      name: `${options.prefix}-scheduler`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    const policy = new IamRolePolicy(this, 'policy', {
      name: `${options.prefix}-scheduler-invoke`,
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: targets.map((t) => t.fn.arn) },
          { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [this.deadLetterQueue.arn] },
        ],
      }),
    });
    for (const target of targets) {
      this.schedules.push(
        new SchedulerSchedule(this, target.name, {
          name: `${options.prefix}-${target.name}`,
          scheduleExpression: target.expression,
          scheduleExpressionTimezone: target.timeZone,
          flexibleTimeWindow: { mode: 'OFF' },
          target: {
            arn: target.fn.arn,
            roleArn: role.arn,
            input: JSON.stringify(target.input),
            retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
            deadLetterConfig: { arn: this.deadLetterQueue.arn },
          },
          // A schedule created before its role may invoke fails its first firings (and fills the DLQ).
          dependsOn: [policy],
        }),
      );
    }
  }
}
