import { describe, expect, it } from 'vitest';
import { PermanentImportError, TransientImportError } from '../../../src/errors.ts';
import { type ImportBatchDependencies, importBatch } from '../../../src/import/import-batch.ts';
import { importStep } from '../../../src/import/import-step.ts';
import { removeAbsentUser } from '../../../src/import/remove-absent-user.ts';
import { WritePacer } from '../../../src/import/write-pacer.ts';
import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import {
  type AbsentUser,
  type AbsentUserMessage,
  importMessageSchema,
  type RecordOrigin,
} from '../../../src/model/import-message.ts';
import { importMetadataKeys } from '../../../src/model/import-metadata.ts';
import type { QueueControl } from '../../../src/queue/queue-types.ts';
import { receivedMessageFactory } from '../../helpers/factories.ts';
import {
  InMemoryUserDirectory,
  type StoredDirectoryUser,
} from '../../helpers/in-memory-user-directory.ts';

const signedInAt = '2026-11-30T08:00:00.000Z';

/** A user this tool imported from Auth0 earlier, that the export no longer holds. */
function seedImported(directory: InMemoryUserDirectory, user: Partial<StoredDirectoryUser> = {}) {
  return directory.seed({
    email: 'gone@example.com',
    externalId: 'auth0|gone',
    metadata: { [importMetadataKeys.source]: 'auth0', [importMetadataKeys.digest]: 'digest' },
    ...user,
  });
}

const absentOf = (workosUserId: string, extra: Partial<AbsentUser> = {}): AbsentUser => ({
  workosUserId,
  source: 'auth0',
  ...extra,
});

/** Every read and write but the ones named, which the test states itself. */
const noOtherCalls = { create: 0, update: 0, findByExternalId: 0, findByEmail: 0, list: 0 };

describe('Function: removeAbsentUser()', () => {
  it.each<{ name: string; absent: Partial<AbsentUser>; user: Partial<StoredDirectoryUser> }>([
    { name: 'a user who has never signed in', absent: {}, user: {} },
    {
      name: 'a signed-in user, when the job removes signed-in users too',
      absent: { removeSignedIn: true, signedInWhenListed: true },
      user: { lastSignInAt: signedInAt },
    },
  ])('deletes $name: one read, one delete', async ({ absent, user }) => {
    const directory = new InMemoryUserDirectory();
    const gone = seedImported(directory, user);

    const result = await removeAbsentUser(directory, absentOf(gone.id, absent));

    expect(result).toEqual({
      status: 'updated',
      workosUserId: gone.id,
      reason: 'removed_absent_from_export',
    });
    expect(directory.users.has(gone.id)).toBe(false);
    expect(directory.calls).toEqual({ ...noOtherCalls, get: 1, delete: 1 });
  });

  it.each<{ name: string; absent: Partial<AbsentUser> }>([
    { name: 'seen signed in by the snapshot', absent: { signedInWhenListed: true } },
    // Read again: a sign-in since the listing counts.
    { name: 'who signed in after the snapshot was taken', absent: {} },
    { name: 'when removeSignedIn is false', absent: { removeSignedIn: false } },
  ])('keeps a user who has signed in, $name: one read, no write', async ({ absent }) => {
    const directory = new InMemoryUserDirectory();
    const gone = seedImported(directory, { lastSignInAt: signedInAt });

    const result = await removeAbsentUser(directory, absentOf(gone.id, absent));

    expect(result).toEqual({
      status: 'unchanged',
      workosUserId: gone.id,
      reason: 'absent_from_export_signed_in',
    });
    expect(directory.users.has(gone.id)).toBe(true);
    expect(directory.calls).toEqual({ ...noOtherCalls, get: 1, delete: 0 });
  });

  it('reports a user already gone from WorkOS, with one read and no write', async () => {
    const directory = new InMemoryUserDirectory();

    const result = await removeAbsentUser(directory, absentOf('user_01JDELETEDSINCE0000000000'));

    expect(result).toEqual({
      status: 'unchanged',
      workosUserId: 'user_01JDELETEDSINCE0000000000',
      reason: 'absent_from_export_already_removed',
    });
    expect(directory.calls).toEqual({ ...noOtherCalls, get: 1, delete: 0 });
  });

  it.each<{ name: string; metadata: Record<string, string> }>([
    { name: 'names another source now', metadata: { [importMetadataKeys.source]: 'clerk' } },
    { name: 'names no source any more', metadata: { plan: 'pro' } },
  ])(
    'leaves a user whose metadata $name, even when signed-in users go too',
    async ({ metadata }) => {
      const directory = new InMemoryUserDirectory();
      const changed = seedImported(directory, { metadata });

      const result = await removeAbsentUser(
        directory,
        absentOf(changed.id, { removeSignedIn: true }),
      );

      expect(result).toEqual({
        status: 'unchanged',
        workosUserId: changed.id,
        reason: 'absent_from_export_not_imported_by_this_tool',
      });
      expect(directory.users.has(changed.id)).toBe(true);
      expect(directory.calls).toEqual({ ...noOtherCalls, get: 1, delete: 0 });
    },
  );

  it.each(['getUser', 'deleteUser'] as const)(
    'lets a failure of %s through for the consumer to retry',
    async (method) => {
      const directory = new InMemoryUserDirectory();
      const gone = seedImported(directory);
      const failure = new TransientImportError('workos_503', 'WorkOS answered 503');
      directory.failNext(method, failure);

      await expect(removeAbsentUser(directory, absentOf(gone.id))).rejects.toBe(failure);
    },
  );
});

const jobId = 'job_absent';
const absentOrigin = {
  jobId,
  sourceFile: 'absent_from_export',
  line: 2,
  file: 2,
} satisfies RecordOrigin;
const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

function absentMessage(absentUser: AbsentUser): AbsentUserMessage {
  return { version: 1, kind: 'absent_user', origin: absentOrigin, absentUser, deferrals: 0 };
}

function setup() {
  const directory = new InMemoryUserDirectory();
  const ledger = new InMemoryMigrationLedger();
  const acquired: number[] = [];
  const pacer = new WritePacer({ writesPerSecond: 1000 });
  const acquire = pacer.acquire.bind(pacer);
  pacer.acquire = async (maxWaitMs) => {
    acquired.push(maxWaitMs);
    return acquire(maxWaitMs);
  };
  const deadLettered: string[] = [];
  const queue: QueueControl = {
    async requeue() {},
    async retryLater() {},
    async deadLetter(_message, reason) {
      deadLettered.push(reason);
    },
  };
  const deps: ImportBatchDependencies = {
    directory,
    pacer,
    queue,
    ledger,
    logger: silentLogger,
    maxReceiveCount: 5,
    maxPacingWaitMs: 2000,
  };
  return { deps, directory, ledger, acquired, deadLettered };
}

describe('Function: importStep() for an absent_user message', () => {
  it('removes the user in one paced write slot, and reports it with its WorkOS id', async () => {
    const { deps, directory, acquired } = setup();
    const gone = seedImported(directory);
    const parsed = importMessageSchema.parse(absentMessage(absentOf(gone.id)));

    const result = await importStep(parsed, deps, { workosMs: 0 });

    expect(result).toEqual({
      status: 'updated',
      workosId: gone.id,
      reason: 'removed_absent_from_export',
    });
    expect(directory.users.has(gone.id)).toBe(false);
    expect(directory.calls).toEqual({ ...noOtherCalls, get: 1, delete: 1 });
    expect(acquired).toHaveLength(1);
  });

  it('takes no write slot for a user it keeps', async () => {
    const { deps, directory, acquired } = setup();
    const kept = seedImported(directory, { lastSignInAt: signedInAt });
    const parsed = importMessageSchema.parse(
      absentMessage(absentOf(kept.id, { signedInWhenListed: true })),
    );

    const result = await importStep(parsed, deps, { workosMs: 0 });

    expect(result).toEqual({
      status: 'unchanged',
      workosId: kept.id,
      reason: 'absent_from_export_signed_in',
    });
    expect(acquired).toEqual([]);
    expect(directory.calls.delete).toBe(0);
  });
});

describe('Function: importBatch() for an absent_user message', () => {
  async function outcomesOf(ledger: InMemoryMigrationLedger) {
    const all = [];
    for await (const outcome of ledger.listOutcomes(jobId)) all.push(outcome);
    return all;
  }

  it('records the removal as an outcome of kind absent, named by the WorkOS id', async () => {
    const { deps, directory, ledger } = setup();
    await ledger.claimSplit({ jobId, sourceFile: 'users.ndjson' }, Number.MAX_SAFE_INTEGER);
    const gone = seedImported(directory);

    await importBatch(
      [receivedMessageFactory(JSON.stringify(absentMessage(absentOf(gone.id))))],
      deps,
    );

    expect(await outcomesOf(ledger)).toEqual([
      {
        origin: absentOrigin,
        kind: 'absent',
        sourceId: gone.id,
        status: 'updated',
        workosUserId: gone.id,
        reason: 'removed_absent_from_export',
      },
    ]);
    expect((await ledger.getJob(jobId))?.countsByKind.absent).toMatchObject({ updated: 1 });
    expect((await ledger.getJob(jobId))?.countsByKind.user).toMatchObject({ updated: 0 });
  });

  it('does not ask WorkOS again for a removal delivered twice', async () => {
    const { deps, directory, ledger } = setup();
    await ledger.claimSplit({ jobId, sourceFile: 'users.ndjson' }, Number.MAX_SAFE_INTEGER);
    const gone = seedImported(directory);
    const body = JSON.stringify(absentMessage(absentOf(gone.id)));

    await importBatch([receivedMessageFactory(body)], deps);
    await importBatch([receivedMessageFactory(body)], deps);

    expect(directory.calls).toEqual({ ...noOtherCalls, get: 1, delete: 1 });
    expect(await outcomesOf(ledger)).toHaveLength(1);
  });

  it('dead-letters a removal WorkOS refuses for good, failed as an absent record', async () => {
    const { deps, directory, ledger, deadLettered } = setup();
    await ledger.claimSplit({ jobId, sourceFile: 'users.ndjson' }, Number.MAX_SAFE_INTEGER);
    const gone = seedImported(directory);
    directory.failNext('deleteUser', new PermanentImportError('workos_403', 'Forbidden'));

    await importBatch(
      [receivedMessageFactory(JSON.stringify(absentMessage(absentOf(gone.id))))],
      deps,
    );

    expect(deadLettered).toEqual(['workos_403']);
    expect(await outcomesOf(ledger)).toEqual([
      expect.objectContaining({ origin: absentOrigin, kind: 'absent', status: 'failed' }),
    ]);
    expect(directory.users.has(gone.id)).toBe(true);
  });
});
