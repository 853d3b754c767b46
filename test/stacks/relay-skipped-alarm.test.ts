import { describe, expect, it } from 'vitest';
import { EmfMetrics } from '../../functions/adapters/aws/emf-metrics';
import { RELAY_SKIP_REASONS } from '../../functions/core/relay-availability';
import { Monitoring } from '../../stacks/monitoring';
import { Testing } from '../../stacks/testing';
import { captureEmf } from '../support/emf';

interface Alarm {
  alarm_name: string;
  namespace: string;
  metric_name: string;
  dimensions: Record<string, string>;
  statistic: string;
  threshold: number;
}

describe('the relay-skipped alarms', () => {
  const synthesized = JSON.parse(
    Testing.synthScope((scope) => {
      new Monitoring(scope, 'monitoring', {
        prefix: 'cts-test',
        region: 'eu-west-1',
        httpApiId: 'api',
        clusterIdentifier: 'cluster',
        redisNodeId: 'redis-001',
        deadLetterQueueNames: [],
        relayFunctionName: 'relay',
        reserveFunctionName: 'reserve',
      });
    }),
  ) as { resource: { aws_cloudwatch_metric_alarm: Record<string, Alarm> } };
  const alarms = Object.values(synthesized.resource.aws_cloudwatch_metric_alarm);

  it.each(RELAY_SKIP_REASONS)(
    'wakes someone on one %s skip, reading what the relay writes',
    async (reason) => {
      const [line] = await captureEmf(() => new EmfMetrics().relaySkipped(reason));
      const directive = line?._aws.CloudWatchMetrics[0];
      const alarm = alarms.find((a) => a.alarm_name === `cts-test-relay-skipped-${reason}`);
      expect(alarm).toMatchObject({
        namespace: directive?.Namespace,
        metric_name: directive?.Metrics[0]?.Name,
        statistic: 'Sum',
        threshold: 1,
      });
      // CloudWatch matches a metric only with exactly its dimension set.
      const dimensions = Object.fromEntries(
        (directive?.Dimensions[0] ?? []).map((name) => [name, line?.[name]]),
      );
      expect(alarm?.dimensions).toEqual(dimensions);
      expect(line?.RelaySkipped).toBeGreaterThanOrEqual(alarm?.threshold ?? Number.POSITIVE_INFINITY);
    },
  );
});
