import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvHeaderError } from '../../../../src/sources/formats/export-records.ts';
import { CorruptExportError } from '../../../../src/sources/formats/gzip.ts';
import {
  chunksOfSize,
  deliveries,
  noHangTimeoutMs,
  recordReading,
} from '../../../helpers/record-reading.ts';

const { readAll, readUntilFailure } = recordReading('csv');

const contents = [
  {
    content: 'LF line endings with a trailing newline',
    text: 'id,email\n1,ada@example.com\n2,grace@example.com\n',
    expected: [
      { line: 2, fields: { id: '1', email: 'ada@example.com' } },
      { line: 3, fields: { id: '2', email: 'grace@example.com' } },
    ],
  },
  {
    content: 'no trailing newline',
    text: 'id,email\n1,ada@example.com\n2,grace@example.com',
    expected: [
      { line: 2, fields: { id: '1', email: 'ada@example.com' } },
      { line: 3, fields: { id: '2', email: 'grace@example.com' } },
    ],
  },
  {
    content: 'CRLF line endings and a byte order mark',
    text: '\uFEFFid,email\r\n1,ada@example.com\r\n2,grace@example.com\r\n',
    expected: [
      { line: 2, fields: { id: '1', email: 'ada@example.com' } },
      { line: 3, fields: { id: '2', email: 'grace@example.com' } },
    ],
  },
  {
    content: 'quoted cells holding commas, doubled quotes and line breaks, numbered by first line',
    text: 'id,note\n1,"a,b"\n2,"say ""hi"""\n3,"two\nlines"\r\n4,"crlf\r\nin, ""cell"""\r\n5,x\n',
    expected: [
      { line: 2, fields: { id: '1', note: 'a,b' } },
      { line: 3, fields: { id: '2', note: 'say "hi"' } },
      { line: 4, fields: { id: '3', note: 'two\nlines' } },
      { line: 6, fields: { id: '4', note: 'crlf\r\nin, "cell"' } },
      { line: 8, fields: { id: '5', note: 'x' } },
    ],
  },
  {
    content: 'blank lines, which yield nothing but keep their numbers',
    text: '\nid,v\n\n1,a\r\n\r\n2,b\n\n',
    expected: [
      { line: 4, fields: { id: '1', v: 'a' } },
      { line: 6, fields: { id: '2', v: 'b' } },
    ],
  },
  {
    content: 'header names around spaces, empty cells and an empty quoted cell',
    text: ' id , email ,name\n,,\n"",x, \n',
    expected: [
      { line: 2, fields: { id: '', email: '', name: '' } },
      { line: 3, fields: { id: '', email: 'x', name: ' ' } },
    ],
  },
  {
    content: 'multi-byte characters and a CR inside an unquoted cell, kept as data',
    text: 'given_name,family_name\nZoë,Đặng 👩‍💻\nAda,Love\rlace\n',
    expected: [
      { line: 2, fields: { given_name: 'Zoë', family_name: 'Đặng 👩‍💻' } },
      { line: 3, fields: { given_name: 'Ada', family_name: 'Love\rlace' } },
    ],
  },
  {
    content: "Supabase's COPY ... CSV HEADER with JSON in a quoted cell",
    text:
      'id,email,encrypted_password,email_confirmed_at,raw_user_meta_data\n' +
      '0b0e5f5e-4a9c-4b7e-9d64-2f0a1c3e5d7f,ada@example.com,$2a$10$abcdefghijklmnopqrstuv,' +
      '2024-01-01 00:00:00+00,"{""full_name"": ""Ada Lovelace""}"\n' +
      '1c1f6a6f-5bad-4c8f-8e75-3a1b2d4f6e80,grace@example.com,,,\n',
    expected: [
      {
        line: 2,
        fields: {
          id: '0b0e5f5e-4a9c-4b7e-9d64-2f0a1c3e5d7f',
          email: 'ada@example.com',
          encrypted_password: '$2a$10$abcdefghijklmnopqrstuv',
          email_confirmed_at: '2024-01-01 00:00:00+00',
          raw_user_meta_data: '{"full_name": "Ada Lovelace"}',
        },
      },
      {
        line: 3,
        fields: {
          id: '1c1f6a6f-5bad-4c8f-8e75-3a1b2d4f6e80',
          email: 'grace@example.com',
          encrypted_password: '',
          email_confirmed_at: '',
          raw_user_meta_data: '',
        },
      },
    ],
  },
  {
    content: "Clerk's dashboard export",
    text:
      'id,first_name,last_name,primary_email_address,verified_email_addresses,password_digest,password_hasher\n' +
      'user_01,Alice,Johnson,alice@acme.com,alice@acme.com|a2@acme.com,$2a$10$fgPOubgdJs90F1GK2u.Qye,bcrypt\n',
    expected: [
      {
        line: 2,
        fields: {
          id: 'user_01',
          first_name: 'Alice',
          last_name: 'Johnson',
          primary_email_address: 'alice@acme.com',
          verified_email_addresses: 'alice@acme.com|a2@acme.com',
          password_digest: '$2a$10$fgPOubgdJs90F1GK2u.Qye',
          password_hasher: 'bcrypt',
        },
      },
    ],
  },
  {
    content: 'quotes a relaxed reader keeps as data (inside an unquoted cell, after a closed one)',
    text: 'a,b\nO"Brien,x\n"e"x,y\n',
    expected: [
      { line: 2, fields: { a: 'O"Brien', b: 'x' } },
      { line: 3, fields: { a: '"e"x', b: 'y' } },
    ],
  },
];

/** Auth0's CSV export: strings quoted and prefixed with `'`, other values bare. */
const auth0Csv =
  'user_id,email,email_verified,logins_count,name,nickname\n' +
  `"'auth0|abc","'ada@example.com",true,12,"'Ada ""The Countess"" Lovelace","'ada'"\n` +
  `"'google-oauth2|1","''quoted","false",'7,"'",""\n`;

describe('Function: readExportRecords() with the csv layout', () => {
  describe.each(deliveries)('delivered $delivery', ({ chunks }) => {
    it.each(contents)('reads $content, keyed by the header', async ({ text, expected }) => {
      // Act
      const records = await readAll(chunks(Buffer.from(text)));

      // Assess
      expect(records).toEqual(expected);
    });

    it("strips Auth0's formula prefix from quoted values only, when asked", async () => {
      // Act
      const records = await readAll(chunks(Buffer.from(auth0Csv)), { stripFormulaPrefix: true });

      // Assess
      expect(records).toEqual([
        {
          line: 2,
          fields: {
            user_id: 'auth0|abc',
            email: 'ada@example.com',
            email_verified: 'true',
            logins_count: '12',
            name: 'Ada "The Countess" Lovelace',
            nickname: "ada'",
          },
        },
        {
          line: 3,
          fields: {
            user_id: 'google-oauth2|1',
            email: "'quoted",
            email_verified: 'false',
            logins_count: "'7",
            name: '',
            nickname: '',
          },
        },
      ]);
    });

    it('leaves the prefix of every value alone when not asked', async () => {
      // Act
      const records = await readAll(chunks(Buffer.from(auth0Csv)));

      // Assess
      expect(records[0]?.fields).toMatchObject({ user_id: "'auth0|abc", nickname: "'ada'" });
      expect(records[1]?.fields).toMatchObject({ email: "''quoted", logins_count: "'7" });
    });

    it('yields a row with the wrong number of cells as csv_column_count, and goes on', async () => {
      // Prepare
      const text = 'id,email\n1,a@example.com\n2\n3,c@example.com,extra\n4,"d@example.com",\n5,e\n';

      // Act
      const records = await readAll(chunks(Buffer.from(text)));

      // Assess
      expect(records).toEqual([
        { line: 2, fields: { id: '1', email: 'a@example.com' } },
        { line: 3, unreadable: 'csv_column_count' },
        { line: 4, unreadable: 'csv_column_count' },
        { line: 5, unreadable: 'csv_column_count' },
        { line: 6, fields: { id: '5', email: 'e' } },
      ]);
    });

    it('yields the row of a quote left open at the end of the file as csv_unclosed_quote', async () => {
      // Prepare
      const text = 'id,note\n1,a\n2,"never closed\n3,c\n4,d\n';

      // Act
      const records = await readAll(chunks(Buffer.from(text)));

      // Assess
      expect(records).toEqual([
        { line: 2, fields: { id: '1', note: 'a' } },
        { line: 3, unreadable: 'csv_unclosed_quote' },
      ]);
    });

    it('yields a row longer than maxRecordBytes as record_too_long, and goes on', async () => {
      // Prepare: 16 bytes is the limit; line breaks do not count
      const text = [
        'id,v',
        `1,${'x'.repeat(15)}`, // 17 bytes
        `2,${'y'.repeat(14)}`, // 16 bytes, LF
        `3,"${'z'.repeat(6)}\n${'z'.repeat(6)}"`, // 17 bytes over two lines
        `4,${'w'.repeat(14)}\r`, // 16 bytes, CRLF
        '5,ok',
      ].join('\n');

      // Act
      const records = await readAll(chunks(Buffer.from(text)), { maxRecordBytes: 16 });

      // Assess
      expect(records).toEqual([
        { line: 2, unreadable: 'record_too_long' },
        { line: 3, fields: { id: '2', v: 'y'.repeat(14) } },
        { line: 4, unreadable: 'record_too_long' },
        { line: 6, fields: { id: '4', v: 'w'.repeat(14) } },
        { line: 7, fields: { id: '5', v: 'ok' } },
      ]);
    });

    it('yields a row that is not valid UTF-8 as invalid_utf8, never as U+FFFD', async () => {
      // Prepare
      const text = Buffer.concat([
        Buffer.from('id,name\n1,"Zo'),
        Buffer.from([0xeb]),
        Buffer.from('"\n2,Zoë\n'),
      ]);

      // Act
      const records = await readAll(chunks(text));

      // Assess
      expect(records).toEqual([
        { line: 2, unreadable: 'invalid_utf8' },
        { line: 3, fields: { id: '2', name: 'Zoë' } },
      ]);
    });

    it.each([
      { header: 'a repeated name', text: 'id,email,id\n1,a,2\n', problem: 'columns 1 and 3' },
      { header: 'a name repeated once trimmed', text: 'id, id\n1,2\n', problem: 'columns 1 and 2' },
      { header: 'an empty name', text: 'id,,email\n1,2,3\n', problem: 'column 2 has no name' },
      { header: 'a trailing comma', text: 'id,email,\n1,2,3\n', problem: 'column 3 has no name' },
      { header: 'a blank quoted name', text: 'id," "\n1,2\n', problem: 'column 2 has no name' },
      { header: 'a quote never closed', text: 'id,"email\n1,2\n', problem: 'never closed' },
      {
        header: 'bytes that are not UTF-8',
        text: Buffer.concat([Buffer.from('id,em'), Buffer.from([0xff]), Buffer.from('\n1,2\n')]),
        problem: 'not valid UTF-8',
      },
    ])('refuses the whole file when the header has $header', async ({ text, problem }) => {
      // Act
      const { records, error } = await readUntilFailure(
        chunks(Buffer.isBuffer(text) ? text : Buffer.from(text)),
      );

      // Assess
      expect(records).toEqual([]);
      expect(error).toBeInstanceOf(CsvHeaderError);
      expect((error as Error).message).toContain(problem);
    });

    it.each([
      { file: 'an empty file', text: '' },
      { file: 'blank lines only', text: '\n\r\n\n' },
      { file: 'a header alone', text: 'id,email\r\n' },
    ])('reads nothing from $file', async ({ text }) => {
      // Act
      const records = await readAll(chunks(Buffer.from(text)));

      // Assess
      expect(records).toEqual([]);
    });
  });

  it('refuses a header longer than maxRecordBytes, naming no column', async () => {
    // Prepare: a file without a header row: its first user's data would be the "names"
    const text = 'ada@example.com,Ada Lovelace,auth0|abc\n';

    // Act
    const { error } = await readUntilFailure([Buffer.from(text)], { maxRecordBytes: 10 });

    // Assess
    expect(error).toBeInstanceOf(CsvHeaderError);
    expect((error as Error).message).toContain('longer than');
  });

  it('names duplicate columns by number, never by their content', async () => {
    // Prepare: a file without a header row whose first row repeats a value
    const text = 'ada@example.com,ada@example.com\n';

    // Act
    const { error } = await readUntilFailure([Buffer.from(text)]);

    // Assess
    expect(error).toBeInstanceOf(CsvHeaderError);
    expect((error as Error).message).not.toContain('ada@example.com');
  });

  it('reads every row of a large file whatever the chunk sizes', async () => {
    // Prepare: boundaries at pseudo-random places, in quoted cells and multi-line rows too
    const rows = Array.from({ length: 3_000 }, (_, index) => ({
      id: String(index),
      note: index % 3 === 0 ? `line one\nline "two", é${index}` : `plain ${index}`,
    }));
    const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`;
    const text = `id,note\r\n${rows.map((row) => `${row.id},${quoted(row.note)}`).join('\r\n')}\r\n`;
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    let state = 5;
    for (let offset = 0; offset < bytes.length; ) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      const size = 1 + (state % 97);
      chunks.push(bytes.subarray(offset, offset + size));
      offset += size;
    }
    let line = 2;
    const expected = rows.map((fields) => {
      const record = { line, fields };
      line += fields.note.includes('\n') ? 2 : 1;
      return record;
    });

    // Act
    const records = await readAll(chunks);

    // Assess
    expect(records).toEqual(expected);
  });

  it('cuts the same rows as csv-parse reading the whole file, on random bytes', async () => {
    // Prepare: the framer cuts rows before csv-parse splits them into cells; both must agree
    // on where every row ends, quotes misplaced or not. Bytes from a small alphabet rich in
    // quotes and line breaks, in chunks of 1 to 5 bytes
    const alphabet = ['a', ',', '"', '"', '\n', '\r\n', '\r', "'", 'é', ' '];
    let state = 1;
    const random = (below: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state % below;
    };
    const cases = Array.from({ length: 2_000 }, () => {
      let body = '';
      for (let length = random(40); length > 0; length -= 1) body += alphabet[random(10)];
      // A CR ending the file reads as a line end here, as in the line reader, not as data.
      return `h1,h2\n${body}${body.endsWith('\r') ? 'a' : ''}`;
    });

    for (const text of cases) {
      let expected: unknown[];
      try {
        const rows = parse(text, {
          record_delimiter: ['\r\n', '\n'],
          relax_quotes: true,
          relax_column_count: true,
          skip_empty_lines: true,
        }).slice(1);
        expected = rows.map((row) => (row.length === 2 ? { h1: row[0], h2: row[1] } : 'count'));
      } catch {
        expected = ['unclosed'];
      }
      const bytes = Buffer.from(text);
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < bytes.length; ) {
        const size = 1 + random(5);
        chunks.push(bytes.subarray(offset, offset + size));
        offset += size;
      }

      // Act
      const records = await readAll(chunks);

      // Assess
      const read = records.map(({ fields, unreadable }) =>
        unreadable === 'csv_column_count' ? 'count' : (fields ?? unreadable),
      );
      expect(read.map((row) => (row === 'csv_unclosed_quote' ? 'unclosed' : row))).toEqual(
        expected[0] === 'unclosed' ? [...read.slice(0, -1), 'unclosed'] : expected,
      );
    }
  });

  it('skips a row far longer than maxRecordBytes without holding it, and goes on', async () => {
    // Prepare: 8 MiB inside quotes, line breaks included, in 64 KiB chunks against 1 KiB
    const huge = `"${'z\n'.repeat(4 * 1024 * 1024)}"`;
    const bytes = Buffer.from(`id,blob\n1,${huge}\n2,after\n`);

    // Act
    const records = await readAll(chunksOfSize(bytes, 64 * 1024), { maxRecordBytes: 1024 });

    // Assess
    expect(records).toEqual([
      { line: 2, unreadable: 'record_too_long' },
      { line: 2 + 4 * 1024 * 1024 + 1, fields: { id: '2', blob: 'after' } },
    ]);
  });

  it('keeps a column named __proto__ as a field', async () => {
    // Act
    const records = await readAll([Buffer.from('__proto__,a\nx,1\n')]);

    // Assess
    const fields = records[0]?.fields as Record<string, unknown>;
    expect(Object.keys(fields)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(fields.a).toBe('1');
  });

  describe('with a damaged gzip stream', () => {
    const rows = Array.from({ length: 20_000 }, (_, index) => `auth0|${index},user${index}@x.com`);
    const gzipped = gzipSync(Buffer.from(`user_id,email\n${rows.join('\n')}\n`));
    const cut = gzipped.subarray(0, Math.floor(gzipped.length * 0.6));
    // Everything zlib can inflate from the truncated file: its complete lines are the good part.
    const inflatable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString();
    const completeLines = inflatable.split('\n').length - 1;

    it.each([
      { chunking: 'in one chunk', chunks: () => [cut] },
      { chunking: 'in 4 KiB chunks', chunks: () => chunksOfSize(cut, 4096) },
    ])(
      'yields every row before a truncation ($chunking), then rejects with CorruptExportError',
      async ({ chunks }) => {
        // Act
        const { records, error } = await readUntilFailure(chunks());

        // Assess
        expect(completeLines).toBeGreaterThan(1000);
        expect(records).toHaveLength(completeLines - 1);
        expect(records.at(-1)).toEqual({
          line: completeLines,
          fields: {
            user_id: `auth0|${completeLines - 2}`,
            email: `user${completeLines - 2}@x.com`,
          },
        });
        expect(error).toBeInstanceOf(CorruptExportError);
        expect((error as CorruptExportError).afterLine).toBe(completeLines);
      },
      noHangTimeoutMs,
    );
  });
});
