import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { TicketingError } from '../../core/errors';
import type { BackupResult, BackupTarget } from '../../ports/backup.port';
import { awsClientConfig } from './aws-client-config';

export interface AwsBackupVerifierOptions {
  /** The Aurora cluster's ARN, as the stack's AWS Backup plan protects it. */
  resourceArn: string;
  maxAgeHours: number;
  region?: string;
  /** Only for a local stand-in that speaks the AWS Backup API. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * On AWS there is nothing to dump: the backup plan snapshots the cluster. The `backup` job verifies that a
 * completed recovery point younger than `maxAgeHours` exists, and fails (so an alarm fires) when not.
 */
export class AwsBackupVerifier implements BackupTarget {
  private readonly client: BackupClient;

  constructor(private readonly options: AwsBackupVerifierOptions) {
    this.client = new BackupClient({
      ...awsClientConfig(options),
    });
  }

  async backUp(): Promise<BackupResult> {
    const newerThan = Date.now() - this.options.maxAgeHours * 3_600_000;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListRecoveryPointsByResourceCommand({ ResourceArn: this.options.resourceArn, NextToken: token }),
      );
      const recent = (page.RecoveryPoints ?? []).find(
        (point) => point.Status === 'COMPLETED' && (point.CreationDate?.getTime() ?? 0) >= newerThan,
      );
      if (recent) {
        return {
          location: recent.RecoveryPointArn ?? 'recovery point',
          bytes: Number(recent.BackupSizeBytes ?? 0),
          pruned: [],
        };
      }
      token = page.NextToken;
    } while (token);
    throw new TicketingError(
      'SERVICE_UNAVAILABLE',
      `No completed recovery point of ${this.options.resourceArn} in the last ${this.options.maxAgeHours} hours`,
    );
  }
}
