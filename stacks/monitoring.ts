import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../functions/config/metric-names';
import { RELAY_SKIP_REASONS } from '../functions/core/relay-skip-reasons';
import { RELAY_LAG_ALARM_MS } from './alarm-thresholds';

export interface MonitoringOptions {
  prefix: string;
  region: string;
  httpApiId: string;
  clusterIdentifier: string;
  /** The Redis primary node's id (ElastiCache reports memory per node). */
  redisNodeId: string;
  deadLetterQueueNames: string[];
  relayFunctionName: string;
  /** The relay's shard function (functions/handlers/relay-shard.ts), when deployed. */
  relayShardFunctionName?: string;
  /** The waiting room's scheduled admission (functions/handlers/queue-admission.ts). */
  queueAdmissionFunctionName: string;
  reserveFunctionName: string;
  /** Who is woken: an e-mail subscription to the alarm topic when set. */
  alarmEmail?: string;
}

export { RELAY_LAG_ALARM_MS };

/** Alarms that wake someone on the day of a sale, on one SNS topic, and a dashboard of the same numbers. */
export class Monitoring extends Construct {
  readonly topic: SnsTopic;
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, options: MonitoringOptions) {
    super(scope, id);
    this.topic = new SnsTopic(this, 'alarms', { name: `${options.prefix}-alarms` });
    if (options.alarmEmail) {
      new SnsTopicSubscription(this, 'alarm-email', {
        topicArn: this.topic.arn,
        protocol: 'email',
        endpoint: options.alarmEmail,
      });
    }
    const alarm = (
      name: string,
      description: string,
      metric: {
        namespace: string;
        metricName: string;
        dimensions: Record<string, string>;
        statistic: string;
      },
      threshold: number,
      periods = 5,
    ) => {
      this.alarms.push(
        new CloudwatchMetricAlarm(this, name, {
          alarmName: `${options.prefix}-${name}`,
          alarmDescription: description,
          ...metric,
          period: 60,
          evaluationPeriods: periods,
          threshold,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          treatMissingData: 'notBreaching',
          alarmActions: [this.topic.arn],
          okActions: [this.topic.arn],
        }),
      );
    };
    alarm(
      'http-5xx',
      'The REST API answers 5xx',
      {
        namespace: 'AWS/ApiGateway',
        metricName: '5xx',
        dimensions: { ApiId: options.httpApiId },
        statistic: 'Sum',
      },
      10,
    );
    alarm(
      'relay-errors',
      'The relay fails: watchers stop getting updates',
      {
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: options.relayFunctionName },
        statistic: 'Sum',
      },
      1,
      2,
    );
    if (options.relayShardFunctionName) {
      // A failed or throttled shard is posted by the relay leader itself (nothing lost), but slowly: at
      // 10,000 watchers updates arrive late while shards fail.
      for (const metricName of ['Errors', 'Throttles'])
        alarm(
          `relay-shard-${metricName.toLowerCase()}`,
          `Relay shards ${metricName === 'Errors' ? 'fail' : 'are throttled'}: the leader posts them alone, watchers see updates late`,
          {
            namespace: 'AWS/Lambda',
            metricName,
            dimensions: { FunctionName: options.relayShardFunctionName },
            statistic: 'Sum',
          },
          1,
          2,
        );
    }
    alarm(
      'queue-admission-errors',
      'The waiting room admission fails: queued fans stop being admitted',
      {
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: options.queueAdmissionFunctionName },
        statistic: 'Sum',
      },
      1,
      2,
    );
    // The relay's own figure (CloudWatch embedded metrics from functions/adapters/aws/emf-metrics.ts).
    alarm(
      'relay-lag',
      'Watchers see availability late: the relay delivers more than 15 s after publication',
      {
        namespace: METRICS_NAMESPACE,
        metricName: 'RelayLag',
        dimensions: { service: METRICS_SERVICE, kind: 'concert-update' },
        statistic: 'Maximum',
      },
      // Above the designed worst case: a change published in the ~10 s between two relay runs (50 s runs,
      // once a minute) waits for the next run. A stalled or failing relay grows past it within minutes.
      RELAY_LAG_ALARM_MS,
      3,
    );
    // Messages the relay gave up on and went past (functions/core/relay-availability.ts): one poison
    // message never blocks the stream, but each skip is a watcher or admin left behind until the next update.
    // CloudWatch matches a metric only with its exact dimensions: one alarm per reason, woken by one skip.
    for (const reason of RELAY_SKIP_REASONS) {
      alarm(
        `relay-skipped-${reason}`,
        `The relay skips messages (${reason}): some watchers miss updates`,
        {
          namespace: METRICS_NAMESPACE,
          metricName: 'RelaySkipped',
          dimensions: { service: METRICS_SERVICE, reason },
          statistic: 'Sum',
        },
        1,
        1,
      );
    }
    for (const [i, queue] of options.deadLetterQueueNames.entries()) {
      alarm(
        `dead-letters-${i + 1}`,
        `Failed invocations are waiting in ${queue}`,
        {
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: queue },
          statistic: 'Maximum',
        },
        1,
        1,
      );
    }
    alarm(
      'aurora-cpu',
      'Aurora is CPU-bound',
      {
        namespace: 'AWS/RDS',
        metricName: 'CPUUtilization',
        dimensions: { DBClusterIdentifier: options.clusterIdentifier },
        statistic: 'Average',
      },
      80,
    );
    alarm(
      'redis-memory',
      'Redis is filling up',
      {
        namespace: 'AWS/ElastiCache',
        metricName: 'DatabaseMemoryUsagePercentage',
        dimensions: { CacheClusterId: options.redisNodeId },
        statistic: 'Maximum',
      },
      80,
    );

    const widget = (title: string, metrics: unknown[][], x: number, y: number) => ({
      type: 'metric',
      x,
      y,
      width: 12,
      height: 6,
      properties: { title, region: options.region, stat: 'Sum', period: 60, metrics },
    });
    new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: `${options.prefix}-sale`,
      dashboardBody: JSON.stringify({
        widgets: [
          widget(
            'REST requests and 5xx',
            [
              ['AWS/ApiGateway', 'Count', 'ApiId', options.httpApiId],
              ['.', '5xx', '.', '.'],
            ],
            0,
            0,
          ),
          widget(
            'Holds: invocations, errors',
            [
              ['AWS/Lambda', 'Invocations', 'FunctionName', options.reserveFunctionName],
              ['.', 'Errors', '.', '.'],
            ],
            12,
            0,
          ),
          widget(
            'Aurora CPU',
            [
              [
                'AWS/RDS',
                'CPUUtilization',
                'DBClusterIdentifier',
                options.clusterIdentifier,
                { stat: 'Average' },
              ],
            ],
            0,
            6,
          ),
          widget(
            'Redis memory %',
            [
              [
                'AWS/ElastiCache',
                'DatabaseMemoryUsagePercentage',
                'CacheClusterId',
                options.redisNodeId,
                { stat: 'Maximum' },
              ],
            ],
            12,
            6,
          ),
          widget(
            'Relay lag, ms (max)',
            [
              [
                METRICS_NAMESPACE,
                'RelayLag',
                'service',
                METRICS_SERVICE,
                'kind',
                'concert-update',
                { stat: 'Maximum' },
              ],
              ['.', '.', '.', '.', '.', 'admin-notification', { stat: 'Maximum' }],
            ],
            12,
            12,
          ),
          widget(
            'Job runs by outcome',
            [
              [
                {
                  expression: `SEARCH('{${METRICS_NAMESPACE},service,job,outcome} MetricName="JobRuns"', 'Sum', 60)`,
                  id: 'jobs',
                },
              ],
            ],
            0,
            18,
          ),
          widget(
            'Dead-letter queues',
            options.deadLetterQueueNames.map((queue) => [
              'AWS/SQS',
              'ApproximateNumberOfMessagesVisible',
              'QueueName',
              queue,
              { stat: 'Maximum' },
            ]),
            0,
            12,
          ),
        ],
      }),
    });
  }
}
