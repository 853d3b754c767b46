import { BackupPlan } from '@cdktf/provider-aws/lib/backup-plan';
import { BackupSelection } from '@cdktf/provider-aws/lib/backup-selection';
import { BackupVault } from '@cdktf/provider-aws/lib/backup-vault';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { Construct } from 'constructs';
import { SCHEDULE } from '../functions/core/schedule';
import type { EnvironmentSettings } from './config';
import { toEventBridgeCron } from './cron';

export interface DatabaseOptions {
  prefix: string;
  settings: EnvironmentSettings;
  subnetIds: string[];
  securityGroupId: string;
  availabilityZones: [string, string];
}

export const DATABASE_NAME = 'tickets';

/**
 * The Aurora PostgreSQL major version. Only the major is pinned: RDS picks its default minor at creation
 * and upgrades minors in the maintenance window (auto minor version upgrade), and Terraform ignores the
 * upgraded minor instead of planning a downgrade that RDS refuses ("Cannot upgrade aurora-postgresql
 * from 15.x to 15.y"). A major upgrade is a deliberate change of this constant.
 */
export const AURORA_MAJOR_VERSION = '15';

/**
 * Aurora PostgreSQL 15 (Serverless v2) with the Data API on, storage encrypted, the master password
 * managed by RDS in Secrets Manager; in prod a writer and a reader in two AZs. An AWS Backup plan runs
 * on the `backup` job's schedule, in the same time zone.
 */
export class Database extends Construct {
  readonly cluster: RdsCluster;
  readonly secretArn: string;
  readonly backupPlan: BackupPlan;

  constructor(scope: Construct, id: string, options: DatabaseOptions) {
    super(scope, id);
    const { prefix, settings } = options;
    const subnets = new DbSubnetGroup(this, 'subnets', {
      name: `${prefix}-db`,
      subnetIds: options.subnetIds,
    });
    this.cluster = new RdsCluster(this, 'cluster', {
      clusterIdentifier: `${prefix}-db`,
      engine: 'aurora-postgresql',
      engineMode: 'provisioned',
      engineVersion: AURORA_MAJOR_VERSION,
      allowMajorVersionUpgrade: false,
      databaseName: DATABASE_NAME,
      masterUsername: 'tickets_admin',
      manageMasterUserPassword: true,
      enableHttpEndpoint: true,
      storageEncrypted: true,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [options.securityGroupId],
      availabilityZones: options.availabilityZones,
      backupRetentionPeriod: settings.aurora.backupRetentionDays,
      preferredBackupWindow: '17:00-18:00',
      copyTagsToSnapshot: true,
      deletionProtection: settings.deletionProtection,
      skipFinalSnapshot: !settings.deletionProtection,
      finalSnapshotIdentifier: settings.deletionProtection ? `${prefix}-db-final` : undefined,
      serverlessv2ScalingConfiguration: {
        minCapacity: settings.aurora.minCapacity,
        maxCapacity: settings.aurora.maxCapacity,
      },
      lifecycle: { ignoreChanges: ['availability_zones', 'engine_version'] },
    });
    const zones = settings.multiAz ? options.availabilityZones : options.availabilityZones.slice(0, 1);
    zones.forEach((zone, i) => {
      new RdsClusterInstance(this, `instance-${i}`, {
        identifier: `${prefix}-db-${i === 0 ? 'writer' : 'reader'}`,
        clusterIdentifier: this.cluster.id,
        instanceClass: 'db.serverless',
        engine: 'aurora-postgresql',
        // No engine_version: an Aurora instance runs its cluster's, minor upgrades included.
        autoMinorVersionUpgrade: true,
        availabilityZone: zone,
        promotionTier: i,
      });
    });
    this.secretArn = this.cluster.masterUserSecret.get(0).secretArn;

    // Dev: destroying the stack deletes the recovery points with the vault, so it can be re-created.
    const vault = new BackupVault(this, 'vault', {
      name: `${prefix}-vault`,
      forceDestroy: !settings.deletionProtection,
    });
    const backup = SCHEDULE.find((job) => job.name === 'backup');
    if (!backup) throw new Error('the schedule table has no backup job');
    this.backupPlan = new BackupPlan(this, 'plan', {
      name: `${prefix}-daily`,
      rule: [
        {
          ruleName: 'daily',
          targetVaultName: vault.name,
          schedule: toEventBridgeCron(backup.cron),
          scheduleExpressionTimezone: settings.scheduleTimeZone,
          startWindow: 60,
          completionWindow: 180,
          lifecycle: { deleteAfter: settings.aurora.backupRetentionDays * 2 },
        },
      ],
    });
    const role = new IamRole(this, 'backup-role', {
      name: `${prefix}-backup`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    const backupPolicy = new IamRolePolicyAttachment(this, 'backup-role-policy', {
      role: role.name,
      policyArn: 'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
    });
    new BackupSelection(this, 'selection', {
      name: `${prefix}-db`,
      planId: this.backupPlan.id,
      iamRoleArn: role.arn,
      resources: [this.cluster.arn],
      // AWS Backup assumes the role for the selection's first job: its policy must be there first.
      dependsOn: [backupPolicy],
    });
  }
}
