import { describe, expect, it } from 'vitest';
import { TransientImportError } from '../../../src/errors.ts';
import { removeBlockedUser } from '../../../src/import/remove-blocked-user.ts';
import { importMetadataKeys } from '../../../src/model/import-metadata.ts';
import {
  InMemoryUserDirectory,
  type StoredDirectoryUser,
} from '../../helpers/in-memory-user-directory.ts';

const blocked = { sourceId: 'auth0|blocked', externalId: 'auth0|blocked', source: 'auth0' };

describe('Function: removeBlockedUser()', () => {
  it('rejects the record with one read and no write when WorkOS holds no such user', async () => {
    const directory = new InMemoryUserDirectory();

    const result = await removeBlockedUser(directory, blocked);

    expect(result).toEqual({ status: 'rejected', reason: 'blocked' });
    expect(directory.calls).toMatchObject({ findByExternalId: 1, create: 0, update: 0, delete: 0 });
  });

  it('deletes the user this tool created for them while it has never signed in', async () => {
    const directory = new InMemoryUserDirectory();
    const earlier = directory.seed({
      email: 'mallory@example.com',
      externalId: blocked.externalId,
      metadata: { [importMetadataKeys.source]: 'auth0' },
      passwordHash: '$2b$10$fromthepasswordexport',
    });

    const result = await removeBlockedUser(directory, blocked);

    expect(result).toEqual({
      status: 'rejected',
      workosUserId: earlier.id,
      reason: 'removed_blocked_in_source',
    });
    expect(directory.users.has(earlier.id)).toBe(false);
    expect(directory.calls.delete).toBe(1);
  });

  it.each<{ holder: string; user: Partial<StoredDirectoryUser> }>([
    {
      holder: 'has signed in since the import',
      user: {
        metadata: { [importMetadataKeys.source]: 'auth0' },
        lastSignInAt: '2026-11-30T08:00:00Z',
      },
    },
    { holder: 'was not created by this tool', user: { metadata: {} } },
    {
      holder: 'was imported from another source',
      user: { metadata: { [importMetadataKeys.source]: 'clerk' } },
    },
  ])(
    'leaves a user that $holder for the operator, and reports it with its id',
    async ({ user }) => {
      const directory = new InMemoryUserDirectory();
      const existing = directory.seed({
        email: 'mallory@example.com',
        externalId: blocked.externalId,
        ...user,
      });

      const result = await removeBlockedUser(directory, blocked);

      expect(result).toEqual({
        status: 'rejected',
        workosUserId: existing.id,
        reason: 'blocked_in_source_but_active',
      });
      expect(directory.users.has(existing.id)).toBe(true);
      expect(directory.calls.delete).toBe(0);
    },
  );

  it('lets a WorkOS failure through for the consumer to retry', async () => {
    const directory = new InMemoryUserDirectory();
    directory.seed({
      email: 'mallory@example.com',
      externalId: blocked.externalId,
      metadata: { [importMetadataKeys.source]: 'auth0' },
    });
    const failure = new TransientImportError('workos_503', 'WorkOS answered 503');
    directory.failNext('deleteUser', failure);

    await expect(removeBlockedUser(directory, blocked)).rejects.toBe(failure);
  });
});
