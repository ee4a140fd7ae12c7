import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { syntheticAuth0ExportLines } from '../../scripts/synthetic-auth0-export.ts';
import { drainQueue, queueDepth } from '../helpers/aws-clients.ts';
import {
  type AwsPipelineFixture,
  createAwsPipelineFixture,
  splitterContext,
} from '../helpers/aws-pipeline-fixture.ts';
import { captureConsoleLines } from '../helpers/captured-logs.ts';

describe('On AWS (moto): S3 upload → splitter → SQS → consumer → WorkOS emulator', () => {
  let pipeline: AwsPipelineFixture;
  const captured: string[] = [];

  beforeAll(async () => {
    pipeline = await createAwsPipelineFixture(inject('awsEndpoint'));
    // Every log line the handlers write, at every level, to prove none carries PII.
    captureConsoleLines(captured);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await pipeline.close();
  });

  it('imports every valid user exactly once through a 429 burst and 5xx errors, and reports each invalid record with its line and reason', async () => {
    // Prepare: 300 records, every 25th unimportable.
    const lines = [...syntheticAuth0ExportLines(300, { invalidEvery: 25, seed: 'aws' })];
    const event = await pipeline.upload('exports/tenant export.json.gz', lines);
    const { emulator } = pipeline;

    // Act: the split (its snapshot lists the empty environment), then the import, during which
    // WorkOS misbehaves.
    const [summary] = await pipeline.splitter(event, splitterContext());
    emulator.faults.inject({
      status: 429,
      count: 40,
      retryAfterSeconds: 1,
      match: { method: 'POST' },
    });
    emulator.faults.inject({ status: 500, count: 10, match: { method: 'POST' } });
    emulator.faults.inject({ status: 503, count: 10 });
    const consumed = await pipeline.drain();

    // Assess: the split
    // The two blocked users (lines 100 and 225) are rejected by the split: its snapshot shows
    // WorkOS holds no account of theirs to remove.
    expect(summary).toMatchObject({ read: 300, enqueued: 288, notEnqueued: 12, completed: true });
    // Assess: WorkOS holds each valid user once, as exported, and the ledger agrees
    const jobId = summary?.jobId ?? '';
    const { job, outcomes } = await pipeline.expectLedgerMatchesWorkOs(jobId);
    expect(job?.counts).toEqual({
      created: 288,
      updated: 0,
      unchanged: 0,
      rejected: 12,
      failed: 0,
    });
    const users = emulator.users();
    expect(users).toHaveLength(288);
    const expected = lines
      .filter((_, index) => (index + 1) % 25 !== 0)
      .map(
        (line) => JSON.parse(line) as { user_id: string; email: string; email_verified: boolean },
      );
    const byExternalId = new Map(users.map((user) => [user.externalId, user]));
    for (const record of expected) {
      expect(byExternalId.get(record.user_id)).toMatchObject({
        email: record.email,
        emailVerified: record.email_verified,
      });
    }
    // Assess: the faults really happened, and nothing is left failed
    expect(emulator.stats().injectedRateLimits).toBe(40);
    expect(emulator.stats().injectedServerErrors).toBe(20);
    expect(consumed.messagesLeftForRetry).toBeGreaterThan(0);
    expect(await drainQueue(pipeline.aws.sqs, pipeline.queues.dlqUrl)).toEqual([]);
    // Assess: the split's rejections report names each line it rejected, and why: every 25th
    // line, the blocked users (lines 100 and 225) among them; the ledger agrees.
    const report = await pipeline.aws.s3.send(
      new GetObjectCommand({ Bucket: pipeline.bucket, Key: `reports/${jobId}/rejected.csv` }),
    );
    const rows = (await report.Body?.transformToString())?.trim().split('\n') ?? [];
    expect(rows[0]).toBe('source_file,line,source_id,status,workos_user_id,reason');
    expect(rows.slice(1).map((row) => row.split(',')[1])).toEqual(
      Array.from({ length: 12 }, (_, index) => String((index + 1) * 25)),
    );
    for (const row of rows.slice(1)) {
      const blocked = row.split(',')[1] === '100' || row.split(',')[1] === '225';
      expect(row).toMatch(
        blocked
          ? /^exports\/tenant export\.json\.gz,\d+,auth0\|[^,]+,rejected,,blocked$/
          : /^exports\/tenant export\.json\.gz,\d+,[^,]*,rejected,,(missing_email|invalid_json|invalid_email|missing_user_id)$/,
      );
    }
    expect(
      outcomes
        .filter((outcome) => outcome.reason === 'blocked')
        .map((outcome) => outcome.origin.line),
    ).toEqual([100, 225]);
  });

  it('does not split an export again for a duplicate S3 event', async () => {
    const lines = [...syntheticAuth0ExportLines(40, { seed: 'duplicate-event' })];
    const event = await pipeline.upload('exports/again.ndjson', lines);
    const before = pipeline.emulator.users().length;

    const [first] = await pipeline.splitter(event, splitterContext());
    const [second] = await pipeline.splitter(event, splitterContext());
    const depthAfterBoth = await queueDepth(pipeline.aws.sqs, pipeline.queues.queueUrl);
    await pipeline.drain();

    expect(first).toMatchObject({ enqueued: 40, completed: true });
    expect(second).toEqual({ jobId: first?.jobId, skipped: 'already_split' });
    expect(depthAfterBoth).toBe(40);
    expect(pipeline.emulator.users().length).toBe(before + 40);
    await pipeline.expectLedgerMatchesWorkOs(first?.jobId ?? '');
  });

  it('dead-letters a user WorkOS refuses, with the reason on the message, without retrying it', async () => {
    const { emulator } = pipeline;
    emulator.faults.clear();
    const line = JSON.stringify({
      user_id: 'auth0|refused',
      email: 'refused@example.com',
      given_name: 'Rosalind',
    });
    const event = await pipeline.upload('exports/refused.ndjson', [line]);
    // The emulator holds this email for a user with another external id.
    await fetch(`${emulator.url}/user_management/users`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_test_aws_pipeline', 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'refused@example.com', external_id: 'someone-else' }),
    });

    const [summary] = await pipeline.splitter(event, splitterContext());
    await pipeline.drain();

    const deadLettered = await drainQueue(pipeline.aws.sqs, pipeline.queues.dlqUrl);
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]?.messageAttributes).toMatchObject({
      FailureReason: { StringValue: 'email_belongs_to_other_user' },
    });
    expect(deadLettered[0]?.attributes?.ApproximateReceiveCount ?? '1').toBe('1');
    const { job } = await pipeline.expectLedgerMatchesWorkOs(summary?.jobId ?? '');
    expect(job?.counts).toMatchObject({ failed: 1 });
  });

  it('logs no email, name or password hash in any line the handlers wrote', () => {
    const logged = captured.join('');
    expect(logged).toContain('Record outcome');
    expect(logged).toContain('Export split');
    expect(logged).not.toMatch(/user\d+@example\.com/);
    expect(logged).not.toContain('refused@example.com');
    for (const name of ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Rosalind']) {
      expect(logged).not.toContain(name);
    }
  });
});
