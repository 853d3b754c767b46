export interface BackupResult {
  /** Where it went: a file path, or the snapshot that was found. */
  location: string;
  bytes: number;
  /** Older backups removed by the retention rule. */
  pruned: string[];
}

/** Makes (or, on AWS, verifies) a backup of the database. */
export interface BackupTarget {
  backUp(): Promise<BackupResult>;
}
