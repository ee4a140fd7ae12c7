import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DuplicateUserError,
  PermanentImportError,
  RateLimitedError,
  TransientImportError,
  WorkOsAuthenticationError,
} from '../../../src/errors.ts';
import type { NewDirectoryUser } from '../../../src/workos/user-directory.ts';
import {
  createWorkOsClient,
  WorkOsUserDirectory,
} from '../../../src/workos/workos-user-directory.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../../tools/workos-emulator/src/workos-emulator.ts';
import {
  knownPassword,
  ssha256Of,
} from '../../../tools/workos-emulator/test/password-hash-fixtures.ts';

const apiKey = 'sk_test_directory';

/**
 * Two users that differ only in how the adapter sends them: bcrypt goes through the SDK's
 * `createUser`/`updateUser`, ssha256 with a salt position through the SDK's raw `post`/`put`,
 * because the SDK's types have neither.
 */
const paths = [
  {
    path: 'the SDK method (bcrypt)',
    password: () => ({
      passwordHash: bcrypt.hashSync(knownPassword, 4),
      passwordHashType: 'bcrypt' as const,
    }),
    malformed: { passwordHash: '$2b$03$x', passwordHashType: 'bcrypt' as const },
  },
  {
    path: 'the raw request (ssha256, prefix)',
    password: () => ({
      passwordHash: ssha256Of(knownPassword, 'prefix'),
      passwordHashType: 'ssha256' as const,
      passwordSaltPosition: 'prefix' as const,
    }),
    malformed: {
      passwordHash: '{SSHA256}AAAA',
      passwordHashType: 'ssha256' as const,
      passwordSaltPosition: 'prefix' as const,
    },
  },
];

function newUser(email: string, password: Partial<NewDirectoryUser>): NewDirectoryUser {
  return {
    email,
    emailVerified: true,
    firstName: 'Ada',
    lastName: 'Lovelace',
    externalId: `ext-${email}`,
    metadata: { import_source: 'test' },
    ...password,
  };
}

describe('Class: WorkOsUserDirectory against the emulator', () => {
  let emulator: RunningWorkOsEmulator;
  let directory: WorkOsUserDirectory;

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey, clientId: 'client_directory' });
    directory = new WorkOsUserDirectory(
      createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 5_000 }),
    );
  });
  beforeEach(() => emulator.reset());
  afterAll(async () => {
    await emulator.close();
  });

  describe.each(paths)('through $path', ({ password, malformed }) => {
    it('creates and updates the user, returning it as the importer sees users', async () => {
      const sent = password();
      const created = await directory.createUser(newUser('ada@example.com', sent));
      expect(created).toMatchObject({
        email: 'ada@example.com',
        emailVerified: true,
        firstName: 'Ada',
        lastName: 'Lovelace',
        externalId: 'ext-ada@example.com',
        metadata: { import_source: 'test' },
        lastSignInAt: null,
      });
      const updated = await directory.updateUser(created.id, { ...password(), lastName: 'King' });
      expect(updated).toMatchObject({ id: created.id, lastName: 'King' });
      expect(emulator.users()[0]).toMatchObject({
        passwordHashType: sent.passwordHashType,
        passwordSaltPosition: 'passwordSaltPosition' in sent ? sent.passwordSaltPosition : null,
      });
    });

    it.each([
      { status: 429 as const, error: RateLimitedError, reason: 'rate_limited' },
      { status: 500 as const, error: TransientImportError, reason: 'workos_500' },
      { status: 502 as const, error: TransientImportError, reason: 'workos_502' },
      { status: 503 as const, error: TransientImportError, reason: 'workos_503' },
    ])('classifies an injected $status as $reason', async ({ status, error, reason }) => {
      emulator.faults.inject({ status, retryAfterSeconds: 7 });

      const failure = directory.createUser(newUser('ada@example.com', password()));

      await expect(failure).rejects.toBeInstanceOf(error);
      await expect(failure).rejects.toMatchObject({ reason });
      if (status === 429) await expect(failure).rejects.toMatchObject({ retryAfterSeconds: 7 });
    });

    it('classifies a 422 for a malformed hash as permanent, with the detail code', async () => {
      const failure = directory.createUser(newUser('ada@example.com', malformed));

      await expect(failure).rejects.toBeInstanceOf(PermanentImportError);
      await expect(failure).rejects.toMatchObject({
        reason: 'workos_422:invalid_request_parameters:password_hash_invalid',
      });
    });

    it('classifies a taken email as a duplicate, on create and on update', async () => {
      await directory.createUser(newUser('taken@example.com', {}));
      const other = await directory.createUser(newUser('other@example.com', {}));

      await expect(
        directory.createUser({ ...newUser('taken@example.com', password()), externalId: 'x' }),
      ).rejects.toBeInstanceOf(DuplicateUserError);
      await expect(
        directory.updateUser(other.id, { ...password(), email: 'taken@example.com' }),
      ).rejects.toBeInstanceOf(DuplicateUserError);
    });

    it('classifies a refused API key as an authentication error', async () => {
      const wrongKey = new WorkOsUserDirectory(
        createWorkOsClient({ apiKey: 'sk_test_wrong', apiUrl: emulator.url, timeoutMs: 5_000 }),
      );

      await expect(
        wrongKey.createUser(newUser('ada@example.com', password())),
      ).rejects.toBeInstanceOf(WorkOsAuthenticationError);
    });

    it('classifies an update of a user that is gone as transient', async () => {
      await expect(
        directory.updateUser('user_01HZNOTTHERE0000000000000', password()),
      ).rejects.toMatchObject({ reason: 'workos_user_vanished' });
    });
  });

  describe('Method: listUsers()', () => {
    it('lists every user once, oldest first, a page a call, with the next cursor until the last page', async () => {
      const emails = [
        'a@example.com',
        'b@example.com',
        'c@example.com',
        'd@example.com',
        'e@example.com',
      ];
      for (const email of emails) await directory.createUser(newUser(email, {}));

      const first = await directory.listUsers({ limit: 2 });
      const second = await directory.listUsers({ limit: 2, after: first.after as string });
      const last = await directory.listUsers({ limit: 2, after: second.after as string });

      expect([first, second, last].map((page) => page.users.map((user) => user.email))).toEqual([
        ['a@example.com', 'b@example.com'],
        ['c@example.com', 'd@example.com'],
        ['e@example.com'],
      ]);
      expect(first.after).toBe(first.users[1]?.id);
      expect(last.after).toBeUndefined();
      expect(last.users[0]).toMatchObject({
        externalId: 'ext-e@example.com',
        metadata: { import_source: 'test' },
        lastSignInAt: null,
      });
      expect(emulator.stats().reads).toBe(3);
    });

    it("asks for WorkOS's largest page, 100 users, when no limit is given", async () => {
      for (let n = 0; n < 101; n++) await directory.createUser(newUser(`u${n}@example.com`, {}));

      const page = await directory.listUsers({});
      const rest = await directory.listUsers({ after: page.after as string });

      expect(page.users).toHaveLength(100);
      expect(rest.users.map((user) => user.email)).toEqual(['u100@example.com']);
      expect(rest.after).toBeUndefined();
    });

    it('classifies a 429 on a page as rate limited, with its Retry-After', async () => {
      emulator.faults.inject({ status: 429, retryAfterSeconds: 3 });

      await expect(directory.listUsers({})).rejects.toMatchObject({
        name: 'RateLimitedError',
        retryAfterSeconds: 3,
      });
    });
  });
});
