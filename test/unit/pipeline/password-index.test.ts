import { describe, expect, it } from 'vitest';
import {
  isIndexableBcryptHash,
  PasswordIndex,
  UserIdSet,
} from '../../../src/pipeline/password-index.ts';

const bcrypt = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';
const bcryptAlphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const unsupportedHash = 'password_reset_required:unsupported_hash';

/** mulberry32: the same "random" hashes on every run, so a failure can be reproduced. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBcrypt(random: () => number, variant: string, cost: number): string {
  let body = '';
  for (let i = 0; i < 53; i++) body += bcryptAlphabet.charAt(Math.floor(random() * 64));
  return `$2${variant}$${String(cost).padStart(2, '0')}$${body}`;
}

describe('Function: isIndexableBcryptHash()', () => {
  it.each([
    ['a $2b$ hash', bcrypt],
    ['a $2a$ hash', bcrypt.replace('$2b$', '$2a$')],
    ['a $2y$ hash', bcrypt.replace('$2b$', '$2y$')],
    ['cost 04', bcrypt.replace('$10$', '$04$')],
    ['cost 99 (not a real cost, but the shape WorkOS is sent)', bcrypt.replace('$10$', '$99$')],
    ['every character of the alphabet', `$2b$12$${bcryptAlphabet.slice(0, 53)}`],
  ])('accepts %s', (_, hash) => {
    expect(isIndexableBcryptHash(hash)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['a $2x$ hash', bcrypt.replace('$2b$', '$2x$')],
    ['a $2$ hash', bcrypt.replace('$2b$', '$2$')],
    ['a one-digit cost', bcrypt.replace('$10$', '$9$')],
    ['a cost that is not digits', bcrypt.replace('$10$', '$1a$')],
    ['a missing $ after the cost', bcrypt.replace('$10$', '$10.')],
    ['a character outside the alphabet (+)', `${bcrypt.slice(0, -1)}+`],
    ['a character outside the alphabet (=)', `${bcrypt.slice(0, 30)}=${bcrypt.slice(31)}`],
    ['a non-ASCII character', `${bcrypt.slice(0, -1)}é`],
    ['one character short', bcrypt.slice(0, -1)],
    ['one character long', `${bcrypt}a`],
    ['an argon2 hash', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo'],
  ])('refuses %s', (_, hash) => {
    expect(isIndexableBcryptHash(hash)).toBe(false);
  });
});

describe('Class: PasswordIndex', () => {
  it('rebuilds every hash exactly: all variants, costs 04 to 31, random salts and hashes', () => {
    const random = seededRandom(20240601);
    const index = new PasswordIndex();
    const hashes: string[] = [];
    for (const variant of ['a', 'b', 'y']) {
      for (let cost = 4; cost <= 31; cost++) {
        for (let n = 0; n < 25; n++) hashes.push(randomBcrypt(random, variant, cost));
      }
    }
    // The edges of the alphabet in every position, and the costs outside bcrypt's range.
    hashes.push(`$2b$00$${'.'.repeat(53)}`, `$2y$99$${'9'.repeat(53)}`, `$2a$31$${'/'.repeat(53)}`);
    hashes.forEach((hash, i) => {
      index.add(`auth0|${i}`, { line: i + 1, passwordHash: hash, passwordHashType: 'bcrypt' });
    });

    const rebuilt = hashes.map((_, i) => index.get(`auth0|${i}`)?.passwordHash);

    expect(rebuilt).toEqual(hashes);
    expect(index.get('auth0|0')).toEqual({
      line: 1,
      passwordHash: hashes[0],
      passwordHashType: 'bcrypt',
    });
  });

  it.each([
    ['no hash', { line: 3, note: 'password_reset_required:no_password_hash' }],
    ['no hash and no note', { line: 3 }],
  ])('keeps a record with %s as it came', (_, entry) => {
    const index = new PasswordIndex();
    index.add('auth0|abc', entry);

    expect(index.get('auth0|abc')).toEqual(entry);
  });

  it('keeps a note given with a hash', () => {
    const index = new PasswordIndex();
    index.add('auth0|abc', { line: 3, passwordHash: bcrypt, note: 'legacy_password' });

    expect(index.get('auth0|abc')).toEqual({
      line: 3,
      passwordHash: bcrypt,
      passwordHashType: 'bcrypt',
      note: 'legacy_password',
    });
  });

  it.each([
    ['a hash without the shape of bcrypt', { line: 1, passwordHash: 'md5$abc' }, unsupportedHash],
    [
      'such a hash with a note',
      { line: 1, passwordHash: 'md5$abc', note: 'legacy_password' },
      `legacy_password;${unsupportedHash}`,
    ],
    [
      'a bcrypt-shaped hash said to be of another type',
      { line: 1, passwordHash: bcrypt, passwordHashType: 'scrypt' },
      unsupportedHash,
    ],
  ])('keeps no hash, and says why, for %s', (_, entry, note) => {
    const index = new PasswordIndex();
    index.add('auth0|abc', entry as Parameters<PasswordIndex['add']>[1]);

    expect(index.get('auth0|abc')).toEqual({ line: 1, note });
  });

  it('keeps the first record of an id and counts the others', () => {
    const index = new PasswordIndex();
    expect(
      index.add('auth0|abc', { line: 1, passwordHash: bcrypt, passwordHashType: 'bcrypt' }),
    ).toBe(true);
    expect(
      index.add('auth0|abc', { line: 2, note: 'password_reset_required:no_password_hash' }),
    ).toBe(false);
    index.add('auth0|abc', { line: 3, passwordHash: bcrypt.replace('$10$', '$12$') });
    index.add('auth0|def', { line: 4 });

    expect([index.size, index.duplicateIds]).toEqual([2, 2]);
    expect(index.get('auth0|abc')).toEqual({
      line: 1,
      passwordHash: bcrypt,
      passwordHashType: 'bcrypt',
    });
  });

  it('tells ids apart by case, as Auth0 does', () => {
    const index = new PasswordIndex();
    index.add('auth0|Euclid', { line: 1 });
    index.add('auth0|euclid', { line: 2 });

    expect([index.lineOf('auth0|Euclid'), index.lineOf('auth0|euclid')]).toEqual([1, 2]);
    expect(index.duplicateIds).toBe(0);
  });

  it('knows nothing of an id it was not given', () => {
    const index = new PasswordIndex();
    index.add('auth0|abc', { line: 1, passwordHash: bcrypt });

    expect(index.get('auth0|abd')).toBeUndefined();
    expect(index.lineOf('auth0|abd')).toBeUndefined();
    expect(index.get('')).toBeUndefined();
  });

  it('keeps lines beyond 2^32 exactly, up to 2^53 - 1', () => {
    const index = new PasswordIndex();
    index.add('auth0|a', { line: 2 ** 32 + 1, passwordHash: bcrypt });
    index.add('auth0|b', { line: Number.MAX_SAFE_INTEGER });

    expect(index.get('auth0|a')?.line).toBe(2 ** 32 + 1);
    expect(index.lineOf('auth0|b')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['a negative line', -1],
    ['a fractional line', 2.5],
    ['a line past 2^53', 2 ** 53],
  ])('refuses %s', (_, line) => {
    expect(() => new PasswordIndex().add('auth0|abc', { line })).toThrow(RangeError);
  });

  it('finds 50,000 users with their hashes after many doublings of its table', () => {
    const random = seededRandom(7);
    const index = new PasswordIndex();
    const count = 50_000;
    const hashes = Array.from({ length: count }, () => randomBcrypt(random, 'b', 10));
    for (let i = 0; i < count; i++) {
      index.add(`auth0|${i.toString(16).padStart(24, '0')}`, {
        line: i + 1,
        passwordHash: hashes[i],
      });
    }

    let wrong = 0;
    for (let i = 0; i < count; i++) {
      const entry = index.get(`auth0|${i.toString(16).padStart(24, '0')}`);
      if (entry?.line !== i + 1 || entry.passwordHash !== hashes[i]) wrong++;
    }
    expect([index.size, wrong]).toEqual([count, 0]);
    // 2^17 slots, 4 chunks of 16,384 entries of 12 + 8 + 42 bytes.
    expect(index.bytesUsed() / count).toBeLessThan(92);
  });

  it('marks the users the users export has, among the ids it holds', () => {
    const index = new PasswordIndex();
    index.add('auth0|abc', { line: 1, passwordHash: bcrypt, note: 'legacy_password' });
    index.add('auth0|def', { line: 2 });

    expect([index.markUser('auth0|abc'), index.markUser('auth0|xyz')]).toEqual([
      { line: 1, hasPasswordHash: true },
      undefined,
    ]);
    expect(['auth0|abc', 'auth0|def', 'auth0|xyz'].map((id) => index.hasUser(id))).toEqual([
      true,
      false,
      false,
    ]);
    expect(index.markedUsers).toBe(1);
    expect(index.markUser('auth0|def')).toEqual({ line: 2, hasPasswordHash: false });
    // A user marked twice counts once: all records have their user.
    index.markUser('auth0|abc');
    expect([index.markedUsers, index.size]).toEqual([2, 2]);
    // The mark shares a byte with the note: neither spoils the other.
    expect(index.get('auth0|abc')).toEqual({
      line: 1,
      passwordHash: bcrypt,
      passwordHashType: 'bcrypt',
      note: 'legacy_password',
    });
  });

  it('holds up to 127 distinct notes, and says so past them', () => {
    const index = new PasswordIndex();
    for (let n = 1; n <= 127; n++) index.add(`auth0|${n}`, { line: n, note: `note_${n}` });

    expect(index.get('auth0|127')?.note).toBe('note_127');
    expect(() => index.add('auth0|128', { line: 128, note: 'note_128' })).toThrow(RangeError);
    index.add('auth0|129', { line: 129, note: 'note_5' });
    expect(index.get('auth0|129')?.note).toBe('note_5');
  });
});

describe('Class: UserIdSet', () => {
  it('holds each id once, and tells ids apart by case', () => {
    const ids = new UserIdSet();

    expect([ids.add('auth0|abc'), ids.add('auth0|abc'), ids.add('auth0|ABC')]).toEqual([
      true,
      false,
      true,
    ]);
    expect(ids.size).toBe(2);
    expect([ids.has('auth0|abc'), ids.has('auth0|ABC'), ids.has('auth0|abd')]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('makes room for an expected number of ids at once', () => {
    const ids = new UserIdSet({ expectedSize: 10_000 });
    ids.add('auth0|0');
    const bytesAfterOne = ids.bytesUsed();

    for (let i = 1; i < 10_000; i++) ids.add(`auth0|${i}`);

    expect(ids.bytesUsed()).toBe(bytesAfterOne);
  });

  it('finds 100,000 ids after growing, and none it was not given', () => {
    const ids = new UserIdSet();
    for (let i = 0; i < 100_000; i++) ids.add(`google-oauth2|${i}`);

    let missing = 0;
    let extra = 0;
    for (let i = 0; i < 100_000; i++) {
      if (!ids.has(`google-oauth2|${i}`)) missing++;
      if (ids.has(`google-oauth2|${i + 100_000}`)) extra++;
    }
    expect([ids.size, missing, extra]).toEqual([100_000, 0, 0]);
    expect(ids.bytesUsed() / 100_000).toBeLessThan(30);
  });
});
