import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBatch } from '../../../src/import/import-batch.ts';
import { WritePacer } from '../../../src/import/write-pacer.ts';
import { importMetadataKeys } from '../../../src/model/import-metadata.ts';
import type { ManifestOptions } from '../../../src/model/job-manifest.ts';
import {
  emptyValidationSummary,
  emptyWorkOsPlan,
  formatValidationSummary,
  type ValidationSummary,
  validateExport,
  type WorkOsPlan,
} from '../../../src/operations/validate-export.ts';
import { jobOfFiles } from '../../../src/split/job-source.ts';
import { receivedMessageFactory } from '../../helpers/factories.ts';
import { InMemoryUserDirectory } from '../../helpers/in-memory-user-directory.ts';
import {
  importUsersOf,
  snapshotOfDirectory,
  splitIntoList,
} from '../../helpers/snapshot-environment.ts';

const bcrypt = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';
const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

type Line = Record<string, unknown>;
const ndjson = (lines: Line[]) => `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
const passwordLine = (id: string, email: string): Line => ({
  _id: { $oid: id },
  email,
  email_verified: true,
  passwordHash: bcrypt,
});
const user = (id: string, email: string, fields: Line = {}): Line => ({
  user_id: `auth0|${id}`,
  email,
  email_verified: true,
  ...fields,
});

const ada = user('a1', 'ada@example.com', { given_name: 'Ada' });
const bob = user('b2', 'bob@example.com', { given_name: 'Bob' });
const cy = user('c3', 'cy@example.com');
const dee = user('d4', 'dee@example.com');
const sam = user('s5', 'sam@example.com');
const ida = user('i8', 'ida@example.com');

/** What was imported earlier: six users, three with a password. */
const bulkFiles = {
  'bulk-users.ndjson': ndjson([ada, bob, cy, dee, sam, ida]),
  'bulk-passwords.ndjson': ndjson([
    passwordLine('a1', 'ada@example.com'),
    passwordLine('b2', 'bob@example.com'),
    passwordLine('s5', 'sam@example.com'),
  ]),
};

/**
 * The export to plan, one user per category:
 * ada as imported (unchanged); bob renamed and ida with a new email (updated); eve new (created);
 * frank, whose email a sign-up holds (unchanged, not overwritten); kim, with the email ida had
 * (merged into ida's user); grace, whose email a user from Okta holds (decided in WorkOS); dee
 * blocked since her import (a removal of a user WorkOS holds); xavier blocked and never imported
 * (rejected at split time, with his password line). Cy and sam are gone: sam has signed in.
 */
const deltaFiles = {
  'delta-users.ndjson': ndjson([
    ada,
    { ...bob, given_name: 'Robert' },
    { ...dee, blocked: true },
    user('x9', 'xavier@example.com', { blocked: true }),
    user('e5', 'eve@example.com'),
    user('f6', 'frank@example.com'),
    user('g7', 'grace@example.com'),
    { ...ida, email: 'ida.new@example.com' },
    user('k9', 'ida@example.com'),
  ]),
  'delta-passwords.ndjson': ndjson([
    passwordLine('a1', 'ada@example.com'),
    passwordLine('b2', 'bob@example.com'),
    passwordLine('x9', 'xavier@example.com'),
  ]),
};
const deltaRecords = 9 + 3;

let directoryOnDisk: string;
const pathsOf = (files: Record<string, string>) =>
  Object.keys(files).map((name) => join(directoryOnDisk, name));

beforeAll(async () => {
  directoryOnDisk = await mkdtemp(join(tmpdir(), 'validate-against-workos-'));
  for (const [name, text] of Object.entries({ ...bulkFiles, ...deltaFiles })) {
    await writeFile(join(directoryOnDisk, name), text);
  }
});
afterAll(async () => {
  await rm(directoryOnDisk, { recursive: true, force: true });
});

/** WorkOS after the bulk import, a sign-up, a user from Okta and one from Clerk; sam signed in. */
async function environment() {
  const directory = new InMemoryUserDirectory();
  directory.seed({ email: 'frank@example.com', emailVerified: true });
  directory.seed({
    email: 'grace@example.com',
    externalId: '00u1ab2cd3',
    metadata: { [importMetadataKeys.source]: 'okta' },
  });
  await importUsersOf(directory, jobOfFiles(pathsOf(bulkFiles), undefined, { format: 'auth0' }));
  directory.seed({
    email: 'clerk.user@example.com',
    externalId: 'user_2abcClerk',
    metadata: { [importMetadataKeys.source]: 'clerk' },
  });
  for (const stored of directory.users.values()) {
    if (stored.externalId === sam.user_id) stored.lastSignInAt = '2026-11-30T08:00:00.000Z';
  }
  return { directory, snapshot: snapshotOfDirectory(directory) };
}

/**
 * The run itself, in memory: the split against the snapshot, then every message through the
 * consumer. Its outcomes by kind and the WorkOS writes it made (a refused create is a write).
 */
async function runAgainstWorkos(options: ManifestOptions = {}) {
  const { directory, snapshot } = await environment();
  const jobId = 'job_run';
  const { ledger, messages } = await splitIntoList(
    jobOfFiles(pathsOf(deltaFiles), undefined, { format: 'auth0', options }),
    { jobId, snapshot },
  );
  const before = { ...directory.calls };
  const deps = {
    directory,
    pacer: new WritePacer({ writesPerSecond: 1000 }),
    queue: { async requeue() {}, async retryLater() {}, async deadLetter() {} },
    ledger,
    logger: silentLogger,
    maxReceiveCount: 1,
    maxPacingWaitMs: 2000,
  };
  for (const message of messages) {
    await importBatch([receivedMessageFactory(JSON.stringify(message))], deps);
  }
  const job = await ledger.getJob(jobId);
  if (job === undefined) throw new Error('no job');
  const { calls } = directory;
  return {
    countsByKind: job.countsByKind,
    writes:
      calls.create - before.create + calls.update - before.update + calls.delete - before.delete,
  };
}

async function validateDelta(options: ManifestOptions = {}, writesPerSecond = 2) {
  const { snapshot } = await environment();
  return validateExport({
    files: pathsOf(deltaFiles),
    format: 'auth0',
    options,
    snapshot,
    writesPerSecond,
  });
}

/** The plan's figures beside what the run records, for the same job and environment. */
function expectPlanToMatchTheRun(
  plan: WorkOsPlan | undefined,
  run: Awaited<ReturnType<typeof runAgainstWorkos>>,
) {
  const { user, absent } = run.countsByKind;
  expect(plan?.users).toEqual({
    created: user.created,
    updated: user.updated,
    unchanged: user.unchanged,
    rejected: user.rejected,
  });
  // The users whose email WorkOS holds under a user from elsewhere fail in this run.
  expect(plan?.decidedInWorkos).toBe(user.failed);
  expect(plan?.absentFromExport.listed).toBe(absent.unchanged + absent.updated);
  expect(plan?.absentFromExport.toRemove).toBe(absent.updated);
  expect(run.writes).toBeGreaterThanOrEqual(plan?.writes.expected ?? Number.NaN);
  expect(run.writes).toBeLessThanOrEqual(plan?.writes.atMost ?? Number.NaN);
}

describe('Function: validateExport() against a snapshot of WorkOS', () => {
  let summary: ValidationSummary;
  beforeAll(async () => {
    summary = await validateDelta();
  });

  it('plans each user as the run will record it, and the writes it will cost', () => {
    expect(summary.againstWorkos).toEqual({
      environmentUsers: 9,
      users: { created: 1, updated: 2, unchanged: 3, rejected: 2 },
      unchangedBecause: { mergedIntoExistingUser: 1, existingUserNotOverwritten: 1 },
      decidedInWorkos: 1,
      absentFromExport: { listed: 2, signedIn: 1, toRemove: 0 },
      // A create and two updates; at most also dee's removal and two for grace.
      writes: { expected: 3, atMost: 6 },
      estimatedSeconds: 2,
      writesPerSecond: 2,
    });
  });

  it('agrees with what the run records when the users are imported', async () => {
    const run = await runAgainstWorkos();

    expectPlanToMatchTheRun(summary.againstWorkos, run);
    expect(run.countsByKind.absent).toMatchObject({ unchanged: 2, updated: 0 });
  });

  it('sends only the users that need a write, and counts the password lines joined into them', () => {
    // Bob, eve, grace and ida; ada, frank and kim are settled against the snapshot.
    expect(summary.toImport.users).toBe(4);
    // Ada's line (settled with her) and bob's (sent with him).
    expect(summary.joined).toBe(2);
    expect(summary.merged).toBe(0);
    expect(summary.passwordHashTypes).toEqual({ bcrypt: 1 });
  });

  it('reports the same rejections as a validation without a snapshot', async () => {
    const without = await validateExport({ files: pathsOf(deltaFiles), format: 'auth0' });

    expect(summary.rejectedByReason).toEqual(without.rejectedByReason);
    expect(summary.rejected).toBe(without.rejected);
    expect(without.againstWorkos).toBeUndefined();
  });

  it('lists the users absent from the export among the settled records, after the files', () => {
    expect(
      summary.settled
        .filter((outcome) => outcome.kind === 'absent')
        .map((outcome) => [outcome.origin.sourceFile, outcome.origin.line, outcome.reason]),
    ).toEqual([
      ['absent_from_export', 1, 'absent_from_export'],
      ['absent_from_export', 2, 'absent_from_export_signed_in'],
    ]);
  });

  // The absent users come after the files: `migrate local`'s summary leaves them out too.
  it('counts as read only the records of the export’s files', () => {
    expect(summary.read).toBe(deltaRecords);
  });

  it('prints the plan in an "Against WorkOS" block', () => {
    const text = formatValidationSummary(summary);

    expect(text.split('\n').slice(-9)).toEqual([
      '',
      'Against WorkOS (9 users in the environment):',
      '  users created: 1',
      '  users updated: 2',
      '  users unchanged: 3 (merged into a user imported earlier: 1, existing user not overwritten: 1)',
      '  users rejected: 2',
      '  email held by a WorkOS user from elsewhere, decided when imported: 1',
      '  absent from the export: 2 (signed in: 1, to remove: 0)',
      '  WorkOS writes: 3 (at most 6), about 2 s at 2 writes/s',
    ]);
  });
});

describe('Function: validateExport() against a snapshot, in a job that removes absent users', () => {
  it.each<{ name: string; options: ManifestOptions; toRemove: number }>([
    { name: 'keeping those who signed in', options: { removeAbsentUsers: true }, toRemove: 1 },
    {
      name: 'removing those who signed in too',
      options: { removeAbsentUsers: true, removeSignedInAbsentUsers: true },
      toRemove: 2,
    },
  ])('plans the removals, $name, as the run makes them', async ({ options, toRemove }) => {
    const summary = await validateDelta(options);
    const run = await runAgainstWorkos(options);

    expect(summary.againstWorkos?.absentFromExport).toEqual({ listed: 2, signedIn: 1, toRemove });
    expect(summary.againstWorkos?.writes).toEqual({ expected: 3 + toRemove, atMost: 6 + toRemove });
    expect(run.countsByKind.absent).toMatchObject({ updated: toRemove, unchanged: 2 - toRemove });
    expectPlanToMatchTheRun(summary.againstWorkos, run);
    // The absent users are messages now, not settled records.
    expect(summary.settled.filter((outcome) => outcome.kind === 'absent')).toEqual([]);
    expect(summary.read).toBe(deltaRecords);
  });

  it('counts the removals among the writes and the time they take', async () => {
    const summary = await validateDelta({ removeAbsentUsers: true }, 45);

    expect(summary.againstWorkos?.estimatedSeconds).toBe(1);
    expect(formatValidationSummary(summary)).toContain(
      '  absent from the export: 2 (signed in: 1, to remove: 1)\n' +
        '  WorkOS writes: 4 (at most 7), about 1 s at 45 writes/s',
    );
  });

  it('counts the password lines joined into their user as without removal, when every absent user goes', async () => {
    const summary = await validateDelta({
      removeAbsentUsers: true,
      removeSignedInAbsentUsers: true,
    });

    expect(summary.joined).toBe(2);
  });

  // A signed-in absent user kept is still a message: it is not a password line joined.
  it('counts the password lines joined into their user as without removal, when signed-in users stay', async () => {
    const summary = await validateDelta({ removeAbsentUsers: true });

    expect(summary.joined).toBe(2);
  });
});

describe('Function: validateExport() with a snapshot, in a job that splits without one', () => {
  // The split ignores the snapshot then: a plan drawn from it would call every user WorkOS holds
  // `updated`, those the run leaves unchanged included.
  it('draws no plan from it, and reads the job as without one', async () => {
    const options = { skipWorkosSnapshot: true };
    const summary = await validateDelta(options);
    const withoutSnapshot = await validateExport({
      files: summary.job.files.map((file) => file.sourceFile),
      options,
    });

    expect(summary.againstWorkos).toBeUndefined();
    expect(summary.read).toBe(withoutSnapshot.read);
    expect(summary.toImport).toEqual(withoutSnapshot.toImport);
  });
});

describe('Function: formatValidationSummary() — the "Against WorkOS" block', () => {
  const plan: WorkOsPlan = {
    ...emptyWorkOsPlan(120_000, 45),
    users: { created: 0, updated: 6_000, unchanged: 114_000, rejected: 0 },
    writes: { expected: 6_000, atMost: 6_000 },
    estimatedSeconds: 134,
  };
  const summaryWith = (againstWorkos?: WorkOsPlan): ValidationSummary => ({
    ...emptyValidationSummary(),
    read: 120_000,
    toImport: { users: 6_000, organizations: 0, memberships: 0 },
    ...(againstWorkos === undefined ? {} : { againstWorkos }),
  });

  it('gives minutes past a minute, and no "at most" or "decided" line when there is nothing to add', () => {
    const lines = formatValidationSummary(summaryWith(plan)).split('\n');

    expect(lines.slice(lines.indexOf('Against WorkOS (120000 users in the environment):'))).toEqual(
      [
        'Against WorkOS (120000 users in the environment):',
        '  users created: 0',
        '  users updated: 6000',
        '  users unchanged: 114000 (merged into a user imported earlier: 0, existing user not overwritten: 0)',
        '  users rejected: 0',
        '  absent from the export: 0 (signed in: 0, to remove: 0)',
        '  WorkOS writes: 6000, about 2.2 min at 45 writes/s',
      ],
    );
  });

  it('prints no such block without a snapshot', () => {
    expect(formatValidationSummary(summaryWith())).not.toContain('Against WorkOS');
  });
});
