import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  detectRecordLayout,
  type ReadExportRecordsOptions,
  type RecordLayout,
  readExportHead,
  readExportRecordBatches,
  readExportRecords,
} from '../../../../src/sources/formats/export-records.ts';
import { CorruptExportError } from '../../../../src/sources/formats/gzip.ts';
import type { ExportRecord } from '../../../../src/sources/parsed-record.ts';
import {
  chunksOfSize,
  deliveries,
  noHangTimeoutMs,
  releasableSource,
} from '../../../helpers/record-reading.ts';

async function readAll(
  input: AsyncIterable<Uint8Array>,
  options: ReadExportRecordsOptions,
): Promise<ExportRecord[]> {
  const records: ExportRecord[] = [];
  for await (const record of readExportRecords(input, options)) records.push(record);
  return records;
}

describe('Function: readExportRecords() with the ndjson layout', () => {
  describe.each(deliveries)('delivered $delivery', ({ chunks }) => {
    it('yields one record per JSON object line, numbered as the line reader numbers them', async () => {
      // Prepare
      const text = '\uFEFF{"a":1}\r\n\n   \n[1,2]\n"s"\nnull\n{"b":\nnot json\n{"c":"Zoë"}';

      // Act
      const records = await readAll(Readable.from(chunks(Buffer.from(text))), {
        layout: 'ndjson',
      });

      // Assess
      expect(records).toEqual([
        { line: 1, fields: { a: 1 } },
        { line: 4, unreadable: 'not_an_object' },
        { line: 5, unreadable: 'not_an_object' },
        { line: 6, unreadable: 'not_an_object' },
        { line: 7, unreadable: 'invalid_json' },
        { line: 8, unreadable: 'invalid_json' },
        { line: 9, fields: { c: 'Zoë' } },
      ]);
    });

    it("passes the line reader's own verdicts through", async () => {
      // Prepare: 16 bytes is the limit
      const text = Buffer.concat([
        Buffer.from(`{"a":1}\n{"long":"${'x'.repeat(20)}"}\n{"b":"`),
        Buffer.from([0xff]),
        Buffer.from('"}\n{"c":3}\n'),
      ]);

      // Act
      const records = await readAll(Readable.from(chunks(text)), {
        layout: 'ndjson',
        maxRecordBytes: 16,
      });

      // Assess
      expect(records).toEqual([
        { line: 1, fields: { a: 1 } },
        { line: 2, unreadable: 'line_too_long' },
        { line: 3, unreadable: 'invalid_utf8' },
        { line: 4, fields: { c: 3 } },
      ]);
    });
  });
});

describe('Function: readExportRecordBatches()', () => {
  const text = Array.from({ length: 2_000 }, (_, index) =>
    index % 97 === 0 ? '{"broken":' : JSON.stringify({ n: index, name: 'Zoë' }),
  ).join('\r\n');

  it.each(deliveries.filter(({ delivery }) => !delivery.includes('1-byte')))(
    'yields the records readExportRecords yields, in batches, delivered $delivery',
    async ({ chunks }) => {
      const batches: ExportRecord[][] = [];
      for await (const batch of readExportRecordBatches(Readable.from(chunks(Buffer.from(text))), {
        layout: 'ndjson',
      })) {
        batches.push(batch);
      }

      const records = await readAll(Readable.from(chunks(Buffer.from(text))), { layout: 'ndjson' });
      expect(batches.flat()).toEqual(records);
      expect(batches.every((batch) => batch.length > 0)).toBe(true);
    },
  );

  it('hands out the records before a damaged gzip stream, then the damage', async () => {
    const gzip = gzipSync(Buffer.from(text));
    const truncated = gzip.subarray(0, Math.floor(gzip.length / 2));
    const records: ExportRecord[] = [];

    const reading = (async () => {
      for await (const batch of readExportRecordBatches(Readable.from([truncated]), {
        layout: 'ndjson',
      })) {
        records.push(...batch);
      }
    })();

    await expect(reading).rejects.toBeInstanceOf(CorruptExportError);
    const readBefore = await readAll(Readable.from([gzipSync(Buffer.from(text))]), {
      layout: 'ndjson',
    });
    expect(records.length).toBeGreaterThan(0);
    expect(records).toEqual(readBefore.slice(0, records.length));
  });

  it('comes one record per batch for the layouts whose records span lines', async () => {
    const batches: ExportRecord[][] = [];
    for await (const batch of readExportRecordBatches(
      Readable.from([Buffer.from('a,b\n1,2\n3,4\n')]),
      {
        layout: 'csv',
      },
    )) {
      batches.push(batch);
    }

    expect(batches.map((batch) => batch.length)).toEqual([1, 1]);
  });
});

describe('Function: readExportRecords() with skipLine', () => {
  it('leaves out the lines the caller settles elsewhere, without parsing them', async () => {
    const input = Buffer.from('{"a":1}\n{ not json\n{"b":2}\n\n{"c":3}\n');
    const parsed: number[] = [];

    const records = await readAll(Readable.from([input]), {
      layout: 'ndjson',
      skipLine: (line) => {
        parsed.push(line);
        return line === 2 || line === 3;
      },
    });

    // Line 2 is not JSON, but skipped it is never looked at; blank line 4 still yields nothing.
    expect(records).toEqual([
      { line: 1, fields: { a: 1 } },
      { line: 5, fields: { c: 3 } },
    ]);
  });
});

describe('Function: readExportRecords()', () => {
  it.each([0, -1, 1.5, Number.NaN])('refuses maxRecordBytes %s', (maxRecordBytes) => {
    // Act
    const reading = () => readExportRecords(Readable.from([]), { layout: 'csv', maxRecordBytes });

    // Assess
    expect(reading).toThrow(RangeError);
  });

  it('refuses an unknown layout', () => {
    // Act
    const reading = () =>
      readExportRecords(Readable.from([]), { layout: 'xml' as unknown as RecordLayout });

    // Assess
    expect(reading).toThrow('Unknown record layout');
  });

  const files = [
    { layout: 'ndjson', text: '{"a":1}\n'.repeat(10_000) },
    { layout: 'json-array', text: `[${Array(10_000).fill('{"a":1}').join(',')}]` },
    { layout: 'csv', text: `a\n${'1\n'.repeat(10_000)}` },
  ] as const;

  describe.each(
    files.flatMap((file) => [
      { ...file, format: 'plain', content: (text: string) => Buffer.from(text) },
      { ...file, format: 'gzip', content: (text: string) => gzipSync(text) },
    ]),
  )('with the $layout layout ($format)', ({ layout, text, content }) => {
    it('releases the source when the consumer stops early', async () => {
      // Prepare
      const source = releasableSource(content(text));

      // Act
      let read = 0;
      for await (const _ of readExportRecords(source.chunks, { layout })) {
        read += 1;
        if (read === 3) break;
      }
      await nextTurn();

      // Assess
      expect(source.released()).toBe(true);
    });

    it(
      'rejects with the source error, not as a damaged file, when the source fails',
      async () => {
        // Prepare
        const bytes = content(text);
        async function* failingSource(): AsyncGenerator<Buffer> {
          yield bytes.subarray(0, 200);
          throw new Error('S3 stream reset');
        }

        // Act
        const reading = readAll(failingSource(), { layout });

        // Assess
        await expect(reading).rejects.toThrow('S3 stream reset');
      },
      noHangTimeoutMs,
    );
  });

  describe.each([
    { layout: 'json-array' as const, text: '[{"a":1},{"b":2}]' },
    { layout: 'csv' as const, text: 'a,b\n1,2\n3,4\n' },
  ])('with the $layout layout', ({ layout, text }) => {
    it.each([
      {
        corruption: 'gzip magic bytes followed by garbage',
        input: () => [Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01])],
      },
      {
        corruption: 'a gzip file cut off right after its magic bytes',
        input: () => [Buffer.from([0x1f, 0x8b])],
      },
      {
        corruption: 'a gzip member followed by data that is not gzip',
        input: () => [Buffer.concat([gzipSync(text), Buffer.from('not gzip at all')])],
      },
      {
        corruption: 'a truncated gzip file read one byte at a time',
        input: () => {
          const gzipped = gzipSync(text);
          return chunksOfSize(gzipped.subarray(0, gzipped.length - 4), 1);
        },
      },
    ])(
      'rejects $corruption with CorruptExportError',
      async ({ input }) => {
        // Act
        const reading = readAll(Readable.from(input()), { layout });

        // Assess
        await expect(reading).rejects.toBeInstanceOf(CorruptExportError);
      },
      noHangTimeoutMs,
    );
  });
});

describe('Function: detectRecordLayout()', () => {
  it.each([
    { head: '[{"localId":"uid_01"}]', layout: 'json-array' },
    { head: '\uFEFF\r\n  [\n  {\n    "id": "org_1"', layout: 'json-array' },
    { head: '{"users": [ {"localId":"uid_01",', layout: 'json-array' },
    { head: '{\n  "Users": [\n    {\n      "Username": "22704aa3"', layout: 'json-array' },
    { head: '{"members":[{"user_id":"auth0|1"}],"next":"x"}', layout: 'json-array' },
    { head: '{\n  "next": "x",\n  "members": [\n    {', layout: 'json-array' },
    {
      head: `{"next":"x","members":[{"user_id":"auth0|1","blob":"${'b'.repeat(100)}`,
      layout: 'json-array',
    },
    {
      head: '{"user_id":"auth0|1","identities":[{"provider":"auth0"}]}\n{"user_id":"auth0|2"',
      layout: 'ndjson',
    },
    { head: '\n{"user_id":"auth0|1","email":"a@example.com"}', layout: 'ndjson' },
    { head: '{"user_id":"auth0|1","email":"a@exa', layout: 'ndjson' },
    {
      head: `{"user_id":"auth0|1","identities":[{"provider":"auth0"}],"m":"${'m'.repeat(100)}`,
      layout: 'ndjson',
    },
    { head: '{"a":"a string with [ and \\" and {","b":1}\n', layout: 'ndjson' },
    { head: 'user_id,email\n"\'auth0|1","\'a@example.com"\n', layout: 'csv' },
    { head: '\uFEFFid,first_name,last_name\r\n', layout: 'csv' },
    { head: '"email","first_name"\n', layout: 'csv' },
    { head: '{\n  "user_id": "auth0|1",\n  "email": "a@example.com"\n}\n', layout: undefined },
    { head: '', layout: undefined },
    { head: ' \r\n\t', layout: undefined },
  ])('reads $head as $layout', ({ head, layout }) => {
    // Act
    const detected = detectRecordLayout(head);

    // Assess
    expect(detected).toBe(layout);
  });
});

describe('Function: readExportHead()', () => {
  const text = `{"users":[${Array(2_000).fill('{"localId":"uid_01","email":"a@example.com"}').join(',')}]}`;

  it.each([
    { format: 'plain', chunks: () => chunksOfSize(Buffer.from(text), 7) },
    { format: 'gzip', chunks: () => chunksOfSize(gzipSync(text), 7) },
  ])('reads the first bytes of a $format export as text', async ({ chunks }) => {
    // Act
    const head = await readExportHead(Readable.from(chunks()), 1000);

    // Assess
    expect(head).toBe(text.slice(0, 1000));
  });

  it('reads a file shorter than the head whole', async () => {
    // Act
    const head = await readExportHead(Readable.from([gzipSync('a,b\n1,2\n')]));

    // Assess
    expect(head).toBe('a,b\n1,2\n');
  });

  it('releases the source once it has the head', async () => {
    // Prepare
    let released = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        for (;;) yield Buffer.from('{"a":1}\n');
      } finally {
        released = true;
      }
    }

    // Act
    await readExportHead(source(), 64);
    await nextTurn();

    // Assess
    expect(released).toBe(true);
  });

  it('returns what inflated before a damage in the gzip stream', async () => {
    // Prepare
    const gzipped = gzipSync(text);

    // Act
    const cut = gzipped.subarray(0, Math.floor(gzipped.length / 2));
    const head = await readExportHead(Readable.from([cut]), 1024 * 1024);

    // Assess
    expect(head.length).toBeGreaterThan(0);
    expect(head.length).toBeLessThan(text.length);
    expect(text.startsWith(head)).toBe(true);
  });

  it('rejects with the source error when the source fails', async () => {
    // Prepare
    async function* failingSource(): AsyncGenerator<Buffer> {
      yield Buffer.from('[');
      throw new Error('S3 stream reset');
    }

    // Act
    const reading = readExportHead(failingSource(), 1000);

    // Assess
    await expect(reading).rejects.toThrow('S3 stream reset');
  });
});
