import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runLocalMigration } from '../../src/local/run-local-migration.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import { comparableUsers, signInThroughSdk } from '../helpers/emulated-users.ts';
import { capturingLogger, temporaryExportDirectory } from '../helpers/export-files.ts';

const apiKey = 'sk_test_auth0_passwords';
const clientId = 'client_auth0_passwords';

/** Two users with known passwords, one with a hash WorkOS cannot take. */
const people = [
  {
    oid: '5dea9f9c82dd7c0e76e4ec01',
    email: 'ada@example.com',
    password: 'correct horse battery',
    first: 'Ada',
    last: 'Lovelace',
  },
  {
    oid: '5dea9f9c82dd7c0e76e4ec02',
    email: 'grace@example.com',
    password: 'cobol forever',
    first: 'Grace',
    last: 'Hopper',
    altId: 'grace-custom-id',
  },
];
const md5User = { oid: '5dea9f9c82dd7c0e76e4ec03', email: 'alan@example.com' };

function userIdOf(person: { oid: string; altId?: string }) {
  return `auth0|${person.altId ?? person.oid}`;
}

describe('Auth0 password-hash export in local mode, against the emulator', () => {
  let emulator: RunningWorkOsEmulator;
  let files: Awaited<ReturnType<typeof temporaryExportDirectory>>;
  let usersFile: string;
  let passwordsFile: string;

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey, clientId });
    files = await temporaryExportDirectory();
    usersFile = join(files.directory, 'users.ndjson');
    passwordsFile = join(files.directory, 'passwords.ndjson');
    await writeFile(
      usersFile,
      [...people, { ...md5User, first: 'Alan', last: 'Turing' }]
        .map((person) =>
          JSON.stringify({
            user_id: userIdOf(person),
            email: person.email,
            email_verified: true,
            given_name: person.first,
            family_name: person.last,
          }),
        )
        .join('\n'),
    );
    await writeFile(
      passwordsFile,
      [
        ...people.map((person) =>
          JSON.stringify({
            _id: { $oid: person.oid },
            ...(person.altId ? { alt_id: person.altId } : {}),
            // Newer exports carry email and verification only in identifiers[].
            identifiers: [{ type: 'email', value: person.email, verified: true }],
            passwordHash: bcrypt.hashSync(person.password, 4),
            connection: 'Username-Password-Authentication',
          }),
        ),
        JSON.stringify({
          _id: { $oid: md5User.oid },
          email: md5User.email,
          email_verified: true,
          passwordHash: '5f4dcc3b5aa765d61d8327deb882cf99',
        }),
      ].join('\n'),
    );
  });
  afterEach(() => emulator.reset());
  afterAll(async () => {
    await emulator.close();
    await files.cleanup();
  });

  async function importFiles(...paths: string[]) {
    return runLocalMigration({
      files: paths,
      directory: new WorkOsUserDirectory(
        createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 5_000 }),
      ),
      writesPerSecond: 400,
      maxConcurrency: 2,
      maxReceiveCount: 5,
      logger: capturingLogger().logger,
    });
  }

  function signIn(email: string, password: string) {
    return signInThroughSdk({ url: emulator.url, apiKey, clientId }, email, password);
  }

  function finalUsers() {
    return comparableUsers(emulator.users());
  }

  it('creates users from the password file alone, and each signs in with the old password', async () => {
    const result = await importFiles(passwordsFile);

    expect(result.counts).toMatchObject({ created: 3, failed: 0 });
    for (const person of people) {
      await expect(signIn(person.email, person.password)).resolves.toMatchObject({
        user: { email: person.email },
      });
      await expect(signIn(person.email, 'not the password')).rejects.toThrow();
    }
    const hashes = new Map(emulator.users().map((user) => [user.externalId, user.passwordHash]));
    expect(hashes.get(userIdOf(people[1] ?? { oid: '' }))).toMatch(/^\$2[aby]\$04\$/);
    // The user whose hash WorkOS cannot take is imported without a password, flagged for a reset.
    const alan = result.outcomes.find((outcome) => outcome.sourceId === `auth0|${md5User.oid}`);
    expect(alan).toMatchObject({
      status: 'created',
      reason: 'password_reset_required:unsupported_hash',
    });
    expect(hashes.get(`auth0|${md5User.oid}`)).toBeNull();
  });

  it('converges on the same WorkOS users whichever file comes first', async () => {
    const usersFirst = [await importFiles(usersFile), await importFiles(passwordsFile)];
    const afterUsersFirst = finalUsers();
    emulator.reset();
    const passwordsFirst = [await importFiles(passwordsFile), await importFiles(usersFile)];
    const afterPasswordsFirst = finalUsers();

    expect(afterUsersFirst).toEqual(afterPasswordsFirst);
    expect(afterUsersFirst).toHaveLength(3);
    expect(afterUsersFirst.filter((user) => user.hasPassword)).toHaveLength(2);
    expect(afterUsersFirst.every((user) => user.firstName !== null && user.lastName !== null)).toBe(
      true,
    );
    for (const run of [...usersFirst, ...passwordsFirst]) expect(run.counts.failed).toBe(0);
    for (const person of people)
      await expect(signIn(person.email, person.password)).resolves.toBeDefined();
  });

  it('never replaces a password set in WorkOS after the migration: a hash arriving after sign-in is skipped and reported', async () => {
    await importFiles(usersFile);
    const ada = people[0] ?? people[1];
    // Ada signs in (with a password set in WorkOS) before the hash export arrives.
    const adaUser = emulator.users().find((user) => user.email === ada?.email);
    await fetch(`${emulator.url}/user_management/users/${adaUser?.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'a brand new password' }),
    });
    await signIn(ada?.email ?? '', 'a brand new password');

    const late = await importFiles(passwordsFile);

    const adaOutcome = late.outcomes.find(
      (outcome) => outcome.sourceId === userIdOf(ada ?? { oid: '' }),
    );
    // The connection the hash export names is added to her metadata; her password is not touched.
    expect(adaOutcome).toMatchObject({
      status: 'updated',
      reason: 'password_kept_user_signed_in',
    });
    await expect(signIn(ada?.email ?? '', 'a brand new password')).resolves.toBeDefined();
    await expect(signIn(ada?.email ?? '', ada?.password ?? '')).rejects.toThrow();
  });
});
