/**
 * The migration ledger's DynamoDB layout, shared by the CDK construct that creates the table,
 * the code that reads and writes it, and the tests that create it in an emulator.
 *
 * One table, one partition per job:
 * | pk             | sk                 | item                                                  |
 * | JOB#<jobId>    | JOB                | the job: source, split progress, outcome counters      |
 * | JOB#<jobId>    | REC#<pos, padded>  | one source record: status, source id, WorkOS id, reason |
 * The `jobs` index lists jobs newest first (`gsi1pk` = JOBS, `gsi1sk` = creation time).
 */
export const ledgerTable = {
  partitionKey: 'pk',
  sortKey: 'sk',
  jobsIndex: { name: 'jobs', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Epoch seconds after which DynamoDB deletes the item (reports outlive the exports a while). */
  timeToLiveAttribute: 'expiresAt',
} as const;

export const jobsIndexPartition = 'JOBS';

export function jobPartitionKey(jobId: string): string {
  return `JOB#${jobId}`;
}

export const jobSortKey = 'JOB';

/**
 * Zero-padded so records sort by position (file, then line) within a job: positions stay below
 * 2^53, which has 16 digits.
 */
export function recordSortKey(position: number): string {
  return `REC#${String(position).padStart(16, '0')}`;
}
