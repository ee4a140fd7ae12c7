import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { ExportObject, SplitOutcome } from '../../lambdas/splitter/splitter-handler.ts';
import { syntheticAuth0ExportLines } from '../../scripts/synthetic-auth0-export.ts';
import { WorkOsAuthenticationError } from '../../src/errors.ts';
import { SNAPSHOT_PREFIX } from '../../src/model/key-prefixes.ts';
import { takeWorkOsSnapshot } from '../../src/snapshot/take-workos-snapshot.ts';
import { WorkOsSnapshot } from '../../src/snapshot/workos-snapshot.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import { queueDepth } from '../helpers/aws-clients.ts';
import {
  type AwsPipelineFixture,
  contextRunningOutWhen,
  createAwsPipelineFixture,
  fixtureApiKey,
  splitterContext,
} from '../helpers/aws-pipeline-fixture.ts';
import { captureConsoleLines } from '../helpers/captured-logs.ts';

/**
 * The WorkOS snapshot as a step of the AWS job: the real splitter and consumer handlers, S3,
 * SQS, DynamoDB and Secrets Manager on moto, and the WorkOS emulator through the SDK. Each test
 * counts the emulator's reads and writes, never the time.
 */
describe('The WorkOS snapshot on AWS (moto + WorkOS emulator)', () => {
  const fixtures: AwsPipelineFixture[] = [];
  const logged: string[] = [];

  /** A pipeline of its own; WorkOS's write limit is lifted so that seeding takes no time. */
  async function pipeline(options: Parameters<typeof createAwsPipelineFixture>[1] = {}) {
    const created = await createAwsPipelineFixture(inject('awsEndpoint'), {
      ...options,
      emulatorOptions: { writeLimit: false },
    });
    fixtures.push(created);
    return created;
  }

  beforeAll(() => {
    // Every log line the handlers write, to prove none of the snapshot step's carries PII.
    captureConsoleLines(logged);
  });
  afterEach(async () => {
    for (const fixture of fixtures.splice(0)) await fixture.close();
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  function readsSince(fixture: AwsPipelineFixture, reads: number): number {
    return fixture.emulator.stats().reads - reads;
  }

  /** The emulator through the SDK, as the Lambdas reach WorkOS. */
  function directoryOf(fixture: AwsPipelineFixture): WorkOsUserDirectory {
    return new WorkOsUserDirectory(
      createWorkOsClient({ apiKey: fixtureApiKey, apiUrl: fixture.emulator.url, timeoutMs: 5_000 }),
    );
  }

  /** WorkOS users created directly, as another application would (no import metadata). */
  async function seedWorkOsUsers(
    fixture: AwsPipelineFixture,
    count: number,
    name = 'seeded',
  ): Promise<void> {
    const directory = directoryOf(fixture);
    for (let start = 0; start < count; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, (_, offset) =>
          directory.createUser({
            email: `${name}${start + offset}@example.org`,
            emailVerified: true,
            externalId: `other-app|${name}${start + offset}`,
            metadata: {},
          }),
        ),
      );
    }
  }

  /** The job's objects under the snapshot prefix, by name. */
  async function snapshotObjects(fixture: AwsPipelineFixture, jobId: string) {
    const listed = await fixture.aws.s3.send(
      new ListObjectsV2Command({ Bucket: fixture.bucket, Prefix: `${SNAPSHOT_PREFIX}${jobId}/` }),
    );
    return (listed.Contents ?? []).map((object) =>
      object.Key?.slice(`${SNAPSHOT_PREFIX}${jobId}/`.length),
    );
  }

  async function storedSnapshotOf(fixture: AwsPipelineFixture, jobId: string) {
    const object = await fixture.aws.s3.send(
      new GetObjectCommand({
        Bucket: fixture.bucket,
        Key: `${SNAPSHOT_PREFIX}${jobId}/workos-users.snapshot`,
      }),
    );
    const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    return { bytes, eTag: object.ETag, snapshot: WorkOsSnapshot.fromBytes(bytes) };
  }

  /** What listing the emulator now gives, through the SDK: the snapshot every user is in. */
  async function listedNow(fixture: AwsPipelineFixture): Promise<WorkOsSnapshot> {
    return (await takeWorkOsSnapshot({ directory: directoryOf(fixture) })).snapshot;
  }

  function jobIdOf(outcome: SplitOutcome | undefined): string {
    return outcome?.jobId ?? '';
  }

  it('settles every user of the same export uploaded again as a new job unchanged: no message, no WorkOS write, one listing', async () => {
    const fixture = await pipeline();
    const lines = [...syntheticAuth0ExportLines(250, { seed: 'again' })];
    const [first] = await fixture.splitter(
      await fixture.upload('exports/tenant.ndjson', lines),
      splitterContext(),
    );
    await fixture.drain();
    expect(fixture.emulator.users()).toHaveLength(250);
    const before = fixture.emulator.stats();

    // The same file again, under another key: a new job.
    const [second] = await fixture.splitter(
      await fixture.upload('exports/tenant-again.ndjson', lines),
      splitterContext(),
    );
    const depth = await queueDepth(fixture.aws.sqs, fixture.queues.queueUrl);
    const consumed = await fixture.drain();
    const after = fixture.emulator.stats();

    // The first job listed an empty environment; the second, the 250 users the first imported.
    expect(first).toMatchObject({ snapshot: { users: 0, pagesRead: 1 } });
    const jobId = jobIdOf(second);
    const stored = await storedSnapshotOf(fixture, jobId);
    expect(second).toEqual({
      jobId,
      read: 250,
      enqueued: 0,
      notEnqueued: 250,
      throughLine: expect.any(Number),
      completed: true,
      snapshot: {
        users: 250,
        bytes: stored.bytes.length,
        pagesRead: 3,
        rateLimited: 0,
        pagesReadNow: 3,
      },
    });
    expect(depth).toBe(0);
    expect(consumed.messagesReceived).toBe(0);
    // Listing reads: ceil(250 / 100) = 3, and nothing else read or wrote WorkOS.
    expect(after.reads - before.reads).toBe(3);
    expect(after.writes - before.writes).toBe(0);
    const { job, outcomes } = await fixture.expectLedgerMatchesWorkOs(jobId);
    expect(job?.counts).toEqual({ created: 0, updated: 0, unchanged: 250, rejected: 0, failed: 0 });
    const byExternalId = new Map(
      fixture.emulator.users().map((user) => [user.externalId, user.id]),
    );
    const mismatched = outcomes.filter(
      (outcome) =>
        outcome.status !== 'unchanged' ||
        outcome.workosUserId !== byExternalId.get(outcome.sourceId ?? ''),
    );
    expect(mismatched).toEqual([]);
    expect(stored.snapshot.size).toBe(250);
    expect(await snapshotObjects(fixture, jobId)).toEqual(['workos-users.snapshot']);
  });

  it('imports a delta export with one write per changed and new user and lists the removed ones absent', async () => {
    const fixture = await pipeline();
    const lines = [...syntheticAuth0ExportLines(250, { seed: 'delta' })];
    await fixture.splitter(await fixture.upload('exports/bulk.ndjson', lines), splitterContext());
    await fixture.drain();
    const idOf = new Map(fixture.emulator.users().map((user) => [user.externalId, user.id]));
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const removed = parsed.slice(100, 105);
    const renamed = new Set([10, 60, 110, 160, 210]);
    const delta = [
      ...parsed
        .map((user, index) => (renamed.has(index) ? { ...user, given_name: 'Renamed' } : user))
        .filter((user) => !removed.includes(user)),
      ...[...syntheticAuth0ExportLines(5, { seed: 'delta-new' })].map(
        (line) => JSON.parse(line) as Record<string, unknown>,
      ),
    ].map((user) => JSON.stringify(user));
    const before = fixture.emulator.stats();

    const [split] = await fixture.splitter(
      await fixture.upload('exports/delta.ndjson', delta),
      splitterContext(),
    );
    const consumed = await fixture.drain();
    const after = fixture.emulator.stats();

    // 5 updates and 5 creates: exactly one write each, no refused create.
    expect(consumed.messagesReceived).toBe(10);
    expect(after.writes - before.writes).toBe(10);
    expect(after.usersUpdated - before.usersUpdated).toBe(5);
    expect(after.usersCreated - before.usersCreated).toBe(5);
    const jobId = jobIdOf(split);
    const outcomes = await fixture.outcomesOf(jobId);
    const users = outcomes.filter((outcome) => outcome.kind === 'user');
    expect(users.filter((outcome) => outcome.status === 'updated')).toHaveLength(5);
    expect(users.filter((outcome) => outcome.status === 'created')).toHaveLength(5);
    expect(users.filter((outcome) => outcome.status === 'unchanged')).toHaveLength(240);
    const absent = outcomes.filter((outcome) => outcome.kind === 'absent');
    expect(new Set(absent.map((outcome) => outcome.workosUserId))).toEqual(
      new Set(removed.map((user) => idOf.get(String(user.user_id)))),
    );
    expect(absent.every((outcome) => outcome.reason === 'absent_from_export')).toBe(true);
  });

  it('goes on with a listing cut short by the time limit in the next invocation, from its checkpoint, to the snapshot of every user', async () => {
    const fixture = await pipeline({ snapshotCheckpointEveryPages: 2 });
    await seedWorkOsUsers(fixture, 1_050);
    const lines = [...syntheticAuth0ExportLines(20, { seed: 'cut-short' })];
    const event = await fixture.upload('exports/cut-short.ndjson', lines);
    const reads = fixture.emulator.stats().reads;

    // Time runs out once WorkOS has answered three pages: the listing yields there.
    const [first] = await fixture.splitter(
      event,
      contextRunningOutWhen(() => readsSince(fixture, reads) >= 3, 'yield'),
    );
    const readsOfFirst = readsSince(fixture, reads);
    const jobId = jobIdOf(first);
    const objectsAfterFirst = await snapshotObjects(fixture, jobId);
    const depthAfterFirst = await queueDepth(fixture.aws.sqs, fixture.queues.queueUrl);
    const jobAfterFirst = await fixture.ledger.getJob(jobId);
    const continuation = fixture.continuations[0] as ExportObject;
    const [second] = await fixture.splitter({ continueSplit: continuation }, splitterContext());
    const readsOfSecond = readsSince(fixture, reads) - readsOfFirst;

    expect(first).toEqual({
      jobId,
      completed: false,
      snapshot: expect.objectContaining({ users: 300, pagesRead: 3, pagesReadNow: 3 }),
    });
    expect(fixture.continuations).toHaveLength(1);
    expect(objectsAfterFirst).toEqual(['workos-users.partial']);
    // Nothing of the export is split before the snapshot is complete.
    expect(depthAfterFirst).toBe(0);
    expect(jobAfterFirst).toMatchObject({ splitState: 'splitting', read: 0 });
    // The continuation reads the 8 pages after the checkpoint: 11 in all, each once.
    expect([readsOfFirst, readsOfSecond]).toEqual([3, 8]);
    expect(second).toMatchObject({
      completed: true,
      read: 20,
      enqueued: 20,
      snapshot: { users: 1_050, pagesRead: 11, pagesReadNow: 8 },
    });
    const stored = await storedSnapshotOf(fixture, jobId);
    expect(stored.bytes).toEqual((await listedNow(fixture)).toBytes());
    const missing = fixture.emulator
      .users()
      .filter(
        (user) => stored.snapshot.findByExternalId(user.externalId ?? '')?.workosUserId !== user.id,
      );
    expect(missing).toEqual([]);
    await fixture.drain();
    await fixture.expectLedgerMatchesWorkOs(jobId);
  });

  it('gives a retry and a duplicate S3 event the snapshot the split began with, listing nothing again', async () => {
    const fixture = await pipeline();
    await seedWorkOsUsers(fixture, 250);
    const lines = [...syntheticAuth0ExportLines(80, { seed: 'retried' })];
    const event = await fixture.upload('exports/retried.ndjson', lines);
    const reads = fixture.emulator.stats().reads;

    // Killed in the split, once the listing is done and 60 records are split: after the
    // split's checkpoint at record 50.
    let recordsAsked = 0;
    const killedAfterSixtyRecords = contextRunningOutWhen(() => {
      if (readsSince(fixture, reads) < 3) return false;
      recordsAsked += 1;
      return recordsAsked > 60;
    }, 'crash');
    await expect(fixture.splitter(event, killedAfterSixtyRecords)).rejects.toThrow(
      'runtime killed',
    );
    const afterCrash = await fixture.ledger.listJobs(1);
    const readsOfFirst = readsSince(fixture, reads);
    const jobId = afterCrash[0]?.jobId ?? '';
    const storedFirst = await storedSnapshotOf(fixture, jobId);
    // WorkOS changes before the retry: the job keeps the snapshot its split began with.
    await seedWorkOsUsers(fixture, 1, 'later');
    const [retried] = await fixture.splitter(event, splitterContext());
    const [duplicate] = await fixture.splitter(event, splitterContext());

    expect(afterCrash[0]).toMatchObject({ splitState: 'splitting', splitThroughLine: 50 });
    expect(readsOfFirst).toBe(3);
    expect(readsSince(fixture, reads)).toBe(3);
    expect(retried).toMatchObject({
      completed: true,
      read: 80,
      snapshot: { users: 250, pagesRead: 3, pagesReadNow: 0 },
    });
    expect(duplicate).toEqual({ jobId, skipped: 'already_split' });
    expect((await storedSnapshotOf(fixture, jobId)).eTag).toBe(storedFirst.eTag);
    await fixture.drain();
    const { job } = await fixture.expectLedgerMatchesWorkOs(jobId);
    expect(job?.counts).toMatchObject({ created: 80, failed: 0 });
  });

  it('makes no listing call for a job with skipWorkosSnapshot', async () => {
    const fixture = await pipeline();
    await seedWorkOsUsers(fixture, 120);
    const lines = [...syntheticAuth0ExportLines(30, { seed: 'skipped' })];
    await fixture.uploadFile('jobs/skipped/users.ndjson', `${lines.join('\n')}\n`);
    const event = await fixture.uploadFile(
      'jobs/skipped/manifest.json',
      JSON.stringify({ files: [{ key: 'users.ndjson' }], options: { skipWorkosSnapshot: true } }),
    );
    const before = fixture.emulator.stats();

    const [split] = await fixture.splitter(event, splitterContext());

    expect(fixture.emulator.stats().reads - before.reads).toBe(0);
    expect(fixture.emulator.stats().requests - before.requests).toBe(0);
    expect(split).toMatchObject({ completed: true, read: 30, enqueued: 30 });
    expect(split).not.toHaveProperty('snapshot');
    expect(await snapshotObjects(fixture, jobIdOf(split))).toEqual([]);
  });

  it('halts the job before any record is sent when WorkOS refuses the key the listing uses', async () => {
    const fixture = await pipeline({ secretValue: 'sk_test_revoked' });
    const event = await fixture.upload('exports/refused.ndjson', [
      ...syntheticAuth0ExportLines(10, { seed: 'refused' }),
    ]);

    await expect(fixture.splitter(event, splitterContext())).rejects.toBeInstanceOf(
      WorkOsAuthenticationError,
    );

    const [job] = await fixture.ledger.listJobs(1);
    expect(job).toMatchObject({ haltReason: 'workos_unauthorized', read: 0 });
    expect(fixture.emulator.stats()).toMatchObject({ unauthorized: 1, writes: 0 });
    expect(await queueDepth(fixture.aws.sqs, fixture.queues.queueUrl)).toBe(0);
    expect(await snapshotObjects(fixture, job?.jobId ?? '')).toEqual([]);
  });

  it('logs the listing with counts only: no email in any line', () => {
    const joined = logged.join('\n');
    for (const message of [
      'WorkOS listing started',
      'WorkOS listing checkpointed',
      'WorkOS listing paused for a continuation',
      'WorkOS listing resumed from its checkpoint',
      'WorkOS snapshot taken',
      'WorkOS snapshot read back',
    ]) {
      expect(joined).toContain(message);
    }
    expect(joined).not.toMatch(/@example\.(com|org)/);
  });
});
