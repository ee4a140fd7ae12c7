import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticAuth0PasswordLines } from '../../scripts/bench/synthetic-password-export.ts';
import { syntheticAuth0ExportLines } from '../../scripts/synthetic-auth0-export.ts';
import { InMemoryMigrationLedger } from '../../src/ledger/in-memory-ledger.ts';
import {
  type LocalMigrationOptions,
  type LocalMigrationResult,
  runLocalMigration,
} from '../../src/local/run-local-migration.ts';
import type { ManifestOptions } from '../../src/model/job-manifest.ts';
import { validateExport } from '../../src/operations/validate-export.ts';
import { takeWorkOsSnapshot } from '../../src/snapshot/take-workos-snapshot.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import { signInThroughSdk } from '../helpers/emulated-users.ts';
import { capturingLogger, temporaryExportDirectory } from '../helpers/export-files.ts';

const apiKey = 'sk_test_local_cutover';
const clientId = 'client_local_cutover';
const users = 500;
const seed = 'cutover';

/** A database user with a real bcrypt hash, so a test can sign in as them. */
const knownPassword = 'correct horse battery staple';
const signedInUser = { user_id: 'auth0|c0ffee0000000000000000aa', email: 'signs.in@example.com' };

type Line = Record<string, unknown>;

/** The export's lines as objects; a line that is not JSON (the synthetic export has some) as is. */
function linesOf(generator: Iterable<string>): Line[] {
  return [...generator].map((line) => {
    try {
      return JSON.parse(line) as Line;
    } catch {
      return { unparsed: line };
    }
  });
}

function passwordLineOf(user: { user_id: string; email: string }, passwordHash: string): Line {
  return {
    _id: { $oid: user.user_id.slice('auth0|'.length) },
    email: user.email,
    email_verified: true,
    passwordHash,
    tenant: 'example',
    connection: 'Username-Password-Authentication',
  };
}

/**
 * The cutover of issue 16, through the real SDK against the emulator: a bulk import, an
 * unchanged re-run, a delta export at cutover (1 % changed, 1 % new, 1 % removed), its plan,
 * and the removal of the users the source no longer has.
 */
describe('Cutover in local mode: re-runs and deltas at the speed of listing (emulator, real SDK)', () => {
  let emulator: RunningWorkOsEmulator;
  let files: Awaited<ReturnType<typeof temporaryExportDirectory>>;
  let directory: WorkOsUserDirectory;
  let bulk: { users: Line[]; passwords: Line[] };
  let validUsers: number;

  async function writeJob(name: string, job: { users: Line[]; passwords: Line[] }) {
    const usersPath = join(files.directory, `${name}-users.ndjson`);
    const passwordsPath = join(files.directory, `${name}-passwords.ndjson`);
    const ndjson = (lines: Line[]) =>
      `${lines.map((line) => (typeof line.unparsed === 'string' ? line.unparsed : JSON.stringify(line))).join('\n')}\n`;
    await writeFile(usersPath, ndjson(job.users));
    await writeFile(passwordsPath, ndjson(job.passwords));
    return [usersPath, passwordsPath];
  }

  /** A run of the job as a new job: its own ledger, like a fresh export uploaded at cutover. */
  async function run(
    paths: string[],
    options: Partial<LocalMigrationOptions> & { jobOptions?: ManifestOptions } = {},
  ): Promise<LocalMigrationResult> {
    return runLocalMigration({
      files: [paths],
      directory,
      writesPerSecond: 500,
      maxConcurrency: 4,
      maxReceiveCount: 3,
      logger: capturingLogger().logger,
      ledger: new InMemoryMigrationLedger(),
      snapshot: 'take',
      ...options,
    });
  }

  const usersOf = (result: LocalMigrationResult) => result.jobs[0]?.countsByKind.user;
  const absentOf = (result: LocalMigrationResult) =>
    result.outcomes.filter((outcome) => outcome.kind === 'absent');

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey, clientId, writeLimit: false, readLimit: false });
    files = await temporaryExportDirectory();
    directory = new WorkOsUserDirectory(
      createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 10_000 }),
    );
    const hash = await bcrypt.hash(knownPassword, 4);
    bulk = {
      users: [
        ...linesOf(syntheticAuth0ExportLines(users, { seed, invalidEvery: 50 })),
        { ...signedInUser, email_verified: true, given_name: 'Sign', family_name: 'In' },
      ],
      passwords: [
        ...linesOf(syntheticAuth0PasswordLines(users, { seed })),
        passwordLineOf(signedInUser, hash),
      ],
    };

    const first = await run(await writeJob('bulk', bulk));

    expect(first.counts.failed).toBe(0);
    validUsers = usersOf(first)?.created ?? 0;
    expect(validUsers).toBeGreaterThan(450);
    expect(first.snapshot).toEqual({ users: 0, pagesRead: 1, rateLimited: 0 });
    await signInThroughSdk(
      { url: emulator.url, apiKey, clientId },
      signedInUser.email,
      knownPassword,
    );
  });
  afterAll(async () => {
    await emulator?.close();
    await files?.cleanup();
  });

  it('re-runs an unchanged joined job with 0 writes and only the listing’s reads', async () => {
    const before = await emulator.stats();

    const again = await run(await writeJob('unchanged', bulk));
    const after = await emulator.stats();

    expect(after.writes - before.writes).toBe(0);
    expect(again.workosCalls.writes).toBe(0);
    // ceil(501 / 100) = 6 pages; rejected records cost nothing (a blocked user WorkOS does not
    // hold is settled from the snapshot too).
    expect(again.workosCalls.reads).toBe(Math.ceil((validUsers + 0) / 100));
    expect(again.snapshot?.users).toBe(validUsers);
    expect(usersOf(again)).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: validUsers,
      failed: 0,
    });
    expect(absentOf(again)).toEqual([]);
    // Every unchanged user carries the WorkOS id the bulk import gave them.
    const ids = new Set((await emulator.users()).map((user) => user.id));
    const unchanged = again.outcomes.filter(
      (outcome) => outcome.kind === 'user' && outcome.status === 'unchanged',
    );
    expect(unchanged.every((outcome) => ids.has(outcome.workosUserId ?? ''))).toBe(true);
  });

  it('imports a delta export with exactly one write per changed and new user, lists the removed, and agrees with its plan', async () => {
    const changedIndexes = [10, 110, 210, 310, 410];
    const removedIndexes = [101, 102, 103, 104];
    const removedIds = new Set(
      [...removedIndexes.map((index) => bulk.users[index]?.user_id), signedInUser.user_id].map(
        String,
      ),
    );
    const newcomers = {
      users: linesOf(syntheticAuth0ExportLines(5, { seed: 'cutover-new' })),
      passwords: linesOf(syntheticAuth0PasswordLines(5, { seed: 'cutover-new' })),
    };
    const keep = (line: Line) => !removedIds.has(String(line.user_id));
    const keepPassword = (line: Line) =>
      !removedIds.has(`auth0|${(line._id as { $oid: string }).$oid}`);
    const delta = {
      users: [
        ...bulk.users
          .map((line, index) =>
            changedIndexes.includes(index) ? { ...line, given_name: 'Renamed' } : line,
          )
          .filter(keep),
        ...newcomers.users,
      ],
      passwords: [...bulk.passwords.filter(keepPassword), ...newcomers.passwords],
    };
    const paths = await writeJob('delta', delta);
    const removedWorkosIds = new Set(
      (await emulator.users())
        .filter((user) => removedIds.has(user.externalId ?? ''))
        .map((user) => user.id),
    );
    expect(removedWorkosIds.size).toBe(5);

    const { snapshot } = await takeWorkOsSnapshot({ directory });
    const plan = await validateExport({ files: paths, snapshot });
    const before = await emulator.stats();
    const result = await run(paths, { snapshot });
    const after = await emulator.stats();

    // Exactly (changed + new) writes: 5 updates and 5 creates, no refused create.
    expect(after.writes - before.writes).toBe(10);
    expect(after.usersUpdated - before.usersUpdated).toBe(5);
    expect(after.usersCreated - before.usersCreated).toBe(5);
    expect(usersOf(result)).toMatchObject({
      created: 5,
      updated: 5,
      unchanged: validUsers - 5 - 5,
      failed: 0,
    });
    const absent = absentOf(result);
    expect(new Set(absent.map((outcome) => outcome.workosUserId))).toEqual(removedWorkosIds);
    expect(absent.map((outcome) => outcome.reason).sort()).toEqual([
      'absent_from_export',
      'absent_from_export',
      'absent_from_export',
      'absent_from_export',
      'absent_from_export_signed_in',
    ]);
    expect(absent.every((outcome) => outcome.origin.sourceFile === 'absent_from_export')).toBe(
      true,
    );
    // The plan said so beforehand, count for count.
    const planned = plan.againstWorkos;
    expect(planned?.users).toEqual({
      created: usersOf(result)?.created,
      updated: usersOf(result)?.updated,
      unchanged: usersOf(result)?.unchanged,
      rejected: usersOf(result)?.rejected,
    });
    expect(planned?.absentFromExport).toEqual({ listed: 5, signedIn: 1, toRemove: 0 });
    expect(planned?.writes).toEqual({ expected: 10, atMost: 10 });
    expect(plan.read).toBe((result.jobs[0]?.read ?? 0) - absent.length);
    expect(plan.read).toBe(delta.users.length + delta.passwords.length);
  });

  it('removes the absent users on request, paced, keeping the one who signed in unless forced', async () => {
    // A record whose user cannot be told (not JSON, no id) could be any absent user: with one
    // in the export, nobody is removed.
    const firstHundred = bulk.users.slice(0, 100);
    const passwordsOf = (lines: Line[]) =>
      bulk.passwords.filter((line) =>
        lines.some((user) => user.user_id === `auth0|${(line._id as { $oid: string }).$oid}`),
      );
    const unreadable = await writeJob('removal-unreadable', {
      users: firstHundred,
      passwords: passwordsOf(firstHundred),
    });
    const beforeUnreadable = await emulator.stats();
    const refused = await run(unreadable, { jobOptions: { removeAbsentUsers: true } });
    // The one write: the user the delta renamed, renamed back.
    expect(usersOf(refused)).toMatchObject({ updated: 1 });
    expect((await emulator.stats()).writes - beforeUnreadable.writes).toBe(1);
    expect(new Set(absentOf(refused).map((outcome) => outcome.reason))).toEqual(
      new Set(['absent_from_export_kept_records_without_id']),
    );

    const readable = firstHundred.filter(
      (line) => typeof line.user_id === 'string' && line.user_id !== '',
    );
    const paths = await writeJob('removal', { users: readable, passwords: passwordsOf(readable) });
    const { snapshot } = await takeWorkOsSnapshot({ directory });
    const plan = await validateExport({
      files: paths,
      snapshot,
      options: { removeAbsentUsers: true },
    });
    const before = await emulator.stats();

    const result = await run(paths, { snapshot, jobOptions: { removeAbsentUsers: true } });
    const after = await emulator.stats();

    const absent = absentOf(result);
    const removed = absent.filter((outcome) => outcome.reason === 'removed_absent_from_export');
    const kept = absent.filter((outcome) => outcome.reason === 'absent_from_export_signed_in');
    expect(kept).toHaveLength(1);
    expect(removed).toHaveLength(absent.length - 1);
    expect(removed.every((outcome) => outcome.status === 'updated')).toBe(true);
    // One delete per user removed, nothing else.
    expect(after.writes - before.writes).toBe(removed.length);
    expect(plan.againstWorkos?.absentFromExport).toEqual({
      listed: absent.length,
      signedIn: 1,
      toRemove: removed.length,
    });
    const left = new Set((await emulator.users()).map((user) => user.id));
    expect(removed.some((outcome) => left.has(outcome.workosUserId ?? ''))).toBe(false);
    expect(left.has(kept[0]?.workosUserId ?? '')).toBe(true);

    const forced = await run(paths, {
      jobOptions: { removeAbsentUsers: true, removeSignedInAbsentUsers: true },
    });

    expect(absentOf(forced).map((outcome) => outcome.reason)).toEqual([
      'removed_absent_from_export',
    ]);
    expect((await emulator.users()).some((user) => user.id === kept[0]?.workosUserId)).toBe(false);
  });
});
