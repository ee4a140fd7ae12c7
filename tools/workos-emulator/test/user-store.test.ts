import { beforeEach, describe, expect, it } from 'vitest';
import { newUserId } from '../src/ids.ts';
import { type EmulatedUser, UserStore } from '../src/user-store.ts';

function storedUser(email: string, externalId: string | null = null): EmulatedUser {
  const now = new Date().toISOString();
  return {
    id: newUserId(),
    email,
    emailVerified: false,
    firstName: null,
    lastName: null,
    name: null,
    profilePictureUrl: null,
    lastSignInAt: null,
    locale: null,
    externalId,
    metadata: {},
    createdAt: now,
    updatedAt: now,
    passwordHash: null,
    passwordHashType: null,
    passwordSaltPosition: null,
    passwordSource: null,
  };
}

describe('UserStore', () => {
  let store: UserStore;
  let ids: string[];

  beforeEach(() => {
    store = new UserStore();
    ids = [];
    for (let index = 0; index < 7; index += 1) {
      const user = storedUser(`user${index}@example.test`, `ext-${index}`);
      store.insert(user);
      ids.push(user.id);
    }
  });

  function emailsOf(page: { data: EmulatedUser[] }): string[] {
    return page.data.map((user) => user.email);
  }

  it('mints ids that sort in creation order, even within one millisecond', () => {
    expect([...ids].sort()).toEqual(ids);
  });

  it('finds users by email regardless of case, and by external id', () => {
    expect(store.findByEmail('USER3@Example.Test')?.id).toBe(ids[3]);
    expect(store.findByExternalId('ext-4')?.id).toBe(ids[4]);
    expect(store.findByExternalId('EXT-4')).toBeUndefined();
  });

  it('moves index entries when email or external id change, and drops them on delete', () => {
    const user = store.get(ids[0] ?? '');
    if (user === undefined) throw new Error('seeded user missing');
    store.replace({ ...user, email: 'renamed@example.test', externalId: 'ext-new' });
    expect(store.findByEmail('user0@example.test')).toBeUndefined();
    expect(store.findByExternalId('ext-0')).toBeUndefined();
    expect(store.findByEmail('renamed@example.test')?.id).toBe(ids[0]);
    expect(store.delete(ids[0] ?? '')).toBe(true);
    expect(store.findByExternalId('ext-new')).toBeUndefined();
    expect(store.size).toBe(6);
  });

  it('pages newest first by default and follows the after cursor to the end', () => {
    const first = store.list({ limit: 3, order: 'desc' });
    expect(emailsOf(first)).toEqual([
      'user6@example.test',
      'user5@example.test',
      'user4@example.test',
    ]);
    expect(first.listMetadata).toEqual({ before: null, after: ids[4] });
    const second = store.list({ limit: 3, order: 'desc', after: first.listMetadata.after ?? '' });
    expect(emailsOf(second)).toEqual([
      'user3@example.test',
      'user2@example.test',
      'user1@example.test',
    ]);
    expect(second.listMetadata).toEqual({ before: ids[3], after: ids[1] });
    const last = store.list({ limit: 3, order: 'desc', after: second.listMetadata.after ?? '' });
    expect(emailsOf(last)).toEqual(['user0@example.test']);
    expect(last.listMetadata.after).toBeNull();
  });

  it('goes back to the previous page with the before cursor', () => {
    const previous = store.list({ limit: 3, order: 'desc', before: ids[3] ?? '' });
    expect(emailsOf(previous)).toEqual([
      'user6@example.test',
      'user5@example.test',
      'user4@example.test',
    ]);
    expect(previous.listMetadata).toEqual({ before: null, after: ids[4] });
  });

  it('pages oldest first with order asc, in both directions', () => {
    const first = store.list({ limit: 4, order: 'asc' });
    expect(first.data.map((user) => user.id)).toEqual(ids.slice(0, 4));
    const second = store.list({ limit: 4, order: 'asc', after: first.listMetadata.after ?? '' });
    expect(second.data.map((user) => user.id)).toEqual(ids.slice(4));
    expect(second.listMetadata).toEqual({ before: ids[4], after: null });
    const back = store.list({ limit: 2, order: 'asc', before: ids[4] ?? '' });
    expect(back.data.map((user) => user.id)).toEqual(ids.slice(2, 4));
  });

  it('keeps a cursor working after the user it names was deleted', () => {
    store.delete(ids[4] ?? '');
    const page = store.list({ limit: 2, order: 'desc', after: ids[4] ?? '' });
    expect(page.data.map((user) => user.id)).toEqual([ids[3], ids[2]]);
  });

  it('filters by email case-insensitively', () => {
    expect(emailsOf(store.list({ email: 'USER2@EXAMPLE.TEST', limit: 10, order: 'desc' }))).toEqual(
      ['user2@example.test'],
    );
    expect(store.list({ email: 'nobody@example.test', limit: 10, order: 'desc' }).data).toEqual([]);
  });
});
