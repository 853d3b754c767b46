import { describe, expect, it } from 'vitest';
import { SCHEDULE } from '../../functions/core/schedule';
import type { Functions } from '../../stacks/functions';
import { RELAY_RUN_MS, SCHEDULED_TIME, Schedules } from '../../stacks/schedules';
import { Testing } from '../../stacks/testing';

// Only `.get(name).fn.arn` is read by the construct: a stand-in keeps this test free of Lambda bundling.
const functions = {
  get: (name: string) => ({ fn: { arn: `arn:aws:lambda:eu-central-1:123456789012:function:${name}` } }),
} as unknown as Functions;

describe('EventBridge schedules pass each job the time it was scheduled for', () => {
  const json = JSON.parse(
    Testing.synthScope((scope) => {
      new Schedules(scope, 'schedules', { prefix: 'cts-test', timeZone: 'Europe/Berlin', functions });
    }),
  ) as { resource: { aws_scheduler_schedule: Record<string, { name: string; target: { input: string } }> } };
  const schedules = Object.values(json.resource.aws_scheduler_schedule);

  it('puts <aws.scheduler.scheduled-time> into every job target input as scheduledAt', () => {
    expect(SCHEDULED_TIME).toBe('<aws.scheduler.scheduled-time>');
    for (const job of SCHEDULE) {
      const schedule = schedules.find((s) => s.name === `cts-test-${job.name}`);
      expect(JSON.parse(schedule?.target.input ?? '{}'), job.name).toEqual({ scheduledAt: SCHEDULED_TIME });
    }
  });

  it('leaves the relay its own input', () => {
    const relay = schedules.find((s) => s.name === 'cts-test-relay');
    expect(JSON.parse(relay?.target.input ?? '{}')).toEqual({ runForMs: RELAY_RUN_MS });
  });
});
