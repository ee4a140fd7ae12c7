import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  type Put,
  PutItemCommand,
  paginateQuery,
  QueryCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { recordPosition } from '../model/import-message.ts';
import {
  emptyOutcomeCounts,
  emptyOutcomeCountsByKind,
  inferRecordKind,
  isRecordKind,
  type OutcomeCounts,
  type OutcomeCountsByKind,
  type RecordKind,
  type RecordOutcome,
  type RecordStatus,
  recordKinds,
  recordStatuses,
} from '../model/outcome.ts';
import {
  jobPartitionKey,
  jobSortKey,
  jobsIndexPartition,
  ledgerTable,
  recordSortKey,
} from './ledger-table.ts';
import {
  isFinalStatus,
  type JobDescriptor,
  type JobSnapshot,
  type MigrationLedger,
  type RecordClaim,
  type RecordResult,
  type SplitClaim,
  type SplitProgress,
} from './migration-ledger.ts';

export interface DynamoDbLedgerOptions {
  dynamodb: DynamoDBClient;
  tableName: string;
  /** Days before DynamoDB expires a job's items. */
  retentionDays: number;
  now?: () => number;
}

const { partitionKey: pk, sortKey: sk } = ledgerTable;
/**
 * The job item counts every outcome by status (`created`...), and those of records that are not
 * users by kind too (`joined_created`...): users are the rest, so a job whose outcomes were
 * recorded before records had a kind counts them all as users.
 */
const countedKinds = recordKinds.filter((kind) => kind !== 'user');

function kindCounter(kind: RecordKind, status: RecordStatus): string | undefined {
  return kind === 'user' ? undefined : `${kind}_${status}`;
}

/** A record's state as its job's counters know it. */
interface CountedRecord {
  status: RecordStatus;
  /** The kind its outcome was counted under: `user` for an item stored without one. */
  kind: RecordKind;
}

/** Attempts of a record transition that keeps losing races with a concurrent writer. */
const maxTransitionAttempts = 5;

/**
 * The migration ledger in DynamoDB. Counters live on the job item and move in the same
 * transaction as the record item they count, under conditions that make a transition happen
 * once: a duplicate delivery, a concurrent consumer or a retried call never counts twice.
 */
export class DynamoDbMigrationLedger implements MigrationLedger {
  readonly #dynamodb: DynamoDBClient;
  readonly #tableName: string;
  readonly #retentionSeconds: number;
  readonly #now: () => number;

  constructor({ dynamodb, tableName, retentionDays, now = Date.now }: DynamoDbLedgerOptions) {
    this.#dynamodb = dynamodb;
    this.#tableName = tableName;
    this.#retentionSeconds = retentionDays * 86_400;
    this.#now = now;
  }

  async claimSplit(job: JobDescriptor, leaseUntil: number): Promise<SplitClaim> {
    const now = this.#now();
    const timestamp = new Date(now).toISOString();
    try {
      await this.#dynamodb.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: marshall(
            {
              [pk]: jobPartitionKey(job.jobId),
              [sk]: jobSortKey,
              [ledgerTable.jobsIndex.partitionKey]: jobsIndexPartition,
              [ledgerTable.jobsIndex.sortKey]: `${timestamp}#${job.jobId}`,
              ...job,
              splitState: 'splitting',
              read: 0,
              enqueued: 0,
              splitThroughLine: 0,
              ...emptyOutcomeCounts(),
              leaseUntil,
              createdAt: timestamp,
              updatedAt: timestamp,
              [ledgerTable.timeToLiveAttribute]: this.#expiresAt(),
            },
            { removeUndefinedValues: true },
          ),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': pk },
        }),
      );
      return { action: 'split', resumeAfterLine: 0, read: 0, enqueued: 0 };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }

    try {
      const result = await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: jobKey(job.jobId),
          UpdateExpression: 'SET leaseUntil = :lease, updatedAt = :now',
          ConditionExpression: 'splitState = :splitting AND leaseUntil < :nowMs',
          ExpressionAttributeValues: marshall({
            ':lease': leaseUntil,
            ':now': timestamp,
            ':nowMs': now,
            ':splitting': 'splitting',
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = unmarshall(result.Attributes ?? {});
      return {
        action: 'resume',
        resumeAfterLine: Number(item.splitThroughLine ?? 0),
        read: Number(item.read ?? 0),
        enqueued: Number(item.enqueued ?? 0),
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.getJob(job.jobId);
      return {
        action: 'skip',
        reason: current?.splitState === 'split' ? 'already_split' : 'in_progress',
      };
    }
  }

  async checkpointSplit(
    jobId: string,
    progress: SplitProgress,
    options: { release?: boolean } = {},
  ): Promise<void> {
    await this.#updateSplit(jobId, progress, 'splitting', options.release ? 0 : undefined);
  }

  async releaseSplit(jobId: string): Promise<void> {
    await this.#dynamodb.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: jobKey(jobId),
        UpdateExpression: 'SET leaseUntil = :zero, updatedAt = :now',
        ExpressionAttributeValues: marshall({ ':zero': 0, ':now': this.#timestamp() }),
      }),
    );
  }

  async completeSplit(jobId: string, progress: SplitProgress): Promise<void> {
    await this.#updateSplit(jobId, progress, 'split', 0);
  }

  async recordOutcome(outcome: RecordOutcome): Promise<RecordResult> {
    for (let attempt = 1; ; attempt += 1) {
      const current =
        attempt === 1
          ? undefined
          : await this.#countedRecord(outcome.origin.jobId, recordPosition(outcome.origin));
      if (current !== undefined && isFinalStatus(current.status)) return 'already_final';
      try {
        await this.#transition(outcome, current);
        return 'recorded';
      } catch (error) {
        // The record changed under us (a first outcome raced another, or a failure was
        // replaced): read it again and decide anew.
        if (!(error instanceof TransactionCanceledException) || attempt >= maxTransitionAttempts) {
          throw error;
        }
      }
    }
  }

  async claimRecord(
    jobId: string,
    position: number,
    claim: { token: string; leaseUntil: number },
  ): Promise<RecordClaim> {
    try {
      await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: recordKey(jobId, position),
          UpdateExpression: 'SET claimToken = :token, claimUntil = :lease, #ttl = :expires',
          ConditionExpression:
            '(attribute_not_exists(#status) OR #status = :failed) AND ' +
            '(attribute_not_exists(claimUntil) OR claimUntil < :now)',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#ttl': ledgerTable.timeToLiveAttribute,
          },
          ExpressionAttributeValues: marshall({
            ':token': claim.token,
            ':lease': claim.leaseUntil,
            ':expires': this.#expiresAt(),
            ':failed': 'failed',
            ':now': this.#now(),
          }),
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const outcome = await this.outcomeOf(jobId, position);
      return outcome !== undefined && isFinalStatus(outcome.status) ? 'final' : 'busy';
    }
  }

  async releaseRecord(jobId: string, position: number, token: string): Promise<void> {
    try {
      await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: recordKey(jobId, position),
          UpdateExpression: 'REMOVE claimToken, claimUntil',
          ConditionExpression: 'claimToken = :token',
          ExpressionAttributeValues: marshall({ ':token': token }),
        }),
      );
    } catch (error) {
      // Not ours any more (expired and taken, or replaced by an outcome): nothing to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async outcomeOf(jobId: string, position: number): Promise<RecordOutcome | undefined> {
    const item = await this.#recordItem(jobId, position);
    return item === undefined ? undefined : outcomeFromItem(item);
  }

  async #countedRecord(jobId: string, position: number): Promise<CountedRecord | undefined> {
    const item = await this.#recordItem(jobId, position);
    if (item === undefined || typeof item.status !== 'string') return undefined;
    return {
      status: item.status as RecordStatus,
      kind: isRecordKind(item.kind) ? item.kind : 'user',
    };
  }

  async #recordItem(jobId: string, position: number): Promise<Record<string, unknown> | undefined> {
    const result = await this.#dynamodb.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: recordKey(jobId, position),
        ConsistentRead: true,
      }),
    );
    return result.Item === undefined ? undefined : unmarshall(result.Item);
  }

  async haltJob(jobId: string, reason: string): Promise<void> {
    await this.#dynamodb.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: jobKey(jobId),
        UpdateExpression: 'SET haltReason = :reason, updatedAt = :now',
        ExpressionAttributeValues: marshall({ ':reason': reason, ':now': this.#timestamp() }),
      }),
    );
  }

  async resumeJob(jobId: string): Promise<void> {
    await this.#dynamodb.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: jobKey(jobId),
        UpdateExpression: 'REMOVE haltReason SET updatedAt = :now',
        ExpressionAttributeValues: marshall({ ':now': this.#timestamp() }),
      }),
    );
  }

  async getJob(jobId: string): Promise<JobSnapshot | undefined> {
    const result = await this.#dynamodb.send(
      new GetItemCommand({ TableName: this.#tableName, Key: jobKey(jobId), ConsistentRead: true }),
    );
    return result.Item === undefined ? undefined : jobFromItem(unmarshall(result.Item));
  }

  async listJobs(limit = 50): Promise<JobSnapshot[]> {
    const result = await this.#dynamodb.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: ledgerTable.jobsIndex.name,
        KeyConditionExpression: '#gpk = :jobs',
        ExpressionAttributeNames: { '#gpk': ledgerTable.jobsIndex.partitionKey },
        ExpressionAttributeValues: marshall({ ':jobs': jobsIndexPartition }),
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => jobFromItem(unmarshall(item)));
  }

  async *listOutcomes(jobId: string): AsyncGenerator<RecordOutcome> {
    const pages = paginateQuery(
      { client: this.#dynamodb },
      {
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :job AND begins_with(#sk, :records)',
        ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
        ExpressionAttributeValues: marshall({ ':job': jobPartitionKey(jobId), ':records': 'REC#' }),
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const outcome = outcomeFromItem(unmarshall(item));
        if (outcome !== undefined) yield outcome;
      }
    }
  }

  /**
   * One record transition and its counters, atomically. `previous` is the status the record is
   * known to have (undefined: none yet); the write only happens if that is still so.
   */
  async #transition(outcome: RecordOutcome, counted: CountedRecord | undefined): Promise<void> {
    const previous = counted?.status;
    const { jobId, line, file, sourceFile } = outcome.origin;
    const recordItem = marshall(
      {
        [pk]: jobPartitionKey(jobId),
        [sk]: recordSortKey(recordPosition(outcome.origin)),
        line,
        file,
        sourceFile,
        sourceId: outcome.sourceId,
        kind: outcome.kind,
        status: outcome.status,
        workosUserId: outcome.workosUserId,
        reason: outcome.reason,
        updatedAt: this.#timestamp(),
        [ledgerTable.timeToLiveAttribute]: this.#expiresAt(),
      },
      { removeUndefinedValues: true },
    );
    const deltas = new Map<string, number>();
    const count = (counter: string | undefined, delta: number) => {
      if (counter !== undefined) deltas.set(counter, (deltas.get(counter) ?? 0) + delta);
    };
    count(outcome.status, 1);
    count(kindCounter(outcome.kind, outcome.status), 1);
    if (counted !== undefined) {
      count(counted.status, -1);
      count(kindCounter(counted.kind, counted.status), -1);
    }
    const changed = [...deltas].filter(([, delta]) => delta !== 0);
    const counterNames: Record<string, string> = {};
    const counterValues: Record<string, unknown> = { ':now': this.#timestamp() };
    const additions = changed.map(([counter, delta], index) => {
      counterNames[`#c${index}`] = counter;
      counterValues[`:d${index}`] = delta;
      return `#c${index} :d${index}`;
    });
    const counterUpdate = `ADD ${additions.join(', ')} SET updatedAt = :now`;
    const recordCondition: Pick<
      Put,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      previous === undefined
        ? {
            // The item may exist already, holding only the claim of the delivery recording it.
            ConditionExpression: 'attribute_not_exists(#status)',
            ExpressionAttributeNames: { '#status': 'status' },
          }
        : {
            ConditionExpression: '#status = :previous',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: marshall({ ':previous': previous }),
          };
    const items: TransactWriteItem[] =
      changed.length === 0
        ? // failed → failed with a new reason: the counters stay as they are.
          [{ Put: { TableName: this.#tableName, Item: recordItem, ...recordCondition } }]
        : [
            { Put: { TableName: this.#tableName, Item: recordItem, ...recordCondition } },
            {
              Update: {
                TableName: this.#tableName,
                Key: jobKey(jobId),
                UpdateExpression: counterUpdate,
                ExpressionAttributeNames: counterNames,
                ExpressionAttributeValues: marshall(counterValues),
              },
            },
          ];
    await this.#dynamodb.send(new TransactWriteItemsCommand({ TransactItems: items }));
  }

  async #updateSplit(
    jobId: string,
    progress: SplitProgress,
    splitState: 'splitting' | 'split',
    leaseUntil: number | undefined,
  ): Promise<void> {
    const values: Record<string, unknown> = {
      ':read': progress.read,
      ':enqueued': progress.enqueued,
      ':through': progress.throughLine,
      ':state': splitState,
      ':now': this.#timestamp(),
    };
    if (leaseUntil !== undefined) values[':lease'] = leaseUntil;
    await this.#dynamodb.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: jobKey(jobId),
        UpdateExpression:
          'SET #read = :read, enqueued = :enqueued, splitThroughLine = :through, ' +
          `splitState = :state, updatedAt = :now${leaseUntil === undefined ? '' : ', leaseUntil = :lease'}`,
        ExpressionAttributeNames: { '#read': 'read' },
        ExpressionAttributeValues: marshall(values),
      }),
    );
  }

  #timestamp(): string {
    return new Date(this.#now()).toISOString();
  }

  #expiresAt(): number {
    return Math.floor(this.#now() / 1000) + this.#retentionSeconds;
  }
}

function jobKey(jobId: string) {
  return marshall({ [pk]: jobPartitionKey(jobId), [sk]: jobSortKey });
}

function recordKey(jobId: string, position: number) {
  return marshall({ [pk]: jobPartitionKey(jobId), [sk]: recordSortKey(position) });
}

/** A record item holding only a claim has no outcome yet. */
function outcomeFromItem(item: Record<string, unknown>): RecordOutcome | undefined {
  if (typeof item.status !== 'string') return undefined;
  const jobId = String(item[pk]).slice('JOB#'.length);
  const reason = typeof item.reason === 'string' ? item.reason : undefined;
  return {
    origin: {
      jobId,
      sourceFile: String(item.sourceFile),
      line: Number(item.line),
      ...(typeof item.file === 'number' ? { file: item.file } : {}),
    },
    kind: isRecordKind(item.kind) ? item.kind : inferRecordKind(reason),
    status: item.status as RecordStatus,
    ...(typeof item.sourceId === 'string' ? { sourceId: item.sourceId } : {}),
    ...(typeof item.workosUserId === 'string' ? { workosUserId: item.workosUserId } : {}),
    ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
  };
}

function jobFromItem(item: Record<string, unknown>): JobSnapshot {
  const counts: OutcomeCounts = emptyOutcomeCounts();
  for (const status of recordStatuses) counts[status] = Number(item[status] ?? 0);
  return {
    ...jobCountsFromItem(item, counts),
    jobId: String(item.jobId),
    sourceFile: String(item.sourceFile),
    ...(typeof item.bucket === 'string' ? { bucket: item.bucket } : {}),
    ...(typeof item.key === 'string' ? { key: item.key } : {}),
    ...(typeof item.versionId === 'string' ? { versionId: item.versionId } : {}),
    splitState: item.splitState === 'split' ? 'split' : 'splitting',
    read: Number(item.read ?? 0),
    enqueued: Number(item.enqueued ?? 0),
    splitThroughLine: Number(item.splitThroughLine ?? 0),
    ...(typeof item.haltReason === 'string' ? { haltReason: item.haltReason } : {}),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}

function jobCountsFromItem(
  item: Record<string, unknown>,
  counts: OutcomeCounts,
): { counts: OutcomeCounts; countsByKind: OutcomeCountsByKind } {
  const countsByKind = emptyOutcomeCountsByKind();
  for (const status of recordStatuses) {
    let others = 0;
    for (const kind of countedKinds) {
      const count = Number(item[kindCounter(kind, status) ?? ''] ?? 0);
      countsByKind[kind][status] = count;
      others += count;
    }
    countsByKind.user[status] = counts[status] - others;
  }
  return { counts, countsByKind };
}
