import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../src/emulator/workos-emulator.ts';
import {
  type LocalMigrationOptions,
  runLocalMigration,
} from '../../src/local/run-local-migration.ts';
import { validateExport } from '../../src/operations/validate-export.ts';
import { externalIdFor } from '../../src/pipeline/external-id.ts';
import type { RecordOutcome } from '../../src/pipeline/outcome.ts';
import { WorkOsOrganizationDirectory } from '../../src/workos/organization-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import { tenantExportFiles, tenantFixture } from '../helpers/auth0-tenant-fixture.ts';
import { comparableUsers, signInThroughSdk } from '../helpers/emulated-users.ts';
import { capturingLogger, temporaryExportDirectory } from '../helpers/export-files.ts';

const apiKey = 'sk_test_auth0_tenant';
const clientId = 'client_auth0_tenant';

/** The passwords behind the fixture's bcrypt hashes (test data, generated for it). */
const passwords: Record<string, string> = {
  'ada@example.com': 'analytical engine 1843',
  'grace@example.com': 'cobol forever',
  'katherine@example.com': 'orbital mechanics',
  'edsger@example.com': 'goto considered harmful',
  'frances@example.com': 'optimising compilers',
  'john@example.com': 'quote "unquote", comma',
  'dennis@example.com': 'unix and c',
};

const longSamlId =
  'samlp|acme-okta-enterprise-connection|margaret.hamilton@apollo-guidance.example.org';

/**
 * The Auth0 tenant in test/fixtures/auth0/tenant: 13 users (database, `alt_id`, social,
 * enterprise with a 79-character id, a database + GitHub pair sharing an email, blocked,
 * oversized metadata, unverified, SMS MFA, phone-only, names with quotes and commas), their
 * password-hash export (`identifiers[]` only for one, an MD5 hash, a user only it knows, a second
 * record for one user, CRLF line ends), three organizations and their members.
 */
describe('An Auth0 tenant in local mode, against the emulator', () => {
  let emulator: RunningWorkOsEmulator;
  let workspace: Awaited<ReturnType<typeof temporaryExportDirectory>>;

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey, clientId });
    workspace = await temporaryExportDirectory();
  });
  afterEach(() => emulator.reset());
  afterAll(async () => {
    await emulator.close();
    await workspace.cleanup();
  });

  async function run(
    files: LocalMigrationOptions['files'],
    extra: Partial<LocalMigrationOptions> = {},
  ) {
    const workos = createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 5_000 });
    return runLocalMigration({
      files,
      directory: new WorkOsUserDirectory(workos),
      organizations: new WorkOsOrganizationDirectory(workos),
      writesPerSecond: 400,
      maxConcurrency: 2,
      maxReceiveCount: 5,
      logger: capturingLogger().logger,
      ...extra,
    });
  }

  function signIn(email: string, password: string) {
    return signInThroughSdk({ url: emulator.url, apiKey, clientId }, email, password);
  }

  function workosState() {
    return comparableUsers(emulator.users());
  }

  function outcomeOf(outcomes: RecordOutcome[], sourceFile: string, line: number) {
    return outcomes.find(
      (outcome) => outcome.origin.sourceFile.endsWith(sourceFile) && outcome.origin.line === line,
    );
  }

  it('imports users and password hashes given together as one job, with one WorkOS write per user', async () => {
    const result = await run([[tenantFixture('users.ndjson'), tenantFixture('passwords.ndjson')]]);

    // 13 user lines + 10 password lines, every one accounted for.
    expect(result.unaccounted).toBe(0);
    expect(result.outcomes).toHaveLength(23);
    // 10 users + 8 password lines created (joined or alone); GitHub's duplicate and Ada's second
    // hash unchanged; the blocked user, her hash and the phone-only user rejected.
    expect(result.counts).toEqual({
      created: 18,
      updated: 0,
      unchanged: 2,
      rejected: 3,
      failed: 0,
    });
    // 11 users: one create each, nothing else written.
    expect(emulator.stats()).toMatchObject({ writes: 11 });
    expect(emulator.users()).toHaveLength(11);

    for (const [email, password] of Object.entries(passwords)) {
      await expect(signIn(email, password), email).resolves.toBeDefined();
    }
    await expect(signIn('ada@example.com', 'an older password')).rejects.toThrow();

    const users = new Map(emulator.users().map((user) => [user.externalId, user]));
    // alt_id joins on auth0|<alt_id>; the root email fields were absent (identifiers[] only).
    expect(users.get('auth0|grace-custom-id')).toMatchObject({
      email: 'grace@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
    });
    // The database record with a password stands for the email; GitHub's is merged into it,
    // and the export's unverified email stays unverified.
    expect(users.get('auth0|64f1c2a9e4b0a1b2c3d4e506')).toMatchObject({ emailVerified: false });
    expect(users.get('github|5551234')).toBeUndefined();
    expect(outcomeOf(result.outcomes, 'users.ndjson', 6)).toMatchObject({
      status: 'unchanged',
      reason: 'merged_into_line:7',
    });
    // A 79-character enterprise id gets a deterministic external id; the original is kept.
    expect(users.get(externalIdFor(longSamlId))?.metadata).toMatchObject({ source_id: longSamlId });
    // Social and enterprise users have no password: they link by email on first sign-in.
    expect(users.get('google-oauth2|109876543210987654321')).toMatchObject({
      passwordHash: null,
      metadata: expect.objectContaining({ auth0_provider: 'google-oauth2' }),
    });

    // Reported, never failed: oversized metadata, the MD5 hash, SMS MFA, blocked, no email.
    expect(outcomeOf(result.outcomes, 'users.ndjson', 9)?.reason).toMatch(
      /metadata_not_imported:\d+/,
    );
    expect(outcomeOf(result.outcomes, 'users.ndjson', 3)?.reason).toContain(
      'password_reset_required:unsupported_hash',
    );
    expect(outcomeOf(result.outcomes, 'users.ndjson', 11)?.reason).toContain(
      'mfa_reenrolment_required',
    );
    expect(outcomeOf(result.outcomes, 'users.ndjson', 8)).toMatchObject({
      status: 'rejected',
      reason: 'blocked',
    });
    expect(outcomeOf(result.outcomes, 'users.ndjson', 12)).toMatchObject({
      status: 'rejected',
      reason: 'missing_email',
    });
    // The blocked user's hash did not create her, and the password lines end with their users.
    expect(users.has('auth0|64f1c2a9e4b0a1b2c3d4e507')).toBe(false);
    expect(outcomeOf(result.outcomes, 'passwords.ndjson', 5)).toMatchObject({
      status: 'rejected',
      reason: 'joined_into_line:8',
    });
    expect(outcomeOf(result.outcomes, 'passwords.ndjson', 1)).toMatchObject({
      status: 'created',
      reason: 'joined_into_line:1',
    });
    expect(outcomeOf(result.outcomes, 'passwords.ndjson', 9)).toMatchObject({ status: 'created' });
    expect(outcomeOf(result.outcomes, 'passwords.ndjson', 10)).toMatchObject({
      status: 'unchanged',
      reason: 'duplicate_of_line:1',
    });
  });

  it('agrees with `validate`, which reads the same files without calling WorkOS, on every count', async () => {
    const files = [tenantFixture('users.ndjson'), tenantFixture('passwords.ndjson')];
    const preview = await validateExport({ files });
    const callsBefore = emulator.stats().requests;
    expect(callsBefore).toBe(0);

    const result = await run([files]);

    expect(preview).toMatchObject({
      read: result.outcomes.length,
      rejected: result.counts.rejected,
      merged: 2,
      joined: 7,
      toImport: { users: 11, organizations: 0, memberships: 0 },
      passwordHashTypes: { bcrypt: 7 },
      resetsNeeded: { unsupported_hash: 1, no_password_hash: 1 },
      notes: { mfa_reenrolment_required: 1, metadata_not_imported: 1 },
    });
    expect(preview.rejectedByReason).toEqual({
      blocked: 1,
      missing_email: 1,
      'joined_into_line:8': 1,
    });
    // Every record read is imported (alone or joined), rejected, or merged, in both.
    expect(preview.toImport.users + preview.joined).toBe(
      result.counts.created + result.counts.updated + result.counts.unchanged - preview.merged,
    );
  });

  it('ends in the same WorkOS state as the two files imported one after the other, in either order', async () => {
    // Without the blocked user's hash: imported alone, a password export cannot know she is blocked.
    const passwordsWithoutBlocked = join(workspace.directory, 'passwords-unblocked.ndjson');
    const lines = (await readFile(tenantFixture('passwords.ndjson'), 'utf8')).split('\r\n');
    await writeFile(
      passwordsWithoutBlocked,
      lines.filter((line) => !line.includes('mallory')).join('\n'),
    );

    await run([[tenantFixture('users.ndjson'), passwordsWithoutBlocked]]);
    const joined = workosState();
    emulator.reset();
    await run([tenantFixture('users.ndjson'), passwordsWithoutBlocked]);
    const usersFirst = workosState();
    emulator.reset();
    await run([passwordsWithoutBlocked, tenantFixture('users.ndjson')]);
    const passwordsFirst = workosState();

    expect(usersFirst).toEqual(joined);
    expect(passwordsFirst).toEqual(joined);
    expect(joined.filter((user) => user.hasPassword)).toHaveLength(7);
  });

  it('reads the CSV export (quoted, formula-guarded, multi-line) and the JSON array export like the NDJSON one', async () => {
    const csvRun = await run([tenantFixture('users.csv')]);
    const fromCsv = workosState();
    emulator.reset();
    const arrayRun = await run([tenantFixture('users.json')]);
    const fromArray = workosState();
    emulator.reset();
    await run([tenantFixture('users.ndjson')]);
    const fromNdjson = workosState();

    expect(fromArray).toEqual(fromNdjson);
    // The CSV carries the same people; the `'` Auth0 puts before strings is gone.
    expect(fromCsv).toEqual(fromNdjson);
    expect(fromCsv.find((user) => user.email === 'john@example.com')).toMatchObject({
      firstName: 'John "Jack"',
      lastName: "O'Neil, Jr.",
    });
    // CSV records are numbered by the line they start on: John's bio spans two lines.
    expect(csvRun.outcomes.map((outcome) => outcome.origin.line)).toEqual([
      2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    ]);
    expect(arrayRun.outcomes.map((outcome) => outcome.origin.line)).toEqual(
      Array.from({ length: 13 }, (_, index) => index + 1),
    );
  });

  it('changes nothing when the job, or either file alone, is imported again', async () => {
    // Alone, a password export cannot know who is blocked: the blocked user's line is left out.
    const passwordsWithoutBlocked = join(workspace.directory, 'passwords-again.ndjson');
    const lines = (await readFile(tenantFixture('passwords.ndjson'), 'utf8')).split('\r\n');
    await writeFile(
      passwordsWithoutBlocked,
      lines.filter((line) => !line.includes('mallory')).join('\n'),
    );
    await run([[tenantFixture('users.ndjson'), tenantFixture('passwords.ndjson')]]);
    const before = workosState();
    const stamps = new Map(emulator.users().map((user) => [user.id, user.updatedAt]));

    const jobAgain = await run([
      [tenantFixture('users.ndjson'), tenantFixture('passwords.ndjson')],
    ]);
    const usersAgain = await run([tenantFixture('users.ndjson')]);
    const passwordsAgain = await run([passwordsWithoutBlocked]);

    expect(workosState()).toEqual(before);
    // No user was written: a re-run costs the refused create (create-first) and a read each.
    expect(emulator.users().filter((user) => user.updatedAt !== stamps.get(user.id))).toEqual([]);
    for (const again of [jobAgain, usersAgain, passwordsAgain]) {
      expect(again.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
    }
  });

  it('sends one password-reset email to each user created without a usable hash, when asked, and none on a re-run', async () => {
    const files = [tenantFixture('users.ndjson'), tenantFixture('passwords.ndjson')];

    const result = await run([files], { jobOptions: { sendPasswordResets: true } });
    await run([files], { jobOptions: { sendPasswordResets: true } });

    // Alan (an MD5 hash) and Barbara (a database user the password export does not hold) need
    // a new password; social and enterprise users sign in through their provider, and get none.
    expect(
      emulator
        .passwordResets()
        .map((reset) => reset.email)
        .sort(),
    ).toEqual(['alan@example.com', 'barbara@example.com']);
    expect(outcomeOf(result.outcomes, 'users.ndjson', 3)?.reason).toContain('password_reset_sent');
  });

  it('gives a user in three organizations three memberships, when the user already existed', async () => {
    await run([tenantFixture('users.ndjson')]);
    const manifestDirectory = workspace.directory;
    for (const name of [...tenantExportFiles, 'manifest.json']) {
      await copyFile(tenantFixture(name), join(manifestDirectory, name));
    }

    const result = await run([join(manifestDirectory, 'manifest.json')]);

    expect(result.counts.failed).toBe(0);
    expect(result.unaccounted).toBe(0);
    const ada = emulator
      .users()
      .find((user) => user.externalId === 'auth0|64f1c2a9e4b0a1b2c3d4e501');
    const memberships = emulator
      .memberships()
      .filter((membership) => membership.userId === ada?.id);
    expect(memberships).toHaveLength(3);
    expect(memberships.flatMap((membership) => membership.roleSlugs).sort()).toEqual([
      'admin',
      'billing-admin',
      'member',
    ]);
    // Ada herself was there already: unchanged; her three memberships are new.
    const membershipOutcomes = result.outcomes.filter((outcome) =>
      outcome.origin.sourceFile.includes('members-'),
    );
    expect(membershipOutcomes.filter((outcome) => outcome.status === 'created')).toHaveLength(6);

    const again = await run([join(manifestDirectory, 'manifest.json')]);
    expect(again.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
  });
});
