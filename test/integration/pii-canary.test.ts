import { randomInt } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { redriveDeadLetters } from '../../src/operations/redrive.ts';
import {
  type AwsPipelineFixture,
  createAwsPipelineFixture,
  fixtureApiKey,
  splitterContext,
} from '../helpers/aws-pipeline-fixture.ts';
import { captureConsoleLines } from '../helpers/captured-logs.ts';
import { fakeLambdaContext, runSqsEventSource } from '../helpers/lambda-sqs-event-source.ts';

/**
 * Canary values (emails, names, password hashes, metadata) go through every outcome a record can
 * have: created, rejected, failed (dead-lettered) and redriven, plus a halt on a refused API key.
 * Every log line at every level, every dead-letter attribute, every ledger entry, the rejection
 * report, the operators' redrive summary and every error the handlers threw is then searched
 * for them. None may appear: only ids, line numbers, statuses and reason codes may leave the
 * queue bodies and WorkOS.
 *
 * Every canary embeds one random token made of letters that cannot occur in a hex id, so a search
 * for the token (case-insensitive) also catches a canary that was lowercased, truncated or cut
 * out of its field.
 */

const tokenAlphabet = 'ghijkmnpqrstuvwxyz';
const token = Array.from({ length: 12 }, () => tokenAlphabet[randomInt(tokenAlphabet.length)]).join(
  '',
);
const bcryptAlphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const canary = {
  email: (label: string) => `canary.${token}.${label}@example.com`,
  givenName: (label: string) => `Canarygiven${token}${label}`,
  familyName: (label: string) => `Canaryfamily${token}${label}`,
  /** Shaped like the bcrypt hashes of Auth0's password-hash export, so the source imports it. */
  bcryptHash: (label: string) => {
    const core = `Canaryhash${token}${label}`;
    const padding = Array.from(
      { length: 53 - core.length },
      () => bcryptAlphabet[randomInt(bcryptAlphabet.length)],
    ).join('');
    return `$2b$10$${core}${padding}`;
  },
  /** A hash the source cannot import: the user is created without it, and told to reset. */
  argon2Hash: (label: string) =>
    `$argon2id$v=19$m=65536,t=3,p=4$Canarysalt${token}${label}$Canaryargon${token}${label}`,
  metadata: (label: string) => `Canarymeta${token}${label}`,
};

/** Every canary value this test writes, to report which one leaked. */
const planted: string[] = [];
const plant = <T extends string>(value: T): T => {
  planted.push(value);
  return value;
};

/** A line of Auth0's bulk user export. Source ids are plain: they are what may be logged. */
function userLine(fields: Record<string, unknown>): string {
  return JSON.stringify(fields);
}

/** A line of Auth0's password-hash export (from Auth0 support): `_id.$oid`, email, `passwordHash`. */
function passwordLine(objectId: string, email: string, passwordHash: string): string {
  return JSON.stringify({
    _id: { $oid: objectId },
    email,
    email_verified: true,
    passwordHash,
    password_set_date: { $date: '2024-01-02T10:00:00.000Z' },
    tenant: 'example-tenant',
    connection: 'Username-Password-Authentication',
    _tmp_is_unique: true,
  });
}

/** The export: every outcome, each record carrying canaries in every personal field it has. */
function canaryExport() {
  const named = (label: string, userId: string, extra: Record<string, unknown> = {}) =>
    userLine({
      user_id: userId,
      email: plant(canary.email(label)),
      email_verified: true,
      given_name: plant(canary.givenName(label)),
      family_name: plant(canary.familyName(label)),
      ...extra,
    });
  const squattedEmails = [plant(canary.email('u4')), plant(canary.email('h3'))];
  const lines = [
    // Created.
    named('u1', 'auth0|canary-u1', {
      user_metadata: { favourite_colour: plant(canary.metadata('u1')) },
      app_metadata: { plan: plant(canary.metadata('u1app')) },
    }),
    named('u2', 'auth0|canary-u2'),
    named('u3', 'google-oauth2|100200300400500600'),
    // Failed: another WorkOS user holds the email; redriven once the squatter is gone.
    userLine({
      user_id: 'auth0|canary-u4',
      email: squattedEmails[0],
      email_verified: false,
      given_name: plant(canary.givenName('u4')),
      family_name: plant(canary.familyName('u4')),
    }),
    // Created, with the first and last name split from `name`.
    userLine({
      user_id: 'auth0|canary-u5',
      email: plant(canary.email('u5')),
      name: `${plant(canary.givenName('u5'))} ${plant(canary.familyName('u5'))}`,
    }),
    // Rejected: invalid email, blocked, no user id, not JSON, no email.
    named('r1', 'auth0|canary-r1', { email: plant(`canary.${token}.r1@@example.com`) }),
    named('r2', 'auth0|canary-r2', { blocked: true }),
    userLine({
      email: plant(canary.email('r3')),
      given_name: plant(canary.givenName('r3')),
    }),
    `{"user_id":"auth0|canary-r4","email":"${plant(canary.email('r4'))}","given_name":"${plant(canary.givenName('r4'))}"`,
    userLine({
      user_id: 'auth0|canary-r5',
      given_name: plant(canary.givenName('r5')),
      family_name: plant(canary.familyName('r5')),
    }),
    // Password-hash export records: created with the hash, created without an unsupported
    // one, failed then redriven (email held by another user), rejected (invalid email).
    passwordLine(
      '65f0c0ffee00000000000001',
      plant(canary.email('h1')),
      plant(canary.bcryptHash('h1')),
    ),
    passwordLine(
      '65f0c0ffee00000000000002',
      plant(canary.email('h2')),
      plant(canary.argon2Hash('h2')),
    ),
    passwordLine(
      '65f0c0ffee00000000000003',
      squattedEmails[1] ?? '',
      plant(canary.bcryptHash('h3')),
    ),
    passwordLine(
      '65f0c0ffee00000000000004',
      plant(`canary.${token}.h4@example`),
      plant(canary.bcryptHash('h4')),
    ),
  ];
  return { lines, squattedEmails };
}

/** What an error carries that someone could read: messages, stacks and fields, causes included. */
function errorDump(error: unknown, depth = 0): string {
  if (depth > 5) return '';
  if (!(error instanceof Error)) return safeJson(error);
  const fields = Object.fromEntries(
    Object.entries(error).filter(([key]) => key !== 'cause'),
  ) as Record<string, unknown>;
  return [
    error.name,
    error.message,
    error.stack ?? '',
    safeJson(fields),
    errorDump(error.cause, depth + 1),
  ].join('\n');
}

function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return (
    JSON.stringify(value, (_key, inner: unknown) => {
      if (typeof inner === 'object' && inner !== null) {
        if (seen.has(inner)) return '[circular]';
        seen.add(inner);
      }
      return typeof inner === 'bigint' ? String(inner) : inner;
    }) ?? String(value)
  );
}

/** Receives every dead letter without consuming it: each becomes visible again at once. */
async function peekDeadLetters(fixture: AwsPipelineFixture, expected: number) {
  const seen = new Map<string, unknown>();
  for (let attempt = 0; attempt < 30 && seen.size < expected; attempt += 1) {
    const { Messages = [] } = await fixture.aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fixture.queues.dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const message of Messages) {
      seen.set(message.MessageId ?? '', message.MessageAttributes ?? {});
    }
  }
  return [...seen.values()];
}

async function createSquatter(fixture: AwsPipelineFixture, email: string): Promise<string> {
  const response = await fetch(`${fixture.emulator.url}/user_management/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fixtureApiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, external_id: `squatter-${randomInt(1e9)}` }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function deleteUser(fixture: AwsPipelineFixture, id: string): Promise<void> {
  const response = await fetch(`${fixture.emulator.url}/user_management/users/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${fixtureApiKey}` },
  });
  expect(response.ok).toBe(true);
}

describe('No PII leaves the data path (canary emails, names and hashes through every outcome)', () => {
  const fixtures: AwsPipelineFixture[] = [];
  const logLines: string[] = [];
  /** Everything else a person could read: reasons, reports, summaries, ledger entries, errors. */
  const observed: { where: string; text: string }[] = [];
  const observe = (where: string, value: unknown) =>
    observed.push({ where, text: typeof value === 'string' ? value : safeJson(value) });
  let jobId = '';
  let fixture: AwsPipelineFixture;

  beforeAll(async () => {
    // Every log line the handlers write, at every level.
    captureConsoleLines(logLines, (arg) => (typeof arg === 'string' ? arg : safeJson(arg)));
    fixture = await createAwsPipelineFixture(inject('awsEndpoint'));
    fixtures.push(fixture);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    for (const created of fixtures) await created.close();
  });

  /** Runs a handler, keeping whatever it throws for the search. */
  function recordingErrors<Event, Result>(
    where: string,
    handler: (event: Event, context: Context) => Promise<Result>,
  ) {
    return async (event: Event, context: Context): Promise<Result> => {
      try {
        return await handler(event, context);
      } catch (error) {
        observe(`${where} threw`, errorDump(error));
        throw error;
      }
    };
  }

  it('imports, rejects, dead-letters and, after the fix, redrives canary records', async () => {
    const { lines, squattedEmails } = canaryExport();
    const squatters = [];
    for (const email of squattedEmails) squatters.push(await createSquatter(fixture, email));
    const event = await fixture.upload('exports/canary-tenant.ndjson', lines);
    // WorkOS misbehaves too, so the retry and rate-limit paths log about canary records.
    fixture.emulator.faults.inject({
      status: 429,
      count: 3,
      retryAfterSeconds: 1,
      match: { method: 'POST' },
    });
    fixture.emulator.faults.inject({ status: 503, count: 3, match: { method: 'POST' } });

    const splitter = recordingErrors('splitter', fixture.splitter);
    const consumer = recordingErrors('consumer', (sqsEvent: SQSEvent, context: Context) =>
      fixture.consumer(sqsEvent, context),
    );
    const [summary] = await splitter(event, splitterContext());
    observe('split summary', summary);
    jobId = (summary && 'jobId' in summary ? summary.jobId : '') ?? '';
    await fixture.drain(consumer as never);

    const deadLetterAttributes = await peekDeadLetters(fixture, 2);
    observe('dead-letter attributes', deadLetterAttributes);
    const beforeRedrive = await fixture.ledger.getJob(jobId);

    for (const id of squatters) await deleteUser(fixture, id);
    fixture.emulator.faults.clear();
    const progress: unknown[] = [];
    const redriven = await redriveDeadLetters({
      sqs: fixture.aws.sqs,
      deadLetterQueueUrl: fixture.queues.dlqUrl,
      deadLetterQueueArn: fixture.queues.dlqArn,
      queueUrl: fixture.queues.queueUrl,
      queueArn: fixture.queues.queueArn,
      maxPerSecond: 50,
      onProgress: (progressEvent) => progress.push(progressEvent),
    });
    observe('redrive result', redriven);
    observe('redrive progress', progress);
    await fixture.drain(consumer as never);

    const { job, outcomes } = await fixture.expectLedgerMatchesWorkOs(jobId);
    observe('ledger job', job);
    observe('ledger jobs', await fixture.ledger.listJobs(100));
    observe('ledger outcomes', outcomes);
    const report = await fixture.aws.s3.send(
      new GetObjectCommand({ Bucket: fixture.bucket, Key: `reports/${jobId}/rejected.csv` }),
    );
    observe('rejected report', (await report.Body?.transformToString()) ?? '');

    // Every outcome happened, to records that carry canaries.
    // Eight users; the blocked one is settled by the split, whose snapshot shows WorkOS holds
    // no account of theirs.
    expect(summary).toMatchObject({ read: 14, enqueued: 8, completed: true });
    expect(fixture.emulator.stats().injectedRateLimits).toBe(3);
    expect(fixture.emulator.stats().injectedServerErrors).toBe(3);
    expect(beforeRedrive?.counts).toMatchObject({ created: 6, failed: 2, rejected: 6 });
    expect(deadLetterAttributes).toEqual([
      { FailureReason: { DataType: 'String', StringValue: 'email_belongs_to_other_user' } },
      { FailureReason: { DataType: 'String', StringValue: 'email_belongs_to_other_user' } },
    ]);
    expect(redriven).toMatchObject({ moved: 2, byReason: { email_belongs_to_other_user: 2 } });
    expect(job?.counts).toEqual({ created: 8, updated: 0, unchanged: 0, rejected: 6, failed: 0 });
    expect(new Set(outcomes.map((outcome) => outcome.reason))).toEqual(
      new Set([
        undefined,
        'invalid_email',
        'blocked',
        'missing_user_id',
        'invalid_json',
        'missing_email',
        'password_reset_required:unsupported_hash',
      ]),
    );
    // The canaries really reached WorkOS, so the search below is not searching for nothing.
    const users = fixture.emulator.users();
    const byEmail = new Map(users.map((user) => [user.email, user]));
    expect(byEmail.get(canary.email('u1'))?.firstName).toBe(canary.givenName('u1'));
    expect(byEmail.get(canary.email('u4'))?.lastName).toBe(canary.familyName('u4'));
    expect(byEmail.get(canary.email('h1'))?.passwordHash).toMatch(/^\$2b\$10\$Canaryhash/);
    expect(byEmail.get(squattedEmails[1] ?? '')?.passwordHash).toMatch(/^\$2b\$10\$Canaryhash/);
    expect(byEmail.get(canary.email('h2'))?.passwordHash).toBeNull();
  });

  it('halts on a refused API key with canary records in the batch', async () => {
    const refused = await createAwsPipelineFixture(inject('awsEndpoint'));
    fixtures.push(refused);
    const event = await refused.upload('exports/canary-halt.ndjson', [
      userLine({
        user_id: 'auth0|canary-halt-1',
        email: plant(canary.email('halt1')),
        given_name: plant(canary.givenName('halt1')),
        family_name: plant(canary.familyName('halt1')),
      }),
      passwordLine(
        '65f0c0ffee00000000000005',
        plant(canary.email('halt2')),
        plant(canary.bcryptHash('halt2')),
      ),
    ]);
    const [summary] = await refused.splitter(event, splitterContext());
    // The key is revoked once the split has listed WorkOS, before the import.
    await refused.replaceApiKey('sk_test_revoked');
    const consumer = recordingErrors('consumer (refused key)', (sqsEvent: SQSEvent, context) =>
      refused.consumer(sqsEvent, context),
    );

    const stats = await runSqsEventSource({
      sqs: refused.aws.sqs,
      queueUrl: refused.queues.queueUrl,
      handler: consumer as never,
      maxConcurrency: 1,
      context: () => fakeLambdaContext(),
      until: () => refused.stopRequests.length > 0,
      timeoutMs: 30_000,
    });

    expect(stats.handlerErrors).toBeGreaterThan(0);
    expect(observed.some(({ where }) => where === 'consumer (refused key) threw')).toBe(true);
    const halted = await refused.ledger.getJob(
      (summary && 'jobId' in summary ? summary.jobId : '') ?? '',
    );
    expect(halted?.haltReason).toBe('workos_unauthorized');
    observe('halted job', halted);
  });

  it('finds no canary in any log line, dead-letter attribute, ledger entry, report, summary or error', () => {
    // The search covered what it should: every outcome was logged and recorded.
    const logged = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(20);
    expect(logged).toContain('Record outcome');
    expect(logged).toContain('email_belongs_to_other_user');
    expect(logged).toContain('Export split');
    expect(observed.map(({ where }) => where)).toEqual(
      expect.arrayContaining([
        'dead-letter attributes',
        'redrive result',
        'ledger outcomes',
        'rejected report',
        'consumer (refused key) threw',
      ]),
    );
    expect(planted.length).toBeGreaterThan(30);

    const haystacks = [
      ...logLines.map((text, index) => ({ where: `log line ${index}`, text })),
      ...observed,
    ];
    const leaks = haystacks.flatMap(({ where, text }) => {
      const lower = text.toLowerCase();
      if (!lower.includes(token)) return [];
      const values = planted.filter((value) => lower.includes(value.toLowerCase()));
      return [{ where, values: values.length > 0 ? values : [`(part of a canary: ${token})`] }];
    });
    expect(leaks).toEqual([]);
  });

  // An Auth0 SAML user's id is `samlp|<connection>|<NameID>`, where the NameID is usually the
  // email: source ids must never reach a log line.
  it('logs no email embedded in an Auth0 enterprise (SAML) user id', async () => {
    const saml = await createAwsPipelineFixture(inject('awsEndpoint'));
    fixtures.push(saml);
    const email = plant(canary.email('saml'));
    const event = await saml.upload('exports/canary-saml.ndjson', [
      userLine({ user_id: `samlp|acme-corp|${email}`, email, email_verified: true }),
    ]);
    const firstLine = logLines.length;

    await saml.splitter(event, splitterContext());
    await saml.drain();

    expect(saml.emulator.users().map((user) => user.email)).toEqual([email]);
    const logged = logLines.slice(firstLine).join('\n').toLowerCase();
    expect(logged).toContain('record outcome');
    expect(logged).not.toContain(token);
  });
});
