import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalMigrationOptions,
  runLocalMigration,
} from '../../src/local/run-local-migration.ts';
import { externalIdFor } from '../../src/model/external-id.ts';
import type { RecordOutcome } from '../../src/model/outcome.ts';
import { validateExport } from '../../src/operations/validate-export.ts';
import { WorkOsOrganizationDirectory } from '../../src/workos/organization-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import { tenantExportFiles, tenantFixture } from '../helpers/auth0-tenant-fixture.ts';
import { comparableUsers, signInThroughSdk } from '../helpers/emulated-users.ts';
import { capturingLogger, temporaryExportDirectory } from '../helpers/export-files.ts';
import { runMigrateCli } from '../helpers/migrate-cli.ts';

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
};

/** Dennis has a hash in the password export but no user in the users export (deleted since). */
const orphanPassword = { email: 'dennis@example.com', password: 'unix and c' };

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
    // 10 users + the 7 password lines joined into them created; GitHub's duplicate and Ada's
    // second hash unchanged; the blocked user, her hash, the phone-only user and the password
    // record whose user the users export does not hold rejected.
    expect(result.counts).toEqual({
      created: 17,
      updated: 0,
      unchanged: 2,
      rejected: 4,
      failed: 0,
    });
    // 10 users: one create each, nothing else written.
    expect(emulator.stats()).toMatchObject({ writes: 10 });
    expect(emulator.users()).toHaveLength(10);

    for (const [email, password] of Object.entries(passwords)) {
      await expect(signIn(email, password), email).resolves.toBeDefined();
    }
    // The orphan password record brought no deleted account back.
    await expect(signIn(orphanPassword.email, orphanPassword.password)).rejects.toThrow();
    expect(outcomeOf(result.outcomes, 'passwords.ndjson', 9)).toMatchObject({
      status: 'rejected',
      reason: 'orphan_password',
      sourceId: 'auth0|64f1c2a9e4b0a1b2c3d4e513',
    });
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
      toImport: { users: 10, organizations: 0, memberships: 0 },
      passwordHashTypes: { bcrypt: 6 },
      resetsNeeded: { unsupported_hash: 1, no_password_hash: 1 },
      notes: { mfa_reenrolment_required: 1, metadata_not_imported: 1 },
    });
    expect(preview.rejectedByReason).toEqual({
      blocked: 1,
      missing_email: 1,
      'joined_into_line:8': 1,
      orphan_password: 1,
    });
    // Every record read is imported (alone or joined), rejected, or merged, in both.
    expect(preview.toImport.users + preview.joined).toBe(
      result.counts.created + result.counts.updated + result.counts.unchanged - preview.merged,
    );
  });

  /**
   * The tenant's password export without the lines that mention `names`, for runs of the
   * password export alone (which cannot tell a blocked or deleted user from any other).
   */
  async function passwordsWithout(...names: string[]): Promise<string> {
    const path = join(workspace.directory, `passwords-without-${names.join('-')}.ndjson`);
    const lines = (await readFile(tenantFixture('passwords.ndjson'), 'utf8')).split('\r\n');
    await writeFile(
      path,
      lines.filter((line) => !names.some((name) => line.includes(name))).join('\n'),
    );
    return path;
  }

  it("brings every user of the users export to the joined job's state when the password export ran first, removing the blocked user it created", async () => {
    await run([[tenantFixture('users.ndjson'), tenantFixture('passwords.ndjson')]]);
    const joined = workosState();
    emulator.reset();

    const passwordsRun = await run([tenantFixture('passwords.ndjson')]);
    const mallory = emulator.users().find((user) => user.email === 'mallory@example.com');
    const usersRun = await run([tenantFixture('users.ndjson')]);

    // Names, metadata, verification and hashes as the joined job gives them.
    const joinedIds = new Set(joined.map((user) => user.externalId));
    const afterBoth = workosState();
    expect(afterBoth.filter((user) => joinedIds.has(user.externalId))).toEqual(joined);
    expect(joined.filter((user) => user.hasPassword)).toHaveLength(6);
    // Alone, the password export could not know Mallory is blocked; the users export removed
    // her while she had never signed in.
    expect(mallory).toBeDefined();
    expect(emulator.users().some((user) => user.email === 'mallory@example.com')).toBe(false);
    expect(outcomeOf(usersRun.outcomes, 'users.ndjson', 8)).toMatchObject({
      status: 'rejected',
      reason: 'removed_blocked_in_source',
      workosUserId: mallory?.id,
    });
    // Nor could it know Dennis is gone from the tenant: his user stays, as the README says.
    expect(afterBoth.filter((user) => !joinedIds.has(user.externalId))).toMatchObject([
      { email: orphanPassword.email },
    ]);
    expect(passwordsRun.counts).toMatchObject({ created: 9, failed: 0 });
    expect(usersRun.counts.failed).toBe(0);
  });

  it("ends in the joined job's state when the users export runs first, for what a password export alone can tell", async () => {
    const passwordsAlone = await passwordsWithout('mallory', 'dennis');
    await run([[tenantFixture('users.ndjson'), tenantFixture('passwords.ndjson')]]);
    const joined = workosState();
    emulator.reset();

    await run([tenantFixture('users.ndjson'), passwordsAlone]);

    expect(workosState()).toEqual(joined);
  });

  /**
   * The tenant's password export with a second orphan record after Dennis's: a hash for
   * linus@example.com, whom the users export holds as a Google user (line 11).
   */
  async function passwordsWithSocialOrphan(): Promise<string> {
    const path = join(workspace.directory, 'passwords-with-orphans.ndjson');
    const fixture = await readFile(tenantFixture('passwords.ndjson'), 'utf8');
    const linusHash = {
      _id: { $oid: '64f1c2a9e4b0a1b2c3d4e5f0' },
      email_verified: true,
      email: 'linus@example.com',
      passwordHash: '$2b$04$HHlt93EL6D0xc7DDspyCG.kFuPLFYzf5EfToQnfG8223gFcITCrEi',
      tenant: 'example-tenant',
      connection: 'Username-Password-Authentication',
    };
    await writeFile(path, `${fixture.trimEnd()}\r\n${JSON.stringify(linusHash)}\r\n`);
    return path;
  }

  const linusExternalId = 'google-oauth2|109876543210987654321';

  it('rejects each password record whose user the users export lacks, with its line, and fails nothing', async () => {
    const passwordsFile = await passwordsWithSocialOrphan();

    const result = await run([[tenantFixture('users.ndjson'), passwordsFile]]);

    expect(result.counts.failed).toBe(0);
    expect(result.unaccounted).toBe(0);
    for (const line of [9, 11]) {
      expect(outcomeOf(result.outcomes, 'passwords-with-orphans.ndjson', line)).toMatchObject({
        status: 'rejected',
        reason: 'orphan_password',
      });
    }
    expect(emulator.users()).toHaveLength(10);
    expect(emulator.users().find((user) => user.externalId === linusExternalId)).toMatchObject({
      passwordHash: null,
    });
    await expect(signIn(orphanPassword.email, orphanPassword.password)).rejects.toThrow();
  });

  it('summarizes a joined job in the users WorkOS gained and the writes it took, as the emulator counts them (--json)', async () => {
    const cli = await runMigrateCli(
      [
        'local',
        '--json',
        '--state',
        join(workspace.directory, 'json-summary.state.db'),
        tenantFixture('users.ndjson'),
        tenantFixture('passwords.ndjson'),
      ],
      { WORKOS_API_KEY: apiKey, WORKOS_API_URL: emulator.url },
    );

    expect(cli.code, cli.stderr).toBe(0);
    // The summary is stdout's last line; the pipeline's log lines, when enabled, come before it.
    const summary = JSON.parse(cli.stdout.trim().split('\n').at(-1) ?? '');
    const stats = emulator.stats();
    // Password lines joined into their users are records, not users: counting them as created
    // users would overstate both the users and the write rate.
    expect(summary.records.joinedIntoUser).toBeGreaterThan(0);
    expect(summary.users.created).toBe(stats.usersCreated);
    expect(summary.users.created).toBe(stats.userCount);
    expect(summary.workosCalls).toEqual({
      writes: stats.writes,
      reads: stats.reads,
      rateLimited: stats.rateLimited,
    });
    const users = Object.values(summary.users as Record<string, number>);
    expect(users.reduce((total, n) => total + n, 0) + summary.records.joinedIntoUser).toBe(
      summary.records.read,
    );
  });

  it('prints the same figures as text, WorkOS calls included, for any WorkOS URL', async () => {
    const cli = await runMigrateCli(
      [
        'local',
        '--state',
        join(workspace.directory, 'text-summary.state.db'),
        tenantFixture('users.ndjson'),
        tenantFixture('passwords.ndjson'),
      ],
      { WORKOS_API_KEY: apiKey, WORKOS_API_URL: emulator.url },
    );

    expect(cli.code, cli.stderr).toBe(0);
    const stats = emulator.stats();
    expect(cli.stdout).toMatch(new RegExp(`^ {4}created +${stats.usersCreated}$`, 'm'));
    expect(cli.stdout).toMatch(/^ {4}joined into a user +\d+ +\(joined_into_line \d+/m);
    expect(cli.stdout).toContain(
      `  WorkOS calls          ${stats.writes} writes, ${stats.reads} reads, ${stats.rateLimited} answered 429`,
    );
    expect(cli.stdout).toMatch(/WorkOS writes\/s$/m);
  });

  it('exits 0 from `migrate local` for a job whose only conditions are orphan password records', async () => {
    const passwordsFile = await passwordsWithSocialOrphan();

    const cli = await runMigrateCli(
      ['local', '--emulator', tenantFixture('users.ndjson'), passwordsFile],
      {},
    );

    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/orphan_password 2/);
    expect(cli.stdout).not.toMatch(/FAILED/);
  });

  it('imports orphan password records as users when the job opts in, except one whose email another user holds', async () => {
    const passwordsFile = await passwordsWithSocialOrphan();

    const result = await run([[tenantFixture('users.ndjson'), passwordsFile]], {
      jobOptions: { importOrphanPasswords: true },
    });

    expect(result.counts.failed).toBe(0);
    expect(outcomeOf(result.outcomes, 'passwords-with-orphans.ndjson', 9)).toMatchObject({
      status: 'created',
    });
    await expect(signIn(orphanPassword.email, orphanPassword.password)).resolves.toBeDefined();
    // Linus's hash never attaches to his Google user.
    const linus = emulator.users().find((user) => user.externalId === linusExternalId);
    expect(linus).toMatchObject({ passwordHash: null });
    expect(outcomeOf(result.outcomes, 'passwords-with-orphans.ndjson', 11)).toMatchObject({
      status: 'rejected',
      reason: 'orphan_password_email_in_use',
      workosUserId: linus?.id,
    });
  });

  it('rejects, never fails, a record of a password export alone whose email another user holds', async () => {
    await run([tenantFixture('users.ndjson')]);
    const passwordsFile = await passwordsWithSocialOrphan();

    const result = await run([passwordsFile]);

    expect(result.counts.failed).toBe(0);
    expect(outcomeOf(result.outcomes, 'passwords-with-orphans.ndjson', 11)).toMatchObject({
      status: 'rejected',
      reason: 'orphan_password_email_in_use',
    });
    expect(emulator.users().find((user) => user.externalId === linusExternalId)).toMatchObject({
      passwordHash: null,
    });
  });

  it('treats the same email on two users of the source, split by different jobs, as one job does: unchanged, merged into the holder', async () => {
    // Katherine's database user (line 7) in one job, her GitHub user (line 6) in a later one.
    const lines = (await readFile(tenantFixture('users.ndjson'), 'utf8')).split('\n');
    const firstJob = join(workspace.directory, 'users-without-github.ndjson');
    const secondJob = join(workspace.directory, 'users-github.ndjson');
    await writeFile(firstJob, lines.filter((line) => !line.includes('github|')).join('\n'));
    await writeFile(secondJob, lines.filter((line) => line.includes('github|')).join('\n'));

    await run([firstJob]);
    const writesBefore = emulator.stats().writes;
    const result = await run([secondJob]);

    const katherine = emulator
      .users()
      .find((user) => user.externalId === 'auth0|64f1c2a9e4b0a1b2c3d4e506');
    expect(result.counts.failed).toBe(0);
    expect(result.outcomes).toMatchObject([
      {
        status: 'unchanged',
        reason: 'merged_into_existing_user',
        workosUserId: katherine?.id,
        sourceId: 'github|5551234',
      },
    ]);
    expect(emulator.users().some((user) => user.externalId === 'github|5551234')).toBe(false);
    // The refused create is the only write.
    expect(emulator.stats().writes - writesBefore).toBe(1);
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
    // The CSV carries the same people (and only the metadata columns chosen for it); the `'`
    // Auth0 puts before strings is gone.
    const withoutMetadata = (users: typeof fromCsv) =>
      users.map(({ metadata: _, ...user }) => user);
    expect(withoutMetadata(fromCsv)).toEqual(withoutMetadata(fromNdjson));
    expect(fromCsv.find((user) => user.email === 'ada@example.com')?.metadata).toMatchObject({
      'app.plan': 'pro',
    });
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
    // Alone, a password export cannot know who is blocked or deleted: their lines are left out.
    const passwordsWithoutBlocked = await passwordsWithout('mallory', 'dennis');
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
