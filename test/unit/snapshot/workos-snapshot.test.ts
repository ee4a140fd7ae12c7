import { describe, expect, it } from 'vitest';
import {
  recordBytes,
  SnapshotFormatError,
  WorkOsSnapshot,
  WorkOsSnapshotBuilder,
} from '../../../src/snapshot/workos-snapshot.ts';
import type { DirectoryUser } from '../../../src/workos/user-directory.ts';

function directoryUser(n: number, overrides: Partial<DirectoryUser> = {}): DirectoryUser {
  return {
    id: `user_01J${String(n).padStart(23, '0')}`,
    email: `user${n}@example.com`,
    emailVerified: n % 2 === 0,
    firstName: null,
    lastName: null,
    externalId: `auth0|${n}`,
    metadata: { import_source: 'auth0', import_digest: `digest${String(n).padStart(16, 'A')}` },
    lastSignInAt: n % 3 === 0 ? '2026-01-01T00:00:00.000Z' : null,
    ...overrides,
  };
}

function snapshotOf(users: DirectoryUser[]): WorkOsSnapshot {
  const builder = new WorkOsSnapshotBuilder();
  for (const user of users) builder.add(user);
  return builder.build();
}

/** Every way a digest, an id and a source can be held: packed, or in the heap. */
const shapes = [
  {
    name: 'a record digest (22 base64url characters) and a ULID id',
    user: directoryUser(1, {
      metadata: { import_source: 'auth0', import_digest: 'AbCdEfGhIjKlMnOpQrSt-_' },
    }),
  },
  {
    name: 'a record and password digest (22 + . + 16)',
    user: directoryUser(2, {
      metadata: {
        import_source: 'auth0',
        import_digest: 'AbCdEfGhIjKlMnOpQrSt-_.0123456789abcdef',
      },
    }),
  },
  {
    name: 'a digest of another shape and an id that is not a ULID',
    user: directoryUser(3, {
      id: 'user_not-a-ulid-é',
      metadata: { import_source: 'clerk', import_digest: 'legacy:digest/ünïcode' },
    }),
  },
  {
    name: 'no import metadata (a user this tool did not write)',
    user: directoryUser(4, { metadata: { plan: 'pro' } }),
  },
];

describe('Class: WorkOsSnapshot', () => {
  describe.each(shapes)('with $name', ({ user }) => {
    const expected = {
      workosUserId: user.id,
      ...(user.metadata.import_digest === undefined
        ? {}
        : { importDigest: user.metadata.import_digest }),
      ...(user.metadata.import_source === undefined
        ? {}
        : { importSource: user.metadata.import_source }),
      signedIn: user.lastSignInAt !== null,
      emailVerified: user.emailVerified,
      hasExternalId: true,
    };

    it('finds the user by external id and by email, in any case', () => {
      const snapshot = snapshotOf([directoryUser(100), user, directoryUser(101)]);

      expect(snapshot.findByExternalId(user.externalId as string)).toEqual(expected);
      expect(snapshot.findByEmail(user.email)).toEqual(expected);
      expect(snapshot.findByEmail(user.email.toUpperCase())).toEqual(expected);
    });

    it('finds the same after a round trip through bytes', () => {
      const bytes = snapshotOf([directoryUser(100), user]).toBytes();

      const loaded = WorkOsSnapshot.fromBytes(bytes);

      expect(loaded.findByExternalId(user.externalId as string)).toEqual(expected);
      expect(loaded.findByEmail(user.email)).toEqual(expected);
      expect(loaded.size).toBe(2);
    });
  });

  it('finds nothing for keys it does not hold, nor an email by external id or the reverse', () => {
    const snapshot = snapshotOf([directoryUser(1), directoryUser(2)]);

    expect(snapshot.findByExternalId('auth0|3')).toBeUndefined();
    expect(snapshot.findByEmail('user3@example.com')).toBeUndefined();
    expect(snapshot.findByExternalId('user1@example.com')).toBeUndefined();
    expect(snapshot.findByEmail('auth0|1')).toBeUndefined();
    expect(snapshot.findByExternalId('AUTH0|1')).toBeUndefined();
  });

  it('finds a user without an external id by email only', () => {
    const snapshot = snapshotOf([directoryUser(1, { externalId: null })]);

    expect(snapshot.findByEmail('user1@example.com')?.workosUserId).toBe(directoryUser(1).id);
    expect(snapshot.findByEmail('user1@example.com')?.hasExternalId).toBe(false);
    expect(WorkOsSnapshot.fromBytes(snapshot.toBytes()).findByEmail('user1@example.com')).toEqual(
      expect.objectContaining({ hasExternalId: false }),
    );
    expect(snapshot.findByExternalId('auth0|1')).toBeUndefined();
  });

  it('numbers its users in listing order: an external id leads to its entry', () => {
    const snapshot = snapshotOf([directoryUser(7), directoryUser(3), directoryUser(5)]);

    expect(snapshot.entryOfExternalId('auth0|3')).toBe(1);
    expect(snapshot.userAt(1).workosUserId).toBe(directoryUser(3).id);
    expect(snapshot.entryOfExternalId('auth0|4')).toBe(-1);
  });

  it('finds nothing at all when empty, before and after bytes', () => {
    const empty = new WorkOsSnapshotBuilder().build();
    const loaded = WorkOsSnapshot.fromBytes(empty.toBytes());

    expect([empty.size, loaded.size]).toEqual([0, 0]);
    expect(loaded.findByEmail('user1@example.com')).toBeUndefined();
  });

  it('keeps the user added last when two share an email (differing in case) or an external id', () => {
    const first = directoryUser(1, { email: 'Ada@Example.com' });
    const second = directoryUser(2, { email: 'ada@example.COM', externalId: 'auth0|1' });

    const snapshot = snapshotOf([first, second]);

    expect(snapshot.findByEmail('ADA@example.com')?.workosUserId).toBe(second.id);
    expect(snapshot.findByExternalId('auth0|1')?.workosUserId).toBe(second.id);
    expect(snapshot.size).toBe(2);
  });

  it('tells apart 20,000 users whose keys differ in one character, before and after bytes', () => {
    const users = Array.from({ length: 20_000 }, (_, n) => directoryUser(n));
    const snapshot = snapshotOf(users);
    const loaded = WorkOsSnapshot.fromBytes(snapshot.toBytes());

    const misses = users.filter(
      (user) =>
        snapshot.findByExternalId(user.externalId as string)?.workosUserId !== user.id ||
        loaded.findByEmail(user.email)?.workosUserId !== user.id ||
        loaded.findByExternalId(user.externalId as string)?.importDigest !==
          user.metadata.import_digest,
    );
    expect(misses).toEqual([]);
  });

  it('costs one record and two 16-byte index rows per user, the heap only for odd shapes', () => {
    const snapshot = snapshotOf(Array.from({ length: 1_000 }, (_, n) => directoryUser(n)));

    expect(snapshot.bytesUsed()).toBe(1_000 * (recordBytes + 32));
    expect(recordBytes).toBeLessThanOrEqual(49);
  });

  it('goes on from a partial snapshot as if it had been built in one go', () => {
    const users = Array.from({ length: 300 }, (_, n) => directoryUser(n));
    const resumed = new WorkOsSnapshotBuilder();
    resumed.addSnapshot(WorkOsSnapshot.fromBytes(snapshotOf(users.slice(0, 120)).toBytes()));
    for (const user of users.slice(120)) resumed.add(user);

    expect(resumed.build().toBytes()).toEqual(snapshotOf(users).toBytes());
  });

  it('reads bytes that are not 4-byte aligned', () => {
    const bytes = snapshotOf([directoryUser(7)]).toBytes();
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);

    const loaded = WorkOsSnapshot.fromBytes(shifted.subarray(1));

    expect(loaded.findByEmail('user7@example.com')?.workosUserId).toBe(directoryUser(7).id);
  });

  it.each([
    ['empty bytes', new Uint8Array(0)],
    ['another file', new TextEncoder().encode('{"users":[]}                                    ')],
    [
      'a truncated snapshot',
      snapshotOf([directoryUser(1)])
        .toBytes()
        .subarray(0, 60),
    ],
  ])('refuses %s', (_name, bytes) => {
    expect(() => WorkOsSnapshot.fromBytes(bytes)).toThrow(SnapshotFormatError);
  });
});
