import { describe, expect, it } from 'vitest';
import { PermanentImportError } from '../../../src/errors.ts';
import { upsertUser } from '../../../src/import/upsert-user.ts';
import { importDigestOf } from '../../../src/model/import-digest.ts';
import type { ImportUser } from '../../../src/model/import-message.ts';
import { importMetadataKeys } from '../../../src/model/import-metadata.ts';
import {
  type WorkOsSnapshot,
  WorkOsSnapshotBuilder,
} from '../../../src/snapshot/workos-snapshot.ts';
import { SnapshotDiff, type SnapshotVerdict } from '../../../src/split/snapshot-diff.ts';
import type { DirectoryUser } from '../../../src/workos/user-directory.ts';
import { importUserFactory } from '../../helpers/factories.ts';
import {
  InMemoryUserDirectory,
  type StoredDirectoryUser,
} from '../../helpers/in-memory-user-directory.ts';

const ada = importUserFactory();

/** The WorkOS user this tool made of `user`: its metadata as the upsert writes it. */
function importedAs(
  user: ImportUser,
  overrides: Partial<StoredDirectoryUser> = {},
): Partial<StoredDirectoryUser> & { email: string } {
  return {
    email: user.email,
    emailVerified: user.emailVerified,
    firstName: user.firstName ?? null,
    lastName: user.lastName ?? null,
    externalId: user.externalId,
    metadata: {
      [importMetadataKeys.source]: user.source,
      [importMetadataKeys.digest]: importDigestOf(user),
    },
    ...overrides,
  };
}

function snapshotOf(users: Iterable<DirectoryUser>): WorkOsSnapshot {
  const builder = new WorkOsSnapshotBuilder();
  for (const user of users) builder.add(user);
  return builder.build();
}

/** A directory holding `seeded`, in that order, and the snapshot a listing of it takes. */
function environmentOf(...seeded: (Partial<StoredDirectoryUser> & { email: string })[]) {
  const directory = new InMemoryUserDirectory();
  const users = seeded.map((user) => directory.seed(user));
  return { directory, users, snapshot: snapshotOf(directory.users.values()) };
}

const holderFromElsewhere = {
  email: ada.email,
  externalId: 'okta|00u1ab2cd3',
  metadata: { [importMetadataKeys.source]: 'okta' },
};

interface VerdictCase {
  name: string;
  seeded: (Partial<StoredDirectoryUser> & { email: string })[];
  user: ImportUser;
  overwriteExistingUsers?: boolean;
  /** The verdict, with `holder` standing for the id of the first user seeded. */
  verdict: SnapshotVerdict | ((holder: string) => SnapshotVerdict);
  /** What the consumer's upsert ends in for the same user and environment. */
  upsert: { status: string; reason?: string; holder?: true } | 'fails';
}

/** The split settles the record with the holder's id (the first user seeded) and a reason. */
function settledWith(
  status: 'unchanged' | 'rejected',
  reason: string,
): (holder: string) => SnapshotVerdict {
  return (holder) => ({ verdict: 'settle', status, workosUserId: holder, reason });
}

const verdictCases: VerdictCase[] = [
  {
    name: 'its external id held with the same digest: settled unchanged with the WorkOS id',
    seeded: [importedAs(ada)],
    user: ada,
    verdict: (holder) => ({ verdict: 'settle', status: 'unchanged', workosUserId: holder }),
    upsert: { status: 'unchanged', holder: true },
  },
  {
    name: 'the same record digest with a password digest after it: still unchanged',
    seeded: [
      importedAs(ada, {
        metadata: {
          [importMetadataKeys.source]: 'auth0',
          [importMetadataKeys.digest]: `${importDigestOf(ada)}.AbCdEfGh01234567`,
        },
      }),
    ],
    user: ada,
    verdict: (holder) => ({ verdict: 'settle', status: 'unchanged', workosUserId: holder }),
    upsert: { status: 'unchanged', holder: true },
  },
  {
    name: 'its external id held with another digest: an update',
    seeded: [importedAs(importUserFactory({ firstName: 'Augusta' }))],
    user: ada,
    verdict: { verdict: 'update' },
    upsert: { status: 'updated', holder: true },
  },
  {
    name: 'its external id held without any digest: an update',
    seeded: [{ ...importedAs(importUserFactory({ firstName: 'Augusta' })), metadata: {} }],
    user: ada,
    verdict: { verdict: 'update' },
    upsert: { status: 'updated', holder: true },
  },
  {
    name: 'its external id held while another user holds its email: the external id decides',
    seeded: [
      importedAs(importUserFactory({ email: 'ada.old@example.com' })),
      { email: ada.email, externalId: null },
    ],
    user: ada,
    verdict: { verdict: 'update' },
    upsert: 'fails',
  },
  {
    name: 'neither its external id nor its email held: a create',
    seeded: [
      importedAs(importUserFactory({ externalId: 'auth0|other', email: 'bob@example.com' })),
    ],
    user: ada,
    verdict: { verdict: 'create' },
    upsert: { status: 'created' },
  },
  {
    name: 'its email held by a user without an external id: never overwritten',
    seeded: [{ email: 'ADA@Example.com', externalId: null }],
    user: ada,
    verdict: settledWith('unchanged', 'existing_user_not_overwritten'),
    upsert: { status: 'unchanged', reason: 'existing_user_not_overwritten', holder: true },
  },
  {
    name: 'its email held by a user with an empty external id: never overwritten either',
    seeded: [{ email: ada.email, externalId: '' }],
    user: ada,
    verdict: settledWith('unchanged', 'existing_user_not_overwritten'),
    upsert: { status: 'unchanged', reason: 'existing_user_not_overwritten', holder: true },
  },
  {
    name: 'its email held by a user without an external id, in a job that overwrites: the consumer links',
    seeded: [{ email: ada.email, externalId: null }],
    user: ada,
    overwriteExistingUsers: true,
    verdict: { verdict: 'consumer' },
    upsert: { status: 'updated', holder: true },
  },
  {
    name: 'a password-only record whose email another imported user holds: rejected',
    seeded: [importedAs(importUserFactory({ externalId: 'auth0|other' }))],
    user: importUserFactory({ onlyInPasswordExport: true, existingLikely: true }),
    verdict: settledWith('rejected', 'orphan_password_email_in_use'),
    upsert: { status: 'rejected', reason: 'orphan_password_email_in_use', holder: true },
  },
  {
    name: 'a password-only record whose email a user from elsewhere holds: rejected too',
    seeded: [holderFromElsewhere],
    user: importUserFactory({ onlyInPasswordExport: true }),
    overwriteExistingUsers: true,
    verdict: settledWith('rejected', 'orphan_password_email_in_use'),
    upsert: { status: 'rejected', reason: 'orphan_password_email_in_use', holder: true },
  },
  {
    name: 'its email held by a user imported from the same source under another id: merged',
    seeded: [importedAs(importUserFactory({ externalId: 'auth0|other', firstName: 'Augusta' }))],
    user: ada,
    verdict: settledWith('unchanged', 'merged_into_existing_user'),
    upsert: { status: 'unchanged', reason: 'merged_into_existing_user', holder: true },
  },
  {
    name: 'its email held by a user from another source: the consumer decides',
    seeded: [holderFromElsewhere],
    user: ada,
    verdict: { verdict: 'consumer' },
    upsert: 'fails',
  },
  {
    name: 'its email held by a user with an external id and no import source: the consumer decides',
    seeded: [{ email: ada.email, externalId: 'legacy-42', metadata: {} }],
    user: ada,
    overwriteExistingUsers: true,
    verdict: { verdict: 'consumer' },
    upsert: 'fails',
  },
];

describe('Class: SnapshotDiff', () => {
  describe('decide(), for a user whose environment has', () => {
    it.each(verdictCases)('$name', ({ seeded, user, overwriteExistingUsers, verdict }) => {
      const { users, snapshot } = environmentOf(...seeded);
      const diff = new SnapshotDiff(snapshot, {
        source: 'auth0',
        ...(overwriteExistingUsers ? { overwriteExistingUsers } : {}),
      });

      const decided = diff.decide(user);

      expect(decided).toEqual(
        typeof verdict === 'function' ? verdict(users[0]?.id ?? 'no user seeded') : verdict,
      );
    });
  });

  describe('decide() agrees with the consumer’s upsert on the same environment, when', () => {
    it.each(verdictCases)('$name', async ({ seeded, user, overwriteExistingUsers, upsert }) => {
      const { directory, users, snapshot } = environmentOf(...seeded);
      const options = overwriteExistingUsers ? { overwriteExistingUsers } : {};
      const decided = new SnapshotDiff(snapshot, { source: 'auth0', ...options }).decide(user);
      // The split sends an update as a lookup first, as planSplit marks it.
      const sent = decided.verdict === 'update' ? { ...user, existingLikely: true } : user;
      const before = structuredClone([...directory.users.values()]);

      const result = upsertUser(directory, sent, options);

      if (upsert === 'fails') {
        await expect(result).rejects.toBeInstanceOf(PermanentImportError);
        expect(decided.verdict === 'consumer' || decided.verdict === 'update').toBe(true);
        return;
      }
      const written = await result;
      expect(written).toEqual({
        status: upsert.status,
        workosUserId: upsert.holder ? users[0]?.id : expect.any(String),
        ...(upsert.reason === undefined ? {} : { reason: upsert.reason }),
      });
      if (decided.verdict === 'settle') {
        // What the split settles the consumer would have settled the same way, changing nothing.
        expect(written).toMatchObject({
          status: decided.status,
          workosUserId: decided.workosUserId,
        });
        expect([...directory.users.values()]).toEqual(before);
        expect(directory.calls).toMatchObject({ update: 0, delete: 0 });
      }
      if (decided.verdict === 'update') expect(directory.calls.create).toBe(0);
    });
  });

  describe('absentUsers()', () => {
    const importedUser = (n: number, source = 'auth0') =>
      importedAs(
        importUserFactory({
          sourceId: `${source}|u${n}`,
          externalId: `${source}|u${n}`,
          email: `user${n}@example.com`,
          source,
        }),
      );

    it('lists the users of the job’s source the export did not name, in the snapshot’s order', () => {
      const { users, snapshot } = environmentOf(
        importedUser(1),
        importedUser(2, 'clerk'),
        importedUser(3),
        { email: 'signed.up@example.com', externalId: null },
        importedUser(4),
        importedUser(5),
      );
      const diff = new SnapshotDiff(snapshot, { source: 'auth0' });
      diff.markNamed('auth0|u3');

      const absent = [...diff.absentUsers()];

      expect(absent.map(({ entry, user }) => [entry, user.workosUserId])).toEqual([
        [0, users[0]?.id],
        [4, users[4]?.id],
        [5, users[5]?.id],
      ]);
      expect(absent.every(({ user }) => user.importSource === 'auth0')).toBe(true);
    });

    it('lists nobody once every user of the source is named, whatever became of their records', () => {
      const { snapshot } = environmentOf(
        importedUser(1),
        importedUser(2, 'clerk'),
        importedUser(3),
      );
      const diff = new SnapshotDiff(snapshot, { source: 'auth0' });

      diff.markNamed('auth0|u3');
      diff.markNamed('auth0|u1');
      diff.markNamed('auth0|u1');

      expect([...diff.absentUsers()]).toEqual([]);
    });

    it('lists the other source’s users for a job of that source', () => {
      const { users, snapshot } = environmentOf(importedUser(1), importedUser(2, 'clerk'));
      const diff = new SnapshotDiff(snapshot, { source: 'clerk' });
      diff.markNamed('auth0|u1');

      expect([...diff.absentUsers()].map(({ user }) => user.workosUserId)).toEqual([users[1]?.id]);
    });

    it('is untouched by naming an id the snapshot does not hold', () => {
      const { snapshot } = environmentOf(importedUser(1), importedUser(2));
      const named = new SnapshotDiff(snapshot, { source: 'auth0' });
      const untouched = new SnapshotDiff(snapshot, { source: 'auth0' });

      named.markNamed('auth0|not-in-workos');
      named.markNamed('');

      expect([...named.absentUsers()]).toEqual([...untouched.absentUsers()]);
      expect([...named.absentUsers()]).toHaveLength(2);
    });

    it('marks each entry apart past the first byte of its bitmap (more than 8 users)', () => {
      const seeded = Array.from({ length: 20 }, (_, n) => importedUser(n));
      const { users, snapshot } = environmentOf(...seeded);
      const diff = new SnapshotDiff(snapshot, { source: 'auth0' });
      const named = [0, 7, 8, 9, 15, 16, 19];
      for (const n of named) diff.markNamed(`auth0|u${n}`);

      const absent = [...diff.absentUsers()].map(({ entry }) => entry);

      expect(absent).toEqual(seeded.map((_, n) => n).filter((n) => !named.includes(n)));
      expect(absent.map((entry) => users[entry]?.email)).not.toContain('user7@example.com');
    });

    it('lists nobody from an empty snapshot', () => {
      const diff = new SnapshotDiff(new WorkOsSnapshotBuilder().build(), { source: 'auth0' });
      diff.markNamed('auth0|u1');

      expect([...diff.absentUsers()]).toEqual([]);
    });
  });

  describe('userWithExternalId()', () => {
    it('finds the snapshot’s user by external id, and nobody for an id it does not hold', () => {
      const { users, snapshot } = environmentOf(
        importedAs(ada, { lastSignInAt: '2026-11-30T08:00:00Z' }),
      );
      const diff = new SnapshotDiff(snapshot, { source: 'auth0' });

      expect(diff.userWithExternalId(ada.externalId)).toMatchObject({
        workosUserId: users[0]?.id,
        importSource: 'auth0',
        signedIn: true,
      });
      expect(diff.userWithExternalId('auth0|nobody')).toBeUndefined();
    });
  });
});
