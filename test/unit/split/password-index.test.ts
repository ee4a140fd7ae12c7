import { describe, expect, it } from 'vitest';
import { type IndexedPassword, PasswordIndex } from '../../../src/split/password-index.ts';

const bcrypt = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';
const bcryptAlphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const unsupportedHash = 'password_reset_required:unsupported_hash';

/** A user of the users export, then its record of the password export. */
function addJoined(index: PasswordIndex, sourceId: string, entry: IndexedPassword) {
  index.addUser(sourceId);
  return index.add(sourceId, entry);
}

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
      addJoined(index, `auth0|${i}`, {
        line: i + 1,
        passwordHash: hash,
        passwordHashType: 'bcrypt',
      });
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
    addJoined(index, 'auth0|abc', entry);

    expect(index.get('auth0|abc')).toEqual(entry);
  });

  it('keeps a note given with a hash', () => {
    const index = new PasswordIndex();
    addJoined(index, 'auth0|abc', { line: 3, passwordHash: bcrypt, note: 'legacy_password' });

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
    addJoined(index, 'auth0|abc', entry as IndexedPassword);

    expect(index.get('auth0|abc')).toEqual({ line: 1, note });
  });

  it('keeps the first record of an id and counts the others', () => {
    const index = new PasswordIndex();
    expect(
      addJoined(index, 'auth0|abc', { line: 1, passwordHash: bcrypt, passwordHashType: 'bcrypt' }),
    ).toBe('joined');
    expect(
      addJoined(index, 'auth0|abc', { line: 2, note: 'password_reset_required:no_password_hash' }),
    ).toBe('duplicate');
    addJoined(index, 'auth0|abc', { line: 3, passwordHash: bcrypt.replace('$10$', '$12$') });
    addJoined(index, 'auth0|def', { line: 4 });

    expect([index.size, index.duplicateIds]).toEqual([2, 2]);
    expect(index.get('auth0|abc')).toEqual({
      line: 1,
      passwordHash: bcrypt,
      passwordHashType: 'bcrypt',
    });
  });

  it('tells ids apart by case, as Auth0 does', () => {
    const index = new PasswordIndex();
    addJoined(index, 'auth0|Euclid', { line: 1 });
    addJoined(index, 'auth0|euclid', { line: 2 });

    expect([index.lineOf('auth0|Euclid'), index.lineOf('auth0|euclid')]).toEqual([1, 2]);
    expect(index.duplicateIds).toBe(0);
  });

  it('knows nothing of an id it was not given', () => {
    const index = new PasswordIndex();
    addJoined(index, 'auth0|abc', { line: 1, passwordHash: bcrypt });

    expect(index.get('auth0|abd')).toBeUndefined();
    expect(index.lineOf('auth0|abd')).toBeUndefined();
    expect(index.get('')).toBeUndefined();
  });

  it('keeps any line of a file exactly, up to 2^32 - 1', () => {
    const index = new PasswordIndex();
    addJoined(index, 'auth0|a', { line: 2 ** 31 + 1, passwordHash: bcrypt });
    addJoined(index, 'auth0|b', { line: 2 ** 32 - 1 });

    expect(index.get('auth0|a')?.line).toBe(2 ** 31 + 1);
    expect(index.lineOf('auth0|b')).toBe(2 ** 32 - 1);
  });

  it.each([
    ['line 0', 0],
    ['a negative line', -1],
    ['a fractional line', 2.5],
    ['a line past 2^32 - 1', 2 ** 32],
  ])('refuses %s', (_, line) => {
    expect(() => addJoined(new PasswordIndex(), 'auth0|abc', { line })).toThrow(RangeError);
  });

  it('finds 50,000 users with their hashes after many doublings of its table', () => {
    const random = seededRandom(7);
    const index = new PasswordIndex();
    const count = 50_000;
    const hashes = Array.from({ length: count }, () => randomBcrypt(random, 'b', 10));
    for (let i = 0; i < count; i++) {
      addJoined(index, `auth0|${i.toString(16).padStart(24, '0')}`, {
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
    // 2^17 slots, 4 chunks of 16,384 entries of 12 + 46 bytes.
    expect(index.bytesUsed() / count).toBeLessThan(92);
  });

  it('keeps only the records whose user the users export has', () => {
    const index = new PasswordIndex();
    const ada = index.addUser('auth0|abc');
    const grace = index.addUser('auth0|def');
    index.addUser('google-oauth2|123');

    expect([
      index.add('auth0|abc', { line: 1, passwordHash: bcrypt, note: 'legacy_password' }),
      index.add('auth0|def', { line: 2 }),
      index.add('auth0|xyz', { line: 3, passwordHash: bcrypt }),
      index.add('auth0|abc', { line: 4 }),
    ]).toEqual(['joined', 'joined', 'no_user', 'duplicate']);
    expect([index.size, index.joinedPasswords, index.duplicateIds]).toEqual([3, 2, 1]);
    expect([ada, grace].map((entry) => index.hasPasswordHashAt(entry))).toEqual([true, false]);
    expect([index.lineOf('auth0|xyz'), index.get('google-oauth2|123')]).toEqual([
      undefined,
      undefined,
    ]);
    expect(index.addUser('auth0|abc')).toBe(ada);
    expect(index.get('auth0|abc')).toEqual({
      line: 1,
      passwordHash: bcrypt,
      passwordHashType: 'bcrypt',
      note: 'legacy_password',
    });
  });

  it('holds up to 255 distinct notes, and says so past them', () => {
    const index = new PasswordIndex();
    for (let n = 1; n <= 255; n++) addJoined(index, `auth0|${n}`, { line: n, note: `note_${n}` });

    expect(index.get('auth0|255')?.note).toBe('note_255');
    expect(() => addJoined(index, 'auth0|256', { line: 256, note: 'note_256' })).toThrow(
      RangeError,
    );
    addJoined(index, 'auth0|257', { line: 257, note: 'note_5' });
    expect(index.get('auth0|257')?.note).toBe('note_5');
  });
});
