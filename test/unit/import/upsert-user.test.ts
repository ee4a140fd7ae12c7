import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DuplicateUserError,
  PermanentImportError,
  TransientImportError,
} from '../../../src/errors.ts';
import { upsertUser } from '../../../src/import/upsert-user.ts';
import { importDigestOf } from '../../../src/model/import-digest.ts';
import { importMetadataKeys } from '../../../src/model/import-metadata.ts';
import { importUserFactory } from '../../helpers/factories.ts';
import { InMemoryUserDirectory, noDirectoryCalls } from '../../helpers/in-memory-user-directory.ts';

describe('Function: upsertUser()', () => {
  it('creates a new user with one write and no reads, tagging it with the import digest', async () => {
    // Prepare
    const directory = new InMemoryUserDirectory();
    const user = importUserFactory({ passwordHash: '$2b$10$abc', passwordHashType: 'bcrypt' });

    // Act
    const result = await upsertUser(directory, user);

    // Assess
    expect(result.status).toBe('created');
    expect(directory.calls).toEqual({ ...noDirectoryCalls(), create: 1 });
    expect(directory.users.get(result.workosUserId)).toMatchObject({
      email: 'ada@example.com',
      emailVerified: true,
      firstName: 'Ada',
      lastName: 'Lovelace',
      externalId: user.externalId,
      passwordHash: '$2b$10$abc',
      passwordHashType: 'bcrypt',
      metadata: {
        [importMetadataKeys.source]: 'auth0',
        // The record's fingerprint, then the password hash's: `<record>.<password>`.
        [importMetadataKeys.digest]: expect.stringMatching(
          new RegExp(`^${importDigestOf(user)}\\.[\\w-]{16}$`),
        ),
      },
    });
  });

  it('writes nothing when the same password hash arrives again on its own (a re-uploaded password export)', async () => {
    const directory = new InMemoryUserDirectory();
    const user = importUserFactory({ passwordHash: '$2b$10$abc', passwordHashType: 'bcrypt' });
    await upsertUser(directory, user);
    const hashOnly = importUserFactory({
      passwordHash: '$2b$10$abc',
      passwordHashType: 'bcrypt',
      firstName: undefined,
      lastName: undefined,
      existingLikely: true,
    });

    const again = await upsertUser(directory, hashOnly);
    const changed = await upsertUser(directory, { ...hashOnly, passwordHash: '$2b$10$xyz' });

    expect(again.status).toBe('unchanged');
    expect(changed.status).toBe('updated');
    expect(directory.calls.update).toBe(1);
  });

  it('reports a redelivered record as unchanged without writing again', async () => {
    const directory = new InMemoryUserDirectory();
    const user = importUserFactory();
    const first = await upsertUser(directory, user);

    const second = await upsertUser(directory, user);

    expect(second).toEqual({ status: 'unchanged', workosUserId: first.workosUserId });
    expect(directory.calls.update).toBe(0);
    expect(directory.users.size).toBe(1);
  });

  it('updates the fields that changed in the export since the user was created', async () => {
    const directory = new InMemoryUserDirectory();
    const { workosUserId } = await upsertUser(directory, importUserFactory());

    const result = await upsertUser(
      directory,
      importUserFactory({ lastName: 'King', email: 'ada.king@example.com' }),
    );

    expect(result).toEqual({ status: 'updated', workosUserId });
    expect(directory.users.get(workosUserId)).toMatchObject({
      lastName: 'King',
      email: 'ada.king@example.com',
      firstName: 'Ada',
    });
  });

  it('never marks an email verified that the export leaves unverified, and never takes a verification back', async () => {
    const directory = new InMemoryUserDirectory();
    const { workosUserId } = await upsertUser(
      directory,
      importUserFactory({ emailVerified: false }),
    );
    const stored = directory.users.get(workosUserId);
    expect(stored?.emailVerified).toBe(false);
    if (stored) stored.emailVerified = true; // the user verified their email in WorkOS since

    const result = await upsertUser(
      directory,
      importUserFactory({ emailVerified: false, firstName: 'Augusta' }),
    );

    expect(result.status).toBe('updated');
    expect(directory.users.get(workosUserId)).toMatchObject({
      emailVerified: true,
      firstName: 'Augusta',
    });
  });

  it('applies a password hash to an existing user only while they have never signed in', async () => {
    const directory = new InMemoryUserDirectory();
    const { workosUserId } = await upsertUser(directory, importUserFactory());

    const applied = await upsertUser(
      directory,
      importUserFactory({ passwordHash: '$2b$10$first', passwordHashType: 'bcrypt' }),
    );
    const stored = directory.users.get(workosUserId);
    if (stored) stored.lastSignInAt = '2026-11-01T00:00:00.000Z';
    const skipped = await upsertUser(
      directory,
      importUserFactory({ passwordHash: '$2b$10$second', passwordHashType: 'bcrypt' }),
    );

    expect(applied.status).toBe('updated');
    expect(skipped).toEqual({
      status: 'unchanged',
      workosUserId,
      reason: 'password_kept_user_signed_in',
    });
    expect(directory.users.get(workosUserId)?.passwordHash).toBe('$2b$10$first');
  });

  it('links a user who already exists in WorkOS without an external id and never overwrites them', async () => {
    const directory = new InMemoryUserDirectory();
    const existing = directory.seed({
      email: 'ADA@example.com',
      firstName: 'Ada (dual-run)',
      emailVerified: false,
    });

    const result = await upsertUser(directory, importUserFactory());

    expect(result).toEqual({
      status: 'unchanged',
      workosUserId: existing.id,
      reason: 'existing_user_not_overwritten',
    });
    expect(directory.calls.update).toBe(0);
    expect(directory.users.get(existing.id)).toMatchObject({
      firstName: 'Ada (dual-run)',
      emailVerified: false,
      externalId: null,
    });
  });

  it('fails permanently when the email belongs to a WorkOS user with another external id', async () => {
    const directory = new InMemoryUserDirectory();
    directory.seed({ email: 'ada@example.com', externalId: 'google-oauth2|123' });

    await expect(upsertUser(directory, importUserFactory())).rejects.toSatisfy(
      (error) =>
        error instanceof PermanentImportError && error.reason === 'email_belongs_to_other_user',
    );
  });

  it('merges a record into the user this tool imported from the same source under its email (a duplicate across jobs)', async () => {
    const directory = new InMemoryUserDirectory();
    const holder = directory.seed({
      email: 'ada@example.com',
      externalId: 'github|5551234',
      metadata: { [importMetadataKeys.source]: 'auth0' },
    });

    const result = await upsertUser(directory, importUserFactory());

    expect(result).toEqual({
      status: 'unchanged',
      workosUserId: holder.id,
      reason: 'merged_into_existing_user',
    });
    expect(directory.calls).toMatchObject({ create: 1, update: 0, delete: 0 });
    expect(directory.users.size).toBe(1);
  });

  it('rejects a password record whose own user is absent when another user holds its email, attaching its hash to no one', async () => {
    const directory = new InMemoryUserDirectory();
    const holder = directory.seed({
      email: 'ada@example.com',
      externalId: 'google-oauth2|123',
      metadata: { [importMetadataKeys.source]: 'auth0' },
    });
    const orphan = importUserFactory({
      passwordHash: '$2b$10$orphan',
      passwordHashType: 'bcrypt',
      onlyInPasswordExport: true,
    });

    const result = await upsertUser(directory, orphan);

    expect(result).toEqual({
      status: 'rejected',
      workosUserId: holder.id,
      reason: 'orphan_password_email_in_use',
    });
    expect(directory.users.get(holder.id)?.passwordHash ?? null).toBeNull();
  });

  it('fails permanently when the holder of the email came from another source', async () => {
    const directory = new InMemoryUserDirectory();
    directory.seed({
      email: 'ada@example.com',
      externalId: 'user_2abc',
      metadata: { [importMetadataKeys.source]: 'clerk' },
    });

    await expect(upsertUser(directory, importUserFactory())).rejects.toSatisfy(
      (error) =>
        error instanceof PermanentImportError && error.reason === 'email_belongs_to_other_user',
    );
  });

  it('fails permanently when an update would take an email another user holds', async () => {
    const directory = new InMemoryUserDirectory();
    await upsertUser(directory, importUserFactory());
    directory.seed({ email: 'taken@example.com' });

    await expect(
      upsertUser(directory, importUserFactory({ email: 'taken@example.com' })),
    ).rejects.toBeInstanceOf(PermanentImportError);
  });

  it('retries later when WorkOS reports a duplicate that neither lookup can find', async () => {
    const directory = new InMemoryUserDirectory();
    directory.failNext('createUser', new DuplicateUserError('email'));

    await expect(upsertUser(directory, importUserFactory())).rejects.toBeInstanceOf(
      TransientImportError,
    );
  });

  it('propagates WorkOS failures other than duplicates unchanged', async () => {
    const directory = new InMemoryUserDirectory();
    const failure = new TransientImportError('workos_503', 'WorkOS answered 503');
    directory.failNext('createUser', failure);

    await expect(upsertUser(directory, importUserFactory())).rejects.toBe(failure);
  });
});

describe('Function: upsertUser() with an ssha256 hash', () => {
  it('passes the salt position on with the hash when it creates the user', async () => {
    const directory = new InMemoryUserDirectory();
    const user = importUserFactory({
      passwordHash: '{SSHA256}AAAA',
      passwordHashType: 'ssha256',
      passwordSaltPosition: 'prefix',
    });

    const result = await upsertUser(directory, user);

    expect(directory.users.get(result.workosUserId)).toMatchObject({
      passwordHash: '{SSHA256}AAAA',
      passwordHashType: 'ssha256',
      passwordSaltPosition: 'prefix',
    });
  });

  it('updates a user whose hash is the same but whose salt position changed', async () => {
    const directory = new InMemoryUserDirectory();
    const first = importUserFactory({ passwordHash: '{SSHA256}AAAA', passwordHashType: 'ssha256' });
    const { workosUserId } = await upsertUser(directory, first);

    const result = await upsertUser(directory, { ...first, passwordSaltPosition: 'prefix' });

    expect(result.status).toBe('updated');
    expect(directory.users.get(workosUserId)).toMatchObject({ passwordSaltPosition: 'prefix' });
  });
});

describe('Function: importDigestOf()', () => {
  it.each([
    ['email case', { email: 'ADA@example.com' }, true],
    ['first name', { firstName: 'Augusta' }, false],
    ['verification', { emailVerified: false }, false],
    ['password hash', { passwordHash: '$2b$10$x', passwordHashType: 'bcrypt' as const }, false],
    ['source id alone', { sourceId: 'auth0|other', externalId: 'auth0|other' }, true],
  ])('treats a change of %s as same=%s', (_, change, same) => {
    expect(importDigestOf(importUserFactory(change)) === importDigestOf(importUserFactory())).toBe(
      same,
    );
  });

  const ssha256 = { passwordHash: '{SSHA256}AAAA', passwordHashType: 'ssha256' as const };

  it('tells an ssha256 hash with its salt as prefix from the same hash as suffix or default', () => {
    const prefix = importDigestOf(
      importUserFactory({ ...ssha256, passwordSaltPosition: 'prefix' }),
    );
    const suffix = importDigestOf(
      importUserFactory({ ...ssha256, passwordSaltPosition: 'suffix' }),
    );
    const unset = importDigestOf(importUserFactory(ssha256));
    expect(new Set([prefix, suffix, unset]).size).toBe(3);
  });

  it('gives a user without a salt position the digest it had before salt positions existed', () => {
    const user = importUserFactory({ passwordHash: '$2b$10$x', passwordHashType: 'bcrypt' });
    // The digest's documented canonical form of a user: seven fields, nothing after them.
    const before = createHash('sha256')
      .update(
        JSON.stringify(['ada@example.com', true, 'Ada', 'Lovelace', '$2b$10$x', 'bcrypt', []]),
      )
      .digest('base64url')
      .slice(0, 22);
    expect(importDigestOf(user)).toBe(before);
  });

  it('is a short token that does not contain the password hash', () => {
    const hash = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';
    const digest = importDigestOf(
      importUserFactory({ passwordHash: hash, passwordHashType: 'bcrypt' }),
    );
    expect(digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(hash).not.toContain(digest);
  });
});
