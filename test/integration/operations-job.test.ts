import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SplitOutcome } from '../../lambdas/splitter/splitter-handler.ts';
import { runStatusCommand } from '../../src/cli/status-command.ts';
import { runUploadCommand } from '../../src/cli/upload-command.ts';
import type { DynamoDbMigrationLedger } from '../../src/ledger/dynamodb-ledger.ts';
import type { JobSnapshot } from '../../src/ledger/migration-ledger.ts';
import { type UserMessage, userMessageSchema } from '../../src/model/import-message.ts';
import type { RecordStatus } from '../../src/model/outcome.ts';
import { formatBytes } from '../../src/operations/operator-console.ts';
import {
  createTestAwsClients,
  drainQueue,
  type QueueWithDlq,
  testAwsCredentials,
  testAwsRegion,
  uniqueName,
} from '../helpers/aws-clients.ts';
import {
  createSplitterOnMoto,
  createStackWithOutputs,
  createVersionedBucket,
} from '../helpers/deployed-stack.ts';
import { temporaryExportDirectory } from '../helpers/export-files.ts';
import { runMigrateCli } from '../helpers/migrate-cli.ts';
import { s3ObjectCreatedEvent } from '../helpers/s3-events.ts';

const endpoint = inject('awsEndpoint');
const aws = createTestAwsClients(endpoint);
const cloudformation = new CloudFormationClient({
  endpoint,
  region: testAwsRegion,
  credentials: { ...testAwsCredentials },
});

/** `npm run migrate -- <args>`, with the SDK's default chain pointed at moto. */
const cli = (args: string[]) => runMigrateCli(args, inject('awsEnvironment'));

interface Environment {
  name: string;
  bucket: string;
  queues: QueueWithDlq;
  tableName: string;
  ledger: DynamoDbMigrationLedger;
  split(event: S3Event): Promise<SplitOutcome[]>;
}

/**
 * A deployed environment as the CLI sees it: a versioned export bucket (as the stack's), queues,
 * a ledger table, and a stack named `WorkosUserImport-<env>` whose outputs point at them.
 */
async function deployEnvironment(): Promise<Environment> {
  const name = uniqueName('ops');
  const bucket = await createVersionedBucket(aws.s3);
  const { queues, tableName, ledger, split } = await createSplitterOnMoto(aws, 'ops');
  const outputs: Record<string, string> = {
    ExportBucketName: bucket,
    ExportPrefix: 'exports/',
    UserQueueUrl: queues.queueUrl,
    UserQueueArn: queues.queueArn,
    DeadLetterQueueUrl: queues.dlqUrl,
    DeadLetterQueueArn: queues.dlqArn,
    WorkosApiKeySecretArn: `arn:aws:secretsmanager:${testAwsRegion}:123456789012:secret:workos`,
    SplitterFailureQueueUrl: `${endpoint}/123456789012/splitter-failures`,
    LedgerTableName: tableName,
    ConsumerFunctionName: `${name}-consumer`,
    SplitterFunctionName: `${name}-splitter`,
  };
  await createStackWithOutputs(cloudformation, `WorkosUserImport-${name}`, outputs);
  return {
    name,
    bucket,
    queues,
    tableName,
    ledger,
    split,
  };
}

/** The ObjectCreated event S3 sends for the object as it is now (ETag and version from HEAD). */
async function eventForUploadedObject(bucket: string, key: string): Promise<S3Event> {
  const head = await aws.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (head.ETag === undefined || head.ContentLength === undefined || !head.VersionId) {
    throw new Error(`HeadObject of s3://${bucket}/${key} lacks an ETag, a size or a version`);
  }
  return s3ObjectCreatedEvent({
    bucket,
    key,
    size: head.ContentLength,
    eTag: head.ETag,
    versionId: head.VersionId,
  });
}

const exports = await temporaryExportDirectory();
afterAll(() => exports.cleanup());

describe('migrate upload', () => {
  it('prints the job id the splitter gives the export it uploaded (one PUT)', async () => {
    const environment = await deployEnvironment();
    const { path } = await exports.writeAuth0Export('small-export.ndjson', 12, {
      invalidEvery: 4,
      seed: 'upload',
    });

    const { code, stdout, stderr } = await cli(['upload', path, '--env', environment.name]);

    expect(code, stderr).toBe(0);
    const key = 'exports/small-export.ndjson';
    const event = await eventForUploadedObject(environment.bucket, key);
    const [split] = await environment.split(event);
    const jobId = split?.jobId ?? 'not split';
    const object = event.Records[0]?.s3.object;
    expect(stdout).toBe(
      `Uploaded ${path} (${formatBytes(object?.size ?? 0)}) to s3://${environment.bucket}/${key} ` +
        `(version ${object?.versionId})\n` +
        `  job ${jobId}\n` +
        '\nEach upload starts one import job. Watch it with:\n' +
        `  npm run migrate -- status ${jobId} --env ${environment.name}\n`,
    );
    expect(split).toMatchObject({ read: 12, enqueued: 9, completed: true });
    expect(await environment.ledger.getJob(jobId)).toMatchObject({ read: 12, key });
    // Not a terminal: plain progress lines instead of a bar.
    expect(stderr).toContain('  small-export.ndjson: 100%');
  });

  it('prints the job id the splitter gives an export uploaded in parts (multipart ETag)', async () => {
    const environment = await deployEnvironment();
    const { path, lines } = await exports.writeAuth0Export('large-export.ndjson', 3, {
      seed: 'multipart',
    });
    // Three users and 11 MiB of blank lines (which the splitter skips): three 5 MiB parts.
    const blankLines = `${' '.repeat(1023)}\n`.repeat(11 * 1024);
    await writeFile(path, `${lines.join('\n')}\n${blankLines}`);
    let stdout = '';

    const code = await runUploadCommand(
      [path],
      { env: environment.name, json: true },
      {
        s3: aws.s3,
        cloudformation,
        signal: new AbortController().signal,
        out: (text) => {
          stdout += text;
        },
        err: () => {},
        progress: 'none',
        partSizeBytes: 5 * 1024 * 1024,
      },
    );

    expect(code).toBe(0);
    const key = 'exports/large-export.ndjson';
    const event = await eventForUploadedObject(environment.bucket, key);
    const object = event.Records[0]?.s3.object;
    expect(object?.eTag).toMatch(/-3$/);
    const [split] = await environment.split(event);
    expect(JSON.parse(stdout)).toEqual({
      uploads: [
        {
          file: path,
          bucket: environment.bucket,
          key,
          sizeBytes: object?.size,
          versionId: object?.versionId,
          eTag: object?.eTag,
          jobId: split?.jobId,
        },
      ],
    });
    expect(split).toMatchObject({ read: 3, enqueued: 3, completed: true });
  });

  it('exits 2 and uploads nothing when a file does not exist', async () => {
    const { code, stdout, stderr } = await cli([
      'upload',
      join(exports.directory, 'missing.ndjson'),
      '--env',
      'never-deployed',
    ]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `Error: ${join(exports.directory, 'missing.ndjson')} does not exist or cannot be read\n`,
    );
  });

  it('exits 2 with the deploy command when the environment has no stack', async () => {
    const { path } = await exports.writeAuth0Export('orphan.ndjson', 1);

    const { code, stderr } = await cli(['upload', path, '--env', 'never-deployed']);

    expect(code).toBe(2);
    expect(stderr).toContain('Stack WorkosUserImport-never-deployed not found');
    expect(stderr).toContain('npm run cdk -- deploy -c env=never-deployed');
  });
});

/** The job's records are all users: the splitter's rejections and the outcomes recorded here. */
const expectedCountsByKind = {
  user: { created: 4, updated: 1, unchanged: 1, rejected: 3, failed: 1 },
  organization: { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 },
  membership: { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 },
  joined: { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 },
  absent: { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 },
};

describe('a job uploaded, split and partly imported', () => {
  let environment: Environment;
  let jobId: string;
  /** Each enqueued user by line, as the splitter queued it. */
  const enqueued = new Map<number, UserMessage>();
  const recorded = new Map<number, { status: RecordStatus; workosUserId?: string }>();
  const key = 'exports/users.ndjson';
  let reports: string;

  async function record(line: number, status: RecordStatus): Promise<void> {
    const message = enqueued.get(line);
    if (message === undefined) throw new Error(`line ${line} was not enqueued`);
    const workosUserId = status === 'failed' ? undefined : `user_01TEST${line}`;
    await environment.ledger.recordOutcome({
      origin: message.origin,
      kind: 'user',
      sourceId: message.user.sourceId,
      status,
      ...(workosUserId ? { workosUserId } : { reason: 'workos_503' }),
    });
    recorded.set(line, { status, ...(workosUserId ? { workosUserId } : {}) });
  }

  async function job(): Promise<JobSnapshot> {
    const snapshot = await environment.ledger.getJob(jobId);
    if (snapshot === undefined) throw new Error(`no job ${jobId}`);
    return snapshot;
  }

  beforeAll(async () => {
    environment = await deployEnvironment();
    reports = await mkdtemp(join(tmpdir(), 'operations-report-'));
    const { path } = await exports.writeAuth0Export('users.ndjson', 12, {
      invalidEvery: 4,
      seed: 'status',
    });
    let stdout = '';
    const code = await runUploadCommand(
      [path],
      { env: environment.name, json: true },
      {
        s3: aws.s3,
        cloudformation,
        signal: new AbortController().signal,
        out: (text) => {
          stdout += text;
        },
        err: () => {},
        progress: 'none',
      },
    );
    expect(code).toBe(0);
    jobId = (JSON.parse(stdout) as { uploads: { jobId: string }[] }).uploads[0]?.jobId ?? '';
    await environment.split(await eventForUploadedObject(environment.bucket, key));

    // What the consumer would do with the 9 queued users: 6 imported, 1 dead-lettered, 2 still
    // on the queue.
    for (const message of await drainQueue(aws.sqs, environment.queues.queueUrl)) {
      const user = userMessageSchema.parse(JSON.parse(message.body));
      enqueued.set(user.origin.line, user);
    }
    const lines = [...enqueued.keys()].sort((a, b) => a - b);
    expect(lines).toHaveLength(9);
    const [l1, l2, l3, l4, l5, l6, l7, l8, l9] = lines as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    for (const line of [l1, l2, l3, l4]) await record(line, 'created');
    await record(l5, 'updated');
    await record(l6, 'unchanged');
    await record(l7, 'failed');
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: environment.queues.dlqUrl,
        MessageBody: JSON.stringify(enqueued.get(l7)),
        MessageAttributes: { FailureReason: { DataType: 'String', StringValue: 'workos_503' } },
      }),
    );
    for (const line of [l8, l9]) {
      await aws.sqs.send(
        new SendMessageCommand({
          QueueUrl: environment.queues.queueUrl,
          MessageBody: JSON.stringify(enqueued.get(line)),
        }),
      );
    }
  });

  afterAll(async () => {
    await rm(reports, { recursive: true, force: true });
  });

  /** The documented rate since the start: consumer outcomes over createdAt → updatedAt. */
  function averageRate(snapshot: JobSnapshot, consumed: number): number {
    const elapsedMs = Date.parse(snapshot.updatedAt) - Date.parse(snapshot.createdAt);
    return Math.round(((consumed * 1000) / elapsedMs) * 100) / 100;
  }

  it('status <job> --json prints the counters, the queues and the pace as one object', async () => {
    const snapshot = await job();

    const { code, stdout, stderr } = await cli([
      'status',
      jobId,
      '--env',
      environment.name,
      '--json',
      '--interval',
      '0',
    ]);

    expect(code, stderr).toBe(0);
    const average = averageRate(snapshot, 7);
    expect(JSON.parse(stdout)).toEqual({
      jobId,
      sourceFile: key,
      state: 'importing',
      splitState: 'split',
      haltReason: null,
      read: 12,
      enqueued: 9,
      created: 4,
      updated: 1,
      unchanged: 1,
      rejected: 3,
      failed: 1,
      inFlight: 2,
      countsByKind: expectedCountsByKind,
      createdAt: snapshot.createdAt,
      updatedAt: snapshot.updatedAt,
      deadLetterQueueDepth: 1,
      userQueueDepth: 2,
      ratePerSecond: null,
      averageRatePerSecond: average,
      etaSeconds: Math.ceil(2 / average),
      checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });

  it('status <job> prints the same as text, without bars when stdout is not a terminal', async () => {
    const snapshot = await job();
    const average = averageRate(snapshot, 7);

    const { code, stdout } = await cli([
      'status',
      jobId,
      '--env',
      environment.name,
      '--interval',
      '0',
    ]);

    expect(code).toBe(0);
    const seconds = Math.ceil(2 / average);
    const eta =
      seconds >= 60
        ? `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
        : `${seconds} s`;
    expect(stdout).toBe(
      [
        `Job ${jobId} (${key}), started ${snapshot.createdAt}`,
        '  state     importing',
        '  enqueued  9',
        '  in flight 2',
        '  users',
        '    created              4',
        '    updated              1',
        '    unchanged            1',
        '    rejected             3',
        '    failed               1',
        '  records',
        '    read                12',
        '    joined into a user   0',
        `  rate      ${average} records/s since the start`,
        `  ETA       ${eta}`,
        '  queues    2 message(s) in the user queue, 1 in the dead-letter queue (whole environment)',
        '',
      ].join('\n'),
    );
  });

  it('status without a job lists the latest jobs, as JSON and as a table', async () => {
    const snapshot = await job();

    const json = await cli(['status', '--env', environment.name, '--json']);
    const table = await cli(['status', '--env', environment.name]);

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      jobs: [
        {
          jobId,
          sourceFile: key,
          state: 'importing',
          splitState: 'split',
          haltReason: null,
          read: 12,
          enqueued: 9,
          created: 4,
          updated: 1,
          unchanged: 1,
          rejected: 3,
          failed: 1,
          inFlight: 2,
          countsByKind: expectedCountsByKind,
          createdAt: snapshot.createdAt,
          updatedAt: snapshot.updatedAt,
        },
      ],
      userQueueDepth: 2,
      deadLetterQueueDepth: 1,
    });
    const started = snapshot.createdAt.replace(/\.\d{3}Z$/, 'Z');
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(
      [
        `JOB${' '.repeat(jobId.length - 3)}  STATE      READ  IMPORTED  REJECTED  FAILED  IN FLIGHT  STARTED${' '.repeat(started.length - 7)}  FILE`,
        `${jobId}  importing    12         6         3       1          2  ${started}  ${key}`,
        '',
        '2 message(s) in the user queue, 1 in the dead-letter queue.',
        `One job in detail: npm run migrate -- status <job> --env ${environment.name}`,
        '',
      ].join('\n'),
    );
  });

  it('status exits 1 and says how to list the jobs for a job the ledger does not have', async () => {
    const { code, stdout, stderr } = await cli([
      'status',
      'job_00000000000000000000',
      '--env',
      environment.name,
    ]);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('no job job_00000000000000000000 in the ledger');
    expect(stderr).toContain(`npm run migrate -- status --env ${environment.name}`);
  });

  it('report writes the per-record CSV of local mode: every outcome so far, in line order', async () => {
    const out = join(reports, 'nested', 'report.csv');
    // The splitter's own report of this job's rejections: the rejected rows, independently.
    const rejectedReport = await aws.s3.send(
      new GetObjectCommand({ Bucket: environment.bucket, Key: `reports/${jobId}/rejected.csv` }),
    );
    const rejectedRows = (await rejectedReport.Body?.transformToString())
      ?.trim()
      .split('\n')
      .slice(1);
    expect(rejectedRows).toHaveLength(3);
    const rowsByLine = new Map<number, string>();
    for (const row of rejectedRows ?? []) rowsByLine.set(Number(row.split(',')[1]), row);
    for (const [line, { status, workosUserId }] of recorded) {
      const sourceId = enqueued.get(line)?.user.sourceId;
      rowsByLine.set(
        line,
        `${key},${line},${sourceId},${status},${workosUserId ?? ''},${status === 'failed' ? 'workos_503' : ''}`,
      );
    }
    const expectedCsv = [
      'source_file,line,source_id,status,workos_user_id,reason',
      ...[...rowsByLine.entries()].sort(([a], [b]) => a - b).map(([, row]) => row),
      '',
    ].join('\n');

    const { code, stdout, stderr } = await cli([
      'report',
      jobId,
      '--env',
      environment.name,
      '--out',
      out,
    ]);

    expect(code, stderr).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(expectedCsv);
    expect(stdout).toBe(
      `Wrote 10 row(s) to ${out} (created 4, updated 1, unchanged 1, rejected 3, failed 1).\n` +
        `Job ${jobId} is importing: 2 of the 12 record(s) read have no outcome yet; ` +
        'run the report again once `status` says completed.\n',
    );
  });

  it('report refuses to overwrite an existing file unless --force', async () => {
    const out = join(reports, 'existing.csv');
    await writeFile(out, 'keep me\n');

    const refused = await cli(['report', jobId, '--env', environment.name, '--out', out]);
    const kept = await readFile(out, 'utf8');
    const forced = await cli(['report', jobId, '--env', environment.name, '--out', out, '--force']);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`Error: ${out} already exists; pass --force to overwrite it.\n`);
    expect(kept).toBe('keep me\n');
    expect(forced.code).toBe(0);
    expect((await readFile(out, 'utf8')).split('\n')[0]).toBe(
      'source_file,line,source_id,status,workos_user_id,reason',
    );
  });

  it('report exits 1 and writes nothing for a job the ledger does not have', async () => {
    const out = join(reports, 'unknown.csv');

    const { code, stderr } = await cli([
      'report',
      'job_00000000000000000000',
      '--env',
      environment.name,
      '--out',
      out,
    ]);

    expect(code).toBe(1);
    expect(stderr).toContain('no job job_00000000000000000000 in the ledger');
    await expect(readFile(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  // Last: it imports one more user.
  it('status measures the current rate between two readings and estimates the time left', async () => {
    const [inFlightLine] = [...enqueued.keys()].filter((line) => !recorded.has(line));
    let stdout = '';
    let measuring: Promise<void> | undefined;
    let readings = 0;
    const start = Date.parse('2026-01-01T10:00:00.000Z');

    const code = await runStatusCommand(
      jobId,
      { env: environment.name, json: true, interval: 2, watch: false, limit: 10 },
      {
        dynamodb: aws.dynamodb,
        sqs: aws.sqs,
        cloudformation,
        signal: new AbortController().signal,
        out: (text) => {
          stdout += text;
        },
        // Between the two readings, the consumer imports one user.
        err: (text) => {
          if (text.startsWith('Measuring the rate'))
            measuring = record(inFlightLine ?? 0, 'created');
        },
        // The readings are 2 s apart on this clock, whatever the test machine's pace.
        now: () => start + 2_000 * readings++,
      },
    );

    await measuring;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      created: 5,
      inFlight: 1,
      ratePerSecond: 0.5,
      etaSeconds: 2,
      checkedAt: '2026-01-01T10:00:02.000Z',
    });
  });
});
