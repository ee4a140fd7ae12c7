import { describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  fingerprintOfLowerCase,
  fingerprintWords,
} from '../../../src/split/fingerprint.ts';
import {
  EntryBytes,
  entriesPerChunk,
  FingerprintTable,
} from '../../../src/split/fingerprint-table.ts';

function fingerprint(text: string): number[] {
  const into = new Uint32Array(fingerprintWords);
  fingerprintOf(text, into);
  return [...into];
}

function lowerCaseFingerprint(text: string): number[] {
  const into = new Uint32Array(fingerprintWords);
  fingerprintOfLowerCase(text, into);
  return [...into];
}

/** A key whose words are chosen, to force slot collisions the fingerprint would make rare. */
function key(...words: number[]): Uint32Array {
  return Uint32Array.from(words);
}

/** Keys 0..count-1 as fingerprints of distinct strings, packed one after another. */
function fingerprintsOf(count: number, prefix: string): Uint32Array {
  const keys = new Uint32Array(count * fingerprintWords);
  for (let i = 0; i < count; i++) fingerprintOf(`${prefix}${i}`, keys, i * fingerprintWords);
  return keys;
}

describe('Function: fingerprintOf()', () => {
  it('gives a string the same fingerprint every time, and writes only its three words', () => {
    const into = new Uint32Array(5).fill(7);
    fingerprintOf('auth0|5dea9f9c82dd7c0e76e4ec93', into, 1);

    expect([...into.subarray(1, 4)]).toEqual(fingerprint('auth0|5dea9f9c82dd7c0e76e4ec93'));
    expect([into[0], into[4]]).toEqual([7, 7]);
  });

  it('tells apart strings that differ by one code unit, their length or their order', () => {
    // Lengths around the 8-code-unit block, and the zero padding of the last block.
    const near = [
      '',
      'a',
      'a\u0000',
      '\u0000a',
      'b',
      'ab',
      'ba',
      'abcdefg',
      'abcdefgh',
      'abcdefghi',
      'abcdefgh\u0000',
      'abcdefghijklmnop',
      'abcdefghijklmnoq',
      'Abcdefghijklmnop',
      'abcdefghijklmnopq',
      '\uffff',
      '\ud83d\ude00',
    ];

    const distinct = new Set(near.map((text) => fingerprint(text).join(',')));

    expect(distinct.size).toBe(near.length);
  });

  it('gives 200,000 similar ids 200,000 different fingerprints', () => {
    const keys = fingerprintsOf(200_000, 'auth0|5dea9f9c82dd7c0e7');
    const distinct = new Set<string>();
    for (let i = 0; i < keys.length; i += fingerprintWords) {
      distinct.add(`${keys[i]},${keys[i + 1]},${keys[i + 2]}`);
    }

    expect(distinct.size).toBe(200_000);
  });
});

describe('Function: fingerprintOfLowerCase()', () => {
  it.each([
    ['ASCII capitals', 'Ada.Lovelace@Example.COM'],
    ['the characters just outside A-Z', '@[`{AZaz'],
    ['a length that fills whole blocks', 'ABCDEFGHIJKLMNOP'],
    ['a short last block', 'ABCDEFGHIJ'],
    ['Latin-1 capitals', 'ÉLODIE@EXEMPLE.FR'],
    ['the Kelvin sign, which lower-cases to ASCII', '\u212aelvin@example.com'],
    ['a capital that lower-cases to two code units', '\u0130stanbul@example.com'],
  ])('is the fingerprint of the lower-cased string, for %s', (_, text) => {
    expect(lowerCaseFingerprint(text)).toEqual(fingerprint(text.toLowerCase()));
    expect(lowerCaseFingerprint(text)).not.toEqual(fingerprint(text));
  });

  it('leaves an all lower-case string as fingerprintOf() sees it', () => {
    expect(lowerCaseFingerprint('ada@example.com')).toEqual(fingerprint('ada@example.com'));
  });
});

describe('Class: FingerprintTable', () => {
  it('numbers keys from 0 in the order they come, and finds each again', () => {
    const table = new FingerprintTable();

    const entries = [key(1, 2, 3), key(4, 5, 6), key(1, 2, 3), key(0, 0, 0)].map((k) =>
      table.findOrAdd(k),
    );

    expect(entries).toEqual([0, 1, 0, 2]);
    expect(table.size).toBe(3);
    expect(table.find(key(0, 0, 0))).toBe(2);
    expect(table.find(key(1, 2, 4))).toBe(-1);
    expect([table.has(key(4, 5, 6)), table.has(key(4, 5, 7))]).toEqual([true, false]);
  });

  it('keeps keys apart that share a first word and so a home slot', () => {
    const table = new FingerprintTable();
    for (let i = 0; i < 1000; i++) table.findOrAdd(key(42, i, 1000 - i));

    expect(table.size).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(table.find(key(42, i, 1000 - i))).toBe(i);
    expect(table.find(key(42, 0, 1))).toBe(-1);
  });

  it('finds every key with its value after growing from 16 slots through many doublings', () => {
    const count = 100_000;
    const keys = fingerprintsOf(count, 'user');
    const table = new FingerprintTable();
    for (let i = 0; i < count; i++) table.set(keys, i * 3 + 1, i * fingerprintWords);

    expect(table.size).toBe(count);
    let found = 0;
    for (let i = 0; i < count; i++) {
      if (table.get(keys, i * fingerprintWords) === i * 3 + 1) found++;
    }
    expect(found).toBe(count);
    const absent = fingerprintsOf(10_000, 'nobody');
    let foundAbsent = 0;
    for (let i = 0; i < 10_000; i++) if (table.has(absent, i * fingerprintWords)) foundAbsent++;
    expect(foundAbsent).toBe(0);
  });

  it('holds values exactly up to 2^53 - 1, reads 0 for a key added without one', () => {
    const table = new FingerprintTable();
    table.set(key(1, 1, 1), Number.MAX_SAFE_INTEGER);
    table.set(key(2, 2, 2), 2 ** 32 + 7);
    table.findOrAdd(key(3, 3, 3));

    expect(table.get(key(1, 1, 1))).toBe(Number.MAX_SAFE_INTEGER);
    expect(table.get(key(2, 2, 2))).toBe(2 ** 32 + 7);
    expect(table.get(key(3, 3, 3))).toBe(0);
    expect(table.get(key(4, 4, 4))).toBeUndefined();
  });

  it('overwrites a value with set() without adding an entry', () => {
    const table = new FingerprintTable();
    table.set(key(1, 1, 1), 10);

    expect(table.set(key(1, 1, 1), 20)).toBe(0);
    expect([table.size, table.get(key(1, 1, 1))]).toEqual([1, 20]);
  });

  it('copies an entry key out, to carry it into another table', () => {
    const table = new FingerprintTable();
    const keys = fingerprintsOf(entriesPerChunk + 10, 'id');
    for (let i = 0; i < entriesPerChunk + 10; i++) table.findOrAdd(keys, i * fingerprintWords);
    const copied = new Uint32Array(fingerprintWords);

    table.copyKey(entriesPerChunk + 3, copied);

    const offset = (entriesPerChunk + 3) * fingerprintWords;
    expect([...copied]).toEqual([...keys.subarray(offset, offset + fingerprintWords)]);
  });

  it.each([
    ['a negative entry', -1],
    ['an entry past the last', 1],
    ['a fraction', 0.5],
  ])('refuses a value for %s', (_, entry) => {
    const table = new FingerprintTable();
    table.findOrAdd(key(1, 2, 3));

    expect(() => table.setValueAt(entry, 1)).toThrow(RangeError);
  });

  it('makes room for an expected size at once: adding that many keys allocates no more slots', () => {
    const table = new FingerprintTable({ expectedSize: 10_000 });
    const keys = fingerprintsOf(10_000, 'presized');
    table.findOrAdd(keys, 0);
    const bytesAfterOne = table.bytesUsed();

    for (let i = 1; i < 10_000; i++) table.findOrAdd(keys, i * fingerprintWords);

    expect(table.bytesUsed()).toBe(bytesAfterOne);
  });

  it('costs about 12 bytes of key and 4 bytes of slot per entry over the load', () => {
    const count = 200_000;
    const keys = fingerprintsOf(count, 'user');
    const table = new FingerprintTable();
    for (let i = 0; i < count; i++) table.findOrAdd(keys, i * fingerprintWords);

    // 2^19 slots (load 0.38) and 13 chunks of keys: 10.5 + 12.8 bytes per entry.
    expect(table.bytesUsed() / count).toBeLessThan(24);
  });

  it('allocates values only once one is set, a chunk of entries at a time', () => {
    const table = new FingerprintTable();
    for (let i = 0; i < 100; i++) table.findOrAdd(key(i, 0, 0));
    const withoutValues = table.bytesUsed();

    table.setValueAt(99, 1);

    expect(table.bytesUsed() - withoutValues).toBe(entriesPerChunk * 8);
  });
});

describe('Class: EntryBytes', () => {
  it('gives each entry its own bytes, across the boundary between two chunks', () => {
    const column = new EntryBytes(3);
    const entries = [0, 1, entriesPerChunk - 1, entriesPerChunk, entriesPerChunk + 1];
    for (const [n, entry] of entries.entries()) {
      column.chunkOf(entry).fill(n + 1, column.offsetOf(entry), column.offsetOf(entry) + 3);
    }

    const read = entries.map((entry) => [
      ...column.chunkOf(entry).subarray(column.offsetOf(entry), column.offsetOf(entry) + 3),
    ]);

    expect(read).toEqual(entries.map((_, n) => [n + 1, n + 1, n + 1]));
    expect(column.bytesUsed()).toBe(2 * entriesPerChunk * 3);
  });
});
