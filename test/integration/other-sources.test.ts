import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkOS } from '@workos-inc/node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type LocalMigrationResult,
  runLocalMigration,
} from '../../src/local/run-local-migration.ts';
import { externalIdFor } from '../../src/model/external-id.ts';
import { type PasswordHashType, passwordHashTypes } from '../../src/model/import-message.ts';
import type { ManifestOptions, SourceFormat } from '../../src/model/job-manifest.ts';
import type { RecordOutcome } from '../../src/model/outcome.ts';
import { type ValidationSummary, validateExport } from '../../src/operations/validate-export.ts';
import type { RecordLayout } from '../../src/sources/formats/export-records.ts';
import { emailSourceIdPrefix } from '../../src/sources/generic-users.ts';
import { describeJob, formatFromKey } from '../../src/split/describe-job.ts';
import { WorkOsOrganizationDirectory } from '../../src/workos/organization-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import {
  type EmulatedUser,
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import {
  firebasePublished,
  knownHashes,
  knownPassword,
} from '../fixtures/sources/known-password-hashes.ts';
import {
  type AwsPipelineFixture,
  createAwsPipelineFixture,
  fixtureApiKey,
  splitterContext,
} from '../helpers/aws-pipeline-fixture.ts';
import { capturingLogger, temporaryExportDirectory } from '../helpers/export-files.ts';

const apiKey = 'sk_test_other_sources';
const clientId = 'client_other_sources';
const fixtures = join(import.meta.dirname, '../fixtures/sources');
const wrongPassword = 'not the password';

/** What WorkOS should hold for one user of an export, keyed by external id. */
interface ExpectedUser {
  externalId: string;
  email: string;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  /** The type of the imported hash; null when the user was imported without a password. */
  passwordHashType: PasswordHashType | null;
}

function user(
  externalId: string,
  email: string,
  emailVerified: boolean,
  [firstName, lastName]: [string | null, string | null],
  passwordHashType: PasswordHashType | null = null,
): ExpectedUser {
  return { externalId, email, emailVerified, firstName, lastName, passwordHashType };
}

/**
 * The id the generic layout derives for a record without one. Written from its documented
 * rule (sha256 of the lower-cased email, 48 hex digits) rather than from the mapper's code.
 */
function emailDerivedId(email: string): string {
  const digest = createHash('sha256').update(email.toLowerCase()).digest('hex');
  return `${emailSourceIdPrefix}${digest.slice(0, 48)}`;
}

interface SourceCase {
  name: string;
  /** The export's path. */
  file: string;
  layout: RecordLayout;
  /** What `describeJob` must recognise from the content alone. */
  detected: SourceFormat;
  jobOptions?: ManifestOptions;
  /** Records of the export: every one must end in an outcome. */
  records: number;
  /** The deliberate bad records, by line (CSV) or element (JSON), with their reasons. */
  rejected: [line: number, reason: string][];
  users: ExpectedUser[];
  /** Password per email where it is not `knownPassword`. */
  passwords?: Record<string, string>;
  /** External id → why, for users imported without a password and flagged for a reset. */
  resets: Record<string, string>;
}

const fixture = (path: string) => join(fixtures, path);

const longRadiaId =
  'legacy-enterprise|samlp|acme-corp-okta-connection|0123456789abcdef0123456789abcdef';
const longFirebaseId =
  'fbLongA1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5';
const longClerkId =
  'user_2long0123456789012345678901234567890123456789012345678901234567890123456789';
const longCognitoId = 'legacy-imported-user-01234567890123456789012345678901234567890123456789';

const firebaseUsers = (hashType: PasswordHashType | null) => [
  user('fbPublished0001', 'user1@example.com', true, ['User', 'One'], hashType),
  user('fbUrlSafe0002', 'urlsafe@example.com', false, ['Ursula', 'Safe'], hashType),
  // Google-only: no password to lose, so none is needed and no reset is flagged.
  user('fbGoogle0005', 'grace@example.org', true, [null, null]),
  user('fbMfa0006', 'mfa@example.com', true, ['Mfa', 'User'], hashType),
  user(externalIdFor(longFirebaseId), 'long@example.com', false, [null, null]),
  user('fbNoSalt0008', 'nosalt@example.com', true, [null, null]),
];

const supabaseUsers = [
  user(
    '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    'ada@example.com',
    true,
    ['Ada', 'Lovelace'],
    'bcrypt',
  ),
  user(
    '4a2c3d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
    'grace@example.org',
    false,
    ['Grace', 'Hopper'],
    'bcrypt',
  ),
  user('5b3d4e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f', 'alan@example.com', true, ['Alan', 'Turing']),
  // A three-word full name is ambiguous: no names rather than wrong ones.
  user(
    '7d5f6a8b-9c0d-4e1f-2a3b-4c5d6e7f8a9b',
    'katherine@example.com',
    true,
    [null, null],
    'bcrypt',
  ),
];

const sources: SourceCase[] = [
  {
    name: 'generic CSV',
    file: fixture('generic/users.csv'),
    layout: 'csv',
    detected: 'generic',
    records: 12,
    rejected: [
      [7, 'missing_email'],
      [8, 'invalid_email'],
      [11, 'invalid_email_verified'],
    ],
    users: [
      user('legacy-0001', 'ada@example.com', true, ['Ada', 'Lovelace'], 'bcrypt'),
      user('legacy-0002', 'grace@example.org', true, ['Grace "Amazing"', 'Hopper, PhD'], 'argon2'),
      user('legacy-0003', 'katherine@example.com', true, ['Katherine', 'Johnson\nGoble'], 'pbkdf2'),
      user('legacy-0004', 'alan@example.com', false, ['Alan', 'Turing']),
      user('legacy-0007', 'margaret@example.com', true, ['Margaret', 'Hamilton']),
      user('legacy-0008', 'hedy@example.com', false, ['Hedy', 'Lamarr']),
      user(externalIdFor(longRadiaId), 'radia@example.com', true, ['Radia', 'Perlman']),
      user('legacy-0011', 'frances@example.com', true, ['Frances', 'Allen'], 'scrypt'),
      user('legacy-0012', 'annie@example.com', true, ['Annie', 'Easley'], 'ssha'),
    ],
    resets: {
      'legacy-0004': 'no_password_hash',
      'legacy-0007': 'unsupported_hash',
      'legacy-0008': 'pbkdf2_iterations_out_of_range',
      [externalIdFor(longRadiaId)]: 'no_password_hash',
    },
  },
  {
    name: 'generic NDJSON',
    file: fixture('generic/users.ndjson'),
    layout: 'ndjson',
    detected: 'generic',
    records: 5,
    rejected: [[3, 'invalid_email_verified']],
    users: [
      // ssha256 with each salt position: the wrong position would not sign them in.
      user('json-4', 'mary@example.com', true, ['Mary', 'Jackson'], 'ssha256'),
      user('json-5', 'evelyn@example.com', true, ['Evelyn', 'Boyd'], 'ssha256'),
      user(
        emailDerivedId('Joan.Clarke@Example.com'),
        'Joan.Clarke@Example.com',
        true,
        ['Joan', 'Clarke'],
        'bcrypt',
      ),
      user(emailDerivedId('dorothy@example.org'), 'dorothy@example.org', false, [
        'Dorothy',
        'Vaughan',
      ]),
    ],
    resets: { [emailDerivedId('dorothy@example.org')]: 'no_password_hash' },
  },
  {
    name: 'WorkOS upload template CSV',
    file: fixture('generic/workos-template.csv'),
    layout: 'csv',
    detected: 'generic',
    records: 3,
    rejected: [],
    users: [
      user('tmpl-1', 'joan@example.com', true, ['Joan', 'Clarke'], 'bcrypt'),
      user('tmpl-2', 'mary@example.org', false, ['Mary', 'Jackson'], 'argon2'),
      user('tmpl-3', 'evelyn@example.com', false, ['Evelyn', 'Boyd']),
    ],
    resets: { 'tmpl-3': 'unsupported_hash' },
  },
  {
    name: 'Firebase JSON with its hash parameters',
    file: fixture('firebase/users.json'),
    layout: 'json-array',
    detected: 'firebase',
    jobOptions: { firebase: firebasePublished.parameters },
    records: 8,
    rejected: [
      [3, 'missing_email'],
      [4, 'blocked'],
    ],
    users: firebaseUsers('firebase-scrypt'),
    passwords: { 'user1@example.com': firebasePublished.password },
    resets: {
      [externalIdFor(longFirebaseId)]: 'no_password_hash',
      fbNoSalt0008: 'unsupported_hash_format',
    },
  },
  {
    name: 'Firebase JSON without hash parameters',
    file: fixture('firebase/users.json'),
    layout: 'json-array',
    detected: 'firebase',
    records: 8,
    rejected: [
      [3, 'missing_email'],
      [4, 'blocked'],
    ],
    users: firebaseUsers(null),
    resets: {
      fbPublished0001: 'missing_hash_parameters',
      fbUrlSafe0002: 'missing_hash_parameters',
      fbMfa0006: 'missing_hash_parameters',
      [externalIdFor(longFirebaseId)]: 'no_password_hash',
      fbNoSalt0008: 'missing_hash_parameters',
    },
  },
  {
    name: 'Clerk CSV',
    file: fixture('clerk/users.csv'),
    layout: 'csv',
    detected: 'clerk',
    records: 14,
    rejected: [[14, 'missing_email']],
    users: [
      user(
        'user_2alice0000000000000000001',
        'alice@example.com',
        true,
        ['Alice', 'Johnson'],
        'bcrypt',
      ),
      user(
        'user_2bob000000000000000000002',
        'bob@example.com',
        true,
        ['Bob', "O'Neil, Jr."],
        'bcrypt',
      ),
      user('user_2carol00000000000000000003', 'carol@example.org', true, ['Carol', 'Shaw']),
      user('user_2dave000000000000000000004', 'dave@example.com', false, ['Dave', 'Cutler']),
      user(
        'user_2erin000000000000000000005',
        'erin@example.com',
        true,
        ['Erin', 'Catto'],
        'bcrypt',
      ),
      user('user_2fay0000000000000000000006', 'fay@example.com', true, ['Fay', 'Argon'], 'argon2'),
      user('user_2gus0000000000000000000007', 'gus@example.com', true, ['Gus', 'Argon'], 'argon2'),
      user('user_2hal0000000000000000000008', 'hal@example.com', true, ['Hal', 'Lowmem']),
      user('user_2ivy0000000000000000000009', 'ivy@example.com', true, ['Ivy', 'Pbkdf'], 'pbkdf2'),
      user('user_2jay0000000000000000000010', 'jay@example.com', true, ['Jay', 'Django'], 'pbkdf2'),
      user(
        'user_2kim0000000000000000000011',
        'kim@example.com',
        true,
        ['Kim', 'Firebase'],
        'firebase-scrypt',
      ),
      user('user_2lee0000000000000000000012', 'lee@example.com', true, ['Lee', 'Md5']),
      user(externalIdFor(longClerkId), 'nia@example.com', true, ['Nia', 'Long']),
    ],
    resets: {
      user_2carol00000000000000000003: 'no_password_hash',
      user_2dave000000000000000000004: 'no_password_hash',
      user_2hal0000000000000000000008: 'argon2_memory_out_of_range',
      user_2lee0000000000000000000012: 'unsupported_hash',
      [externalIdFor(longClerkId)]: 'no_password_hash',
    },
  },
  {
    name: 'Cognito ListUsers JSON',
    file: fixture('cognito/list-users.json'),
    layout: 'json-array',
    detected: 'cognito',
    records: 7,
    rejected: [
      [3, 'blocked'],
      [5, 'missing_email'],
    ],
    users: [
      user('22704aa3-fc10-479a-97eb-2af5806bd327', 'mary@example.com', true, ['Mickey', 'Mouse']),
      user('5f3c1c8e-0a4b-4d6e-9f11-0c1d2e3f4a5b', 'minnie@example.com', false, [
        'Minnie',
        'Mouse',
      ]),
      user('9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', 'goofy@example.org', false, ['Goofy', null]),
      user('e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a6b', 'donald@example.com', true, [null, null]),
      user(externalIdFor(longCognitoId), 'daisy@example.com', true, [null, null]),
    ],
    // Cognito exports no hashes: every imported user needs a reset.
    resets: {
      '22704aa3-fc10-479a-97eb-2af5806bd327': 'no_password_export',
      '5f3c1c8e-0a4b-4d6e-9f11-0c1d2e3f4a5b': 'no_password_export',
      '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d': 'no_password_export',
      'e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a6b': 'no_password_export',
      [externalIdFor(longCognitoId)]: 'no_password_export',
    },
  },
  {
    name: 'Supabase CSV',
    file: fixture('supabase/users.csv'),
    layout: 'csv',
    detected: 'supabase',
    records: 5,
    rejected: [[5, 'missing_email']],
    users: supabaseUsers,
    resets: { '5b3d4e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f': 'no_password_hash' },
  },
  {
    name: 'Supabase JSON',
    file: fixture('supabase/users.json'),
    layout: 'json-array',
    detected: 'supabase',
    records: 5,
    rejected: [[4, 'missing_email']],
    users: supabaseUsers,
    resets: { '5b3d4e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f': 'no_password_hash' },
  },
];

/** `password_reset_required:<why>` → why; undefined when the reason flags no reset. */
function resetWhy(reason: string | undefined): string | undefined {
  const note = reason?.split(';').find((part) => part.startsWith('password_reset_required:'));
  return note?.slice('password_reset_required:'.length);
}

function countBy<T>(items: T[], key: (item: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const value = key(item);
    if (value !== undefined) counts[value] = (counts[value] ?? 0) + 1;
  }
  return counts;
}

function isImported(outcome: RecordOutcome): boolean {
  return ['created', 'updated', 'unchanged'].includes(outcome.status);
}

/** What WorkOS holds, in the shape of `ExpectedUser`, sorted by external id. */
function workosState(users: EmulatedUser[]) {
  return users
    .map((stored) => ({
      externalId: stored.externalId,
      email: stored.email,
      emailVerified: stored.emailVerified,
      firstName: stored.firstName,
      lastName: stored.lastName,
      passwordHashType: stored.passwordHash === null ? null : stored.passwordHashType,
    }))
    .sort((a, b) => String(a.externalId).localeCompare(String(b.externalId)));
}

function sortedUsers(users: ExpectedUser[]) {
  return [...users].sort((a, b) => a.externalId.localeCompare(b.externalId));
}

function workosClientFor(url: string, key: string) {
  const { hostname, port } = new URL(url);
  return new WorkOS(key, {
    apiHostname: hostname,
    port: Number(port),
    https: false,
    maxRetries: 0,
    clientId,
  });
}

async function describeFromContent(path: string) {
  return describeJob({ jobId: 'job_detect', files: [{ key: path }] }, async (key) =>
    createReadStream(key),
  );
}

/** WorkOS's "other services" columns, with an id, a hash type and a salt position per row. */
async function writeGenericCsv(
  path: string,
  rows: { id: string; email: string; hash: string; type: string; saltPosition?: string }[],
) {
  const lines = [
    'external_id,email,first_name,last_name,email_verified,password_hash,password_hash_type,password_salt_position',
    ...rows.map(
      (row) =>
        `${row.id},${row.email},Known,Hash,true,"${row.hash.replaceAll('"', '""')}",${row.type},${row.saltPosition ?? ''}`,
    ),
  ];
  await writeFile(path, `${lines.join('\n')}\n`);
}

describe('Exports of other services in local mode, against the emulator', () => {
  let emulator: RunningWorkOsEmulator;
  let workspace: Awaited<ReturnType<typeof temporaryExportDirectory>>;

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey, clientId });
    workspace = await temporaryExportDirectory();
  });
  afterAll(async () => {
    await emulator.close();
    await workspace.cleanup();
  });

  async function run(
    path: string,
    { format, jobOptions }: { format?: SourceFormat | undefined; jobOptions?: ManifestOptions },
  ) {
    const workos = createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 5_000 });
    return runLocalMigration({
      files: [path],
      ...(format === undefined ? {} : { format }),
      ...(jobOptions === undefined ? {} : { jobOptions }),
      directory: new WorkOsUserDirectory(workos),
      organizations: new WorkOsOrganizationDirectory(workos),
      writesPerSecond: 400,
      maxConcurrency: 2,
      maxReceiveCount: 5,
      logger: capturingLogger().logger,
    });
  }

  function signIn(email: string, password: string) {
    return workosClientFor(emulator.url, apiKey).userManagement.authenticateWithPassword({
      clientId,
      email,
      password,
    });
  }

  describe.each(sources)('$name', (source) => {
    const path = source.file;
    let preview: ValidationSummary;
    let requestsDuringValidation: number;
    let result: LocalMigrationResult;
    let stored: EmulatedUser[];

    beforeAll(async () => {
      emulator.reset();
      // Nothing names the format: both rely on detection, as an upload under exports/ does.
      preview = await validateExport({
        files: [path],
        ...(source.jobOptions === undefined ? {} : { options: source.jobOptions }),
      });
      requestsDuringValidation = emulator.stats().requests;
      result = await run(path, {
        ...(source.jobOptions === undefined ? {} : { jobOptions: source.jobOptions }),
      });
      stored = emulator.users();
    });

    it(`is recognised as ${source.detected} from its content, with no format given`, async () => {
      const job = await describeFromContent(path);
      expect(job.format).toBe(source.detected);
      expect(job.files).toEqual([{ sourceFile: path, kind: 'users', layout: source.layout }]);
    });

    it('accounts for every record: the deliberate bad ones rejected with their reason, the rest created', () => {
      expect(result.unaccounted).toBe(0);
      expect(result.outcomes).toHaveLength(source.records);
      expect(result.jobs).toEqual([
        expect.objectContaining({ read: source.records, splitState: 'split' }),
      ]);
      expect(result.counts).toEqual({
        created: source.users.length,
        updated: 0,
        unchanged: 0,
        rejected: source.rejected.length,
        failed: 0,
      });
      const rejected = result.outcomes
        .filter((outcome) => outcome.status === 'rejected')
        .map((outcome) => [outcome.origin.line, outcome.reason]);
      expect(rejected).toEqual(source.rejected);
    });

    it('leaves WorkOS holding each user by external id, email_verified exactly as exported', () => {
      expect(workosState(stored)).toEqual(sortedUsers(source.users));
      const created = result.outcomes.filter((outcome) => outcome.status === 'created');
      const byId = new Map(stored.map((workosUser) => [workosUser.id, workosUser.externalId]));
      for (const outcome of created) {
        expect(byId.get(outcome.workosUserId ?? '')).toBe(externalIdFor(outcome.sourceId ?? ''));
      }
    });

    it('signs in every user whose hash was importable with the original password, never with a wrong one', async () => {
      const withHash = source.users.filter((expected) => expected.passwordHashType !== null);
      for (const expected of withHash) {
        const password = source.passwords?.[expected.email] ?? knownPassword;
        await expect(signIn(expected.email, password), expected.externalId).resolves.toMatchObject({
          user: { email: expected.email, externalId: expected.externalId },
        });
        await expect(signIn(expected.email, wrongPassword), expected.externalId).rejects.toThrow();
      }
    });

    it('imports the users flagged for a reset without a password, with password_reset_required:<why>', async () => {
      const flagged = Object.fromEntries(
        result.outcomes
          .filter((outcome) => isImported(outcome) && resetWhy(outcome.reason) !== undefined)
          .map((outcome) => [externalIdFor(outcome.sourceId ?? ''), resetWhy(outcome.reason)]),
      );
      expect(flagged).toEqual(source.resets);
      for (const externalId of Object.keys(source.resets)) {
        const flaggedUser = stored.find((candidate) => candidate.externalId === externalId);
        expect(flaggedUser, externalId).toMatchObject({ passwordHash: null });
        await expect(signIn(flaggedUser?.email ?? '', knownPassword)).rejects.toThrow();
      }
    });

    it('agrees with `validate`, which read the same file without calling WorkOS, on every count', () => {
      expect(requestsDuringValidation).toBe(0);
      const { counts, outcomes } = result;
      const imported = outcomes.filter(isImported);
      expect(preview.job).toEqual({
        format: source.detected,
        files: [{ sourceFile: path, kind: 'users', layout: source.layout }],
      });
      expect(preview.read).toBe(outcomes.length);
      expect(preview.rejected).toBe(counts.rejected);
      expect(preview.rejectedByReason).toEqual(
        countBy(
          outcomes.filter((outcome) => outcome.status === 'rejected'),
          (outcome) => outcome.reason,
        ),
      );
      expect(preview.toImport.users + preview.joined + preview.merged).toBe(
        counts.created + counts.updated + counts.unchanged,
      );
      expect(preview.passwordHashTypes).toEqual(
        countBy(stored, (workosUser) =>
          workosUser.passwordHash === null ? undefined : (workosUser.passwordHashType ?? undefined),
        ),
      );
      expect(preview.resetsNeeded).toEqual(
        countBy(imported, (outcome) => resetWhy(outcome.reason)),
      );
      expect(preview.notes).toEqual(
        countBy(
          imported.flatMap((outcome) => outcome.reason?.split(';') ?? []),
          (note) => (note.startsWith('password_reset_required:') ? undefined : note.split(':')[0]),
        ),
      );
    });
  });

  // A `user_id` column alone does not make Auth0: the template's ids have no `provider|` shape.
  it('imports the WorkOS upload template with its hashes when no format is given', async () => {
    const template = sources.find((source) => source.name === 'WorkOS upload template CSV');
    emulator.reset();

    const result = await run(fixture('generic/workos-template.csv'), {});

    expect(workosState(emulator.users())).toEqual(sortedUsers(template?.users ?? []));
    expect(result.counts).toMatchObject({ created: 3, rejected: 0 });
  });

  it('emails a password reset to exactly the users flagged for one, when the job asks', async () => {
    const cognito = sources.find((source) => source.detected === 'cognito');
    emulator.reset();

    const result = await run(fixture('cognito/list-users.json'), {
      jobOptions: { sendPasswordResets: true },
    });

    const flagged = Object.keys(cognito?.resets ?? {});
    const emailOf = new Map(
      cognito?.users.map((expected) => [expected.externalId, expected.email]),
    );
    expect(
      emulator
        .passwordResets()
        .map((reset) => reset.email)
        .sort(),
    ).toEqual(flagged.map((externalId) => emailOf.get(externalId)).sort());
    const sent = result.outcomes.filter((outcome) =>
      outcome.reason?.split(';').includes('password_reset_sent'),
    );
    expect(sent.map((outcome) => externalIdFor(outcome.sourceId ?? '')).sort()).toEqual(
      flagged.sort(),
    );
  });

  it('has a user of every WorkOS hash type among the fixture users signed in above', () => {
    const signedIn = new Set(
      sources.flatMap((source) => source.users.map((expected) => expected.passwordHashType)),
    );
    expect([...passwordHashTypes].filter((type) => !signedIn.has(type))).toEqual([]);
  });

  it('signs in every variant known-password-hashes.ts produces, from a generic CSV written here', async () => {
    const path = join(workspace.directory, 'every-hash.csv');
    const rows = await Promise.all(
      knownHashes.map(async (known, index) => ({
        id: `known-${index}`,
        email: `known-${index}@example.com`,
        hash: await known.make(),
        type: known.type,
        ...(known.saltPosition === undefined ? {} : { saltPosition: known.saltPosition }),
      })),
    );
    await writeGenericCsv(path, rows);
    emulator.reset();

    const result = await run(path, {});

    expect(result.counts).toMatchObject({ created: knownHashes.length, failed: 0 });
    expect(result.outcomes.filter((outcome) => outcome.reason !== undefined)).toEqual([]);
    for (const [index, known] of knownHashes.entries()) {
      const email = `known-${index}@example.com`;
      await expect(signIn(email, known.password), known.label).resolves.toBeDefined();
      await expect(signIn(email, wrongPassword), known.label).rejects.toThrow();
      const stored = emulator.users().find((candidate) => candidate.email === email);
      expect(stored?.passwordSaltPosition, known.label).toBe(known.saltPosition ?? null);
    }
  }, 60_000);

  it('lets a key under exports/<source>/ name the source over what the content looks like', async () => {
    const genericCsv = fixture('generic/users.csv');
    const format = formatFromKey('exports/clerk/users.csv', 'exports/');

    const job = await describeJob(
      { jobId: 'job_key', files: [{ key: genericCsv }], ...(format ? { format } : {}) },
      async (key) => createReadStream(key),
    );

    expect(format).toBe('clerk');
    expect(job.format).toBe('clerk');
    expect((await describeFromContent(genericCsv)).format).toBe('generic');
    expect(formatFromKey('exports/users.csv', 'exports/')).toBeUndefined();
    expect(formatFromKey('exports/okta/users.csv', 'exports/')).toBeUndefined();
  });
});

describe('On AWS (moto): Firebase exports through the real splitter and consumer', () => {
  let pipeline: AwsPipelineFixture;
  const firebaseExport = fixture('firebase/users.json');

  beforeAll(async () => {
    pipeline = await createAwsPipelineFixture(inject('awsEndpoint'));
  });
  afterAll(async () => {
    await pipeline.close();
  });

  function signIn(email: string, password: string) {
    return workosClientFor(
      pipeline.emulator.url,
      fixtureApiKey,
    ).userManagement.authenticateWithPassword({ clientId, email, password });
  }

  async function splitAndDrain(event: Parameters<AwsPipelineFixture['splitter']>[0]) {
    const [summary] = await pipeline.splitter(event, splitterContext());
    await pipeline.drain();
    expect(summary).toMatchObject({ read: 8, completed: true });
    return pipeline.expectLedgerMatchesWorkOs(summary?.jobId ?? '');
  }

  it('imports a job manifest with the project hash parameters, and users sign in with their original passwords', async () => {
    pipeline.emulator.reset();
    await pipeline.uploadFile('jobs/firebase-job/users.json', await readFile(firebaseExport));
    const manifest = {
      format: 'firebase',
      files: [{ key: 'users.json' }],
      options: { firebase: firebasePublished.parameters },
    };
    const event = await pipeline.uploadFile(
      'jobs/firebase-job/manifest.json',
      JSON.stringify(manifest),
    );

    const { job, outcomes } = await splitAndDrain(event);

    expect(job?.counts).toEqual({ created: 6, updated: 0, unchanged: 0, rejected: 2, failed: 0 });
    expect(workosState(pipeline.emulator.users())).toEqual(
      sortedUsers(firebaseUsers('firebase-scrypt')),
    );
    expect(outcomes.map((outcome) => outcome.origin.sourceFile)).toEqual(
      Array(8).fill('jobs/firebase-job/users.json'),
    );
    await expect(signIn('user1@example.com', firebasePublished.password)).resolves.toMatchObject({
      user: { externalId: 'fbPublished0001' },
    });
    await expect(signIn('urlsafe@example.com', knownPassword)).resolves.toBeDefined();
    await expect(signIn('user1@example.com', knownPassword)).rejects.toThrow();
  });

  it('reads the source from exports/firebase/ and, with no parameters there, imports users without passwords for a reset', async () => {
    pipeline.emulator.reset();
    const event = await pipeline.uploadFile(
      'exports/firebase/users.json',
      await readFile(firebaseExport),
    );

    const { job, outcomes } = await splitAndDrain(event);

    expect(job?.counts).toEqual({ created: 6, updated: 0, unchanged: 0, rejected: 2, failed: 0 });
    expect(workosState(pipeline.emulator.users())).toEqual(sortedUsers(firebaseUsers(null)));
    expect(countBy(outcomes, (outcome) => resetWhy(outcome.reason))).toEqual({
      missing_hash_parameters: 4,
      no_password_hash: 1,
    });
  });

  it('imports the WorkOS upload template under exports/generic/ as generic, hashes included', async () => {
    pipeline.emulator.reset();
    const event = await pipeline.uploadFile(
      'exports/generic/workos-template.csv',
      await readFile(fixture('generic/workos-template.csv')),
    );

    const [summary] = await pipeline.splitter(event, splitterContext());
    await pipeline.drain();
    const { job } = await pipeline.expectLedgerMatchesWorkOs(summary?.jobId ?? '');

    const template = sources.find((source) => source.name === 'WorkOS upload template CSV');
    expect(job?.counts).toMatchObject({ created: 3, rejected: 0, failed: 0 });
    expect(workosState(pipeline.emulator.users())).toEqual(sortedUsers(template?.users ?? []));
    await expect(signIn('joan@example.com', knownPassword)).resolves.toBeDefined();
    await expect(signIn('mary@example.org', knownPassword)).resolves.toBeDefined();
  });
});
