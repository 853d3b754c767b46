import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Construct } from 'constructs';
import { type EnvironmentSettings, secretRecoveryWindowDays } from './config';

export interface CacheOptions {
  prefix: string;
  settings: EnvironmentSettings;
  subnetIds: string[];
  securityGroupId: string;
}

/**
 * ElastiCache Redis 7: encrypted in transit and at rest, an auth token kept in Secrets Manager (the
 * Lambdas read it at cold start); in prod a replica in the other AZ with automatic failover.
 */
export class Cache extends Construct {
  readonly replicationGroup: ElasticacheReplicationGroup;
  readonly authTokenSecretArn: string;
  /** `rediss://host:6379`: TLS; the token is added from the secret at run time. */
  readonly url: string;

  constructor(scope: Construct, id: string, options: CacheOptions) {
    super(scope, id);
    const { prefix, settings } = options;
    // Generated once; later plans keep the stored value (ignore_changes below).
    const token = new DataAwsSecretsmanagerRandomPassword(this, 'token', {
      passwordLength: 64,
      excludePunctuation: true,
    });
    const secret = new SecretsmanagerSecret(this, 'token-secret', {
      name: `${prefix}/redis-auth-token`,
      recoveryWindowInDays: secretRecoveryWindowDays(settings),
    });
    new SecretsmanagerSecretVersion(this, 'token-value', {
      secretId: secret.id,
      secretString: token.randomPassword,
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
    const subnets = new ElasticacheSubnetGroup(this, 'subnets', {
      name: `${prefix}-cache`,
      subnetIds: options.subnetIds,
    });
    this.replicationGroup = new ElasticacheReplicationGroup(this, 'redis', {
      replicationGroupId: `${prefix}-redis`,
      description: 'concert-ticket-system: pub/sub, relay stream, connection registry, rate limits',
      engine: 'redis',
      engineVersion: '7.1',
      nodeType: settings.redis.nodeType,
      port: 6379,
      numCacheClusters: settings.multiAz ? 2 : 1,
      automaticFailoverEnabled: settings.multiAz,
      multiAzEnabled: settings.multiAz,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: 'true',
      authToken: token.randomPassword,
      subnetGroupName: subnets.name,
      securityGroupIds: [options.securityGroupId],
      snapshotRetentionLimit: settings.multiAz ? 3 : 0,
      lifecycle: { ignoreChanges: ['auth_token'] },
    });
    this.authTokenSecretArn = secret.arn;
    this.url = `rediss://${this.replicationGroup.primaryEndpointAddress}:6379`;
  }
}
