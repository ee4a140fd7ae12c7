import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MalformedExportError } from '../../../../src/sources/formats/export-records.ts';
import { CorruptExportError } from '../../../../src/sources/formats/gzip.ts';
import {
  chunksOfSize,
  deliveries,
  noHangTimeoutMs,
  recordReading,
} from '../../../helpers/record-reading.ts';

const { readAll, readUntilFailure } = recordReading('json-array');

const users = [
  { user_id: 'auth0|abc', email: 'ada@example.com', email_verified: true },
  { user_id: 'auth0|d"e\\f', given_name: 'Zoë', family_name: 'Đặng 👩‍💻', tags: ['a', { b: [] }] },
  { user_id: 'auth0|ghi', note: 'braces } ] { [ and "quotes" in a string', n: -1.5e3 },
];
const asRecords = (list: object[]) => list.map((fields, index) => ({ line: index + 1, fields }));

const documents = [
  { document: 'a minified top-level array', text: JSON.stringify(users) },
  { document: 'a pretty-printed top-level array', text: JSON.stringify(users, null, 2) },
  {
    document: 'a CRLF pretty-printed array with a byte order mark',
    text: `\uFEFF${JSON.stringify(users, null, '\t').replaceAll('\n', '\r\n')}\r\n`,
  },
  { document: "Firebase's {users: [...]}", text: JSON.stringify({ users }) },
  {
    document: "Cognito's {Users: [...], PaginationToken}, pretty-printed",
    text: JSON.stringify({ Users: users, PaginationToken: 'x"y' }, null, 2),
  },
  {
    document: "Auth0's {next, members: [...]}: the first array wins though not the first property",
    text: JSON.stringify({ next: 'x', total: 3, meta: { pages: [1, 2] }, members: users }),
  },
  {
    document: 'an object whose later arrays are ignored',
    text: JSON.stringify({ organizations: users, other: [{ user_id: 'not a record' }] }),
  },
];

describe('Function: readExportRecords() with the json-array layout', () => {
  describe.each(deliveries)('delivered $delivery', ({ chunks }) => {
    it.each(documents)('reads the elements of $document, numbered from 1', async ({ text }) => {
      // Act
      const records = await readAll(chunks(Buffer.from(text)));

      // Assess
      expect(records).toEqual(asRecords(users));
    });

    it.each([
      { document: 'an empty array', text: ' [ ] ' },
      { document: 'an object holding an empty array', text: '{"users":[]}\n' },
    ])('reads nothing from $document', async ({ text }) => {
      // Act
      const records = await readAll(chunks(Buffer.from(text)));

      // Assess
      expect(records).toEqual([]);
    });

    it('rejects elements that are not objects or not JSON, and goes on', async () => {
      // Prepare
      const text = '[{"a":1}, 2, "s", null, [{"b":2}], {"c":tru}, {"d":1,}, true, {"e":"\\u00e9"}]';

      // Act
      const records = await readAll(chunks(Buffer.from(text)));

      // Assess
      expect(records).toEqual([
        { line: 1, fields: { a: 1 } },
        { line: 2, unreadable: 'not_an_object' },
        { line: 3, unreadable: 'not_an_object' },
        { line: 4, unreadable: 'not_an_object' },
        { line: 5, unreadable: 'not_an_object' },
        { line: 6, unreadable: 'invalid_json' },
        { line: 7, unreadable: 'invalid_json' },
        { line: 8, unreadable: 'not_an_object' },
        { line: 9, fields: { e: 'é' } },
      ]);
    });

    it('yields an element longer than maxRecordBytes as record_too_long and goes on', async () => {
      // Prepare: 40 bytes is the limit; the second element has 41
      const long = JSON.stringify({ k: 'x'.repeat(33) });
      const exact = JSON.stringify({ k: 'y'.repeat(32) });
      const text = `[{"a":1},${long},${exact}]`;

      // Act
      const records = await readAll(chunks(Buffer.from(text)), { maxRecordBytes: 40 });

      // Assess
      expect(long).toHaveLength(41);
      expect(exact).toHaveLength(40);
      expect(records).toEqual([
        { line: 1, fields: { a: 1 } },
        { line: 2, unreadable: 'record_too_long' },
        { line: 3, fields: { k: 'y'.repeat(32) } },
      ]);
    });

    it('yields an element that is not valid UTF-8 as invalid_utf8, never as U+FFFD', async () => {
      // Prepare
      const text = Buffer.concat([
        Buffer.from('[{"a":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"},{"b":"ok"}]'),
      ]);

      // Act
      const records = await readAll(chunks(text));

      // Assess
      expect(records).toEqual([
        { line: 1, unreadable: 'invalid_utf8' },
        { line: 2, fields: { b: 'ok' } },
      ]);
    });

    it.each([
      {
        damage: 'a file cut inside an element',
        text: '[{"a":1},{"b":2},{"c":',
        afterElement: 2,
        problem: 'cut off before its end',
      },
      {
        damage: 'a file cut between elements',
        text: '{"users":[{"a":1},{"b":2}',
        afterElement: 2,
        problem: 'cut off before its end',
      },
      {
        damage: 'a file cut after the array, inside the object',
        text: '{"users":[{"a":1},{"b":2}],"next":"ab',
        afterElement: 2,
        problem: 'cut off before its end',
      },
      {
        damage: 'a CSV file',
        text: 'user_id,email\nauth0|1,ada@example.com\n',
        afterElement: 0,
        problem: 'neither a JSON array nor an object',
      },
      {
        damage: 'a top-level string',
        text: '"ada@example.com"',
        afterElement: 0,
        problem: 'neither',
      },
      { damage: 'a top-level number', text: ' 42 ', afterElement: 0, problem: 'neither' },
      { damage: 'an empty file', text: '', afterElement: 0, problem: 'empty' },
      { damage: 'whitespace only', text: ' \n ', afterElement: 0, problem: 'empty' },
      {
        damage: 'an object without an array',
        text: '{"user_id":"auth0|1","email":"ada@example.com","n":{"m":[]}}',
        afterElement: 0,
        problem: 'holds no array',
      },
      {
        damage: 'two elements without a comma',
        text: '[{"a":1},{"b":2} {"c":3}]',
        afterElement: 2,
        problem: "not followed by ',' or ']'",
      },
      {
        damage: 'a closing brace too many',
        text: '[{"a":1}},{"b":2}]',
        afterElement: 1,
        problem: "not followed by ',' or ']'",
      },
      {
        damage: 'a trailing comma',
        text: '[{"a":1},{"b":2},]',
        afterElement: 2,
        problem: "ends with a ','",
      },
      {
        damage: 'a stray character where an element starts',
        text: '[{"a":1},:]',
        afterElement: 1,
        problem: 'stray character',
      },
      {
        damage: 'content after the document',
        text: '[{"a":1}]\n[{"b":2}]',
        afterElement: 1,
        problem: 'follows the end of the document',
      },
    ])(
      'yields the elements before $damage, then rejects with MalformedExportError',
      async ({ text, afterElement, problem }) => {
        // Act
        const { records, error } = await readUntilFailure(chunks(Buffer.from(text)));

        // Assess
        expect(records).toEqual(
          [{ a: 1 }, { b: 2 }].slice(0, afterElement).map((fields, index) => ({
            line: index + 1,
            fields,
          })),
        );
        expect(error).toBeInstanceOf(MalformedExportError);
        expect((error as MalformedExportError).afterElement).toBe(afterElement);
        expect((error as Error).message).toContain(problem);
        expect((error as Error).message).toContain(
          afterElement === 0 ? 'before the first element' : `after element ${afterElement}`,
        );
        expect((error as Error).message).not.toMatch(/ada@example|auth0\|/);
      },
      noHangTimeoutMs,
    );
  });

  it('finds every element of a large array whatever the chunk sizes', async () => {
    // Prepare: boundaries at pseudo-random places, escapes and multi-byte characters everywhere
    const many = Array.from({ length: 2_000 }, (_, index) => ({
      id: index,
      s: `\\"${'é'.repeat(index % 5)}"\\`,
      nested: { list: [index, { deeper: '}]' }] },
    }));
    const bytes = Buffer.from(JSON.stringify({ users: many }, null, 2));
    const chunks: Buffer[] = [];
    let state = 11;
    for (let offset = 0; offset < bytes.length; ) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      const size = 1 + (state % 97);
      chunks.push(bytes.subarray(offset, offset + size));
      offset += size;
    }

    // Act
    const records = await readAll(chunks);

    // Assess
    expect(records).toEqual(asRecords(many));
  });

  it('skips an element far longer than maxRecordBytes without holding it, and goes on', async () => {
    // Prepare: 8 MiB in 64 KiB chunks against a 1 KiB limit
    const huge = JSON.stringify({ blob: 'z'.repeat(8 * 1024 * 1024) });
    const bytes = Buffer.from(`[${huge},{"after":true}]`);

    // Act
    const records = await readAll(chunksOfSize(bytes, 64 * 1024), { maxRecordBytes: 1024 });

    // Assess
    expect(records).toEqual([
      { line: 1, unreadable: 'record_too_long' },
      { line: 2, fields: { after: true } },
    ]);
  });

  it('keeps a field named __proto__ as data', async () => {
    // Act
    const records = await readAll([Buffer.from('[{"__proto__":{"polluted":true},"a":1}]')]);

    // Assess
    const fields = records[0]?.fields as Record<string, unknown>;
    expect(Object.keys(fields)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('with a damaged gzip stream', () => {
    const many = Array.from({ length: 20_000 }, (_, index) => ({
      user_id: `auth0|${index}`,
      email: `user${index}@example.com`,
    }));
    const gzipped = gzipSync(Buffer.from(JSON.stringify({ users: many })));
    const cut = gzipped.subarray(0, Math.floor(gzipped.length * 0.6));
    // Everything zlib can inflate from the truncated file: its whole elements (each ends with
    // the only `}` it holds) are the good part.
    const inflatable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString();
    const wholeElements = inflatable.split('}').length - 1;

    it.each([
      { chunking: 'in one chunk', chunks: () => [cut] },
      { chunking: 'in 4 KiB chunks', chunks: () => chunksOfSize(cut, 4096) },
    ])(
      'yields every element before a truncation ($chunking), then rejects with CorruptExportError',
      async ({ chunks }) => {
        // Act
        const { records, error } = await readUntilFailure(chunks());

        // Assess
        expect(wholeElements).toBeGreaterThan(1000);
        expect(records).toEqual(asRecords(many.slice(0, wholeElements)));
        expect(error).toBeInstanceOf(CorruptExportError);
        expect((error as CorruptExportError).afterLine).toBe(wholeElements);
      },
      noHangTimeoutMs,
    );
  });
});
