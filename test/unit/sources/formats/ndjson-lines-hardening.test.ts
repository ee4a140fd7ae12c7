import { once } from 'node:events';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { constants, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RecordOutcome } from '../../../../src/model/outcome.ts';
import { parseAuth0UserLine } from '../../../../src/sources/auth0/users.ts';
import { CorruptExportError } from '../../../../src/sources/formats/gzip.ts';
import {
  defaultMaxLineBytes,
  type ExportLine,
  type ReadExportLinesOptions,
  readExportLines,
} from '../../../../src/sources/formats/ndjson-lines.ts';
import { splitExport } from '../../../../src/split/split-export.ts';
import { releasableSource } from '../../../helpers/record-reading.ts';
import { linePass } from '../../../helpers/split-passes.ts';

/** A damaged input must reject within this, never hang the splitter. */
const noHangTimeoutMs = 5_000;

async function readAll(
  input: AsyncIterable<Uint8Array>,
  options?: ReadExportLinesOptions,
): Promise<ExportLine[]> {
  const lines: ExportLine[] = [];
  for await (const line of readExportLines(input, options)) lines.push(line);
  return lines;
}

/** Reads until the iteration fails; returns what came before and the failure. */
async function readUntilFailure(
  input: AsyncIterable<Uint8Array>,
): Promise<{ lines: ExportLine[]; error: unknown }> {
  const lines: ExportLine[] = [];
  try {
    for await (const line of readExportLines(input)) lines.push(line);
  } catch (error) {
    return { lines, error };
  }
  return { lines, error: undefined };
}

function oneBytePerChunk(bytes: Buffer): Buffer[] {
  return Array.from(bytes, (byte) => Buffer.from([byte]));
}

/** Chunks of pseudo-random sizes from 1 to 64 bytes, the same for the same seed. */
function randomChunks(bytes: Buffer, seed: number): Buffer[] {
  const chunks: Buffer[] = [];
  let state = seed;
  for (let offset = 0; offset < bytes.length; ) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const size = 1 + (state % 64);
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** How an export reaches the reader: the same content, stored and chunked differently. */
const encodings = [
  { encoding: 'plain text in one chunk', encode: (bytes: Buffer) => [bytes] },
  { encoding: 'plain text one byte per chunk', encode: oneBytePerChunk },
  { encoding: 'plain text in random chunks', encode: (bytes: Buffer) => randomChunks(bytes, 7) },
  { encoding: 'gzip in one chunk', encode: (bytes: Buffer) => [gzipSync(bytes)] },
  {
    encoding: 'gzip one byte per chunk',
    encode: (bytes: Buffer) => oneBytePerChunk(gzipSync(bytes)),
  },
];

const bytesOf = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))),
  );

describe('Function: readExportLines() hardening', () => {
  describe.each(encodings)('with $encoding', ({ encode }) => {
    it('yields a line longer than maxLineBytes as line_too_long and goes on with the next', async () => {
      // Prepare: 16 bytes is the limit; the second line has 17
      const input = bytesOf('{"a":1}\n', 'x'.repeat(17), '\n{"b":2}\n');

      // Act
      const lines = await readAll(Readable.from(encode(input)), { maxLineBytes: 16 });

      // Assess
      expect(lines).toEqual([
        { line: 1, text: '{"a":1}' },
        { line: 2, text: '', unreadable: 'line_too_long' },
        { line: 3, text: '{"b":2}' },
      ]);
    });

    it('reads a line of exactly maxLineBytes, with or without a CR before its LF', async () => {
      // Prepare
      const exact = 'y'.repeat(16);
      const input = bytesOf(exact, '\n', exact, '\r\n', exact);

      // Act
      const lines = await readAll(Readable.from(encode(input)), { maxLineBytes: 16 });

      // Assess
      expect(lines).toEqual([
        { line: 1, text: exact },
        { line: 2, text: exact },
        { line: 3, text: exact },
      ]);
    });

    it('yields an over-long last line without a trailing newline as line_too_long', async () => {
      // Prepare
      const input = bytesOf('{"a":1}\n', 'z'.repeat(40));

      // Act
      const lines = await readAll(Readable.from(encode(input)), { maxLineBytes: 16 });

      // Assess
      expect(lines).toEqual([
        { line: 1, text: '{"a":1}' },
        { line: 2, text: '', unreadable: 'line_too_long' },
      ]);
    });

    it('counts consecutive over-long lines one by one', async () => {
      // Prepare
      const long = 'w'.repeat(100);
      const input = bytesOf(long, '\n', long, '\r\n', long, '\n', 'ok\n');

      // Act
      const lines = await readAll(Readable.from(encode(input)), { maxLineBytes: 16 });

      // Assess
      expect(lines.map(({ line, unreadable }) => ({ line, unreadable }))).toEqual([
        { line: 1, unreadable: 'line_too_long' },
        { line: 2, unreadable: 'line_too_long' },
        { line: 3, unreadable: 'line_too_long' },
        { line: 4, unreadable: undefined },
      ]);
    });

    it.each([
      { bytes: 'a byte that never occurs in UTF-8 (0xFF)', invalid: [0xff] },
      { bytes: 'a lone continuation byte', invalid: [0x80] },
      { bytes: 'an overlong encoding of "/"', invalid: [0xc0, 0xaf] },
      { bytes: 'a UTF-16 surrogate encoded as UTF-8', invalid: [0xed, 0xa0, 0x80] },
      { bytes: 'a character cut short before the line end', invalid: [0xe2, 0x82] },
      { bytes: 'Latin-1 text ("Zoë" from a non-UTF-8 export)', invalid: [0x5a, 0x6f, 0xeb] },
    ])(
      'yields a line holding $bytes as invalid_utf8, and its neighbours intact',
      async ({ invalid }) => {
        // Prepare
        const input = bytesOf('{"given_name":"Zoë"}\n', '{"n":"', invalid, '"}\n', '{"b":2}\n');

        // Act
        const lines = await readAll(Readable.from(encode(input)));

        // Assess
        expect(lines).toEqual([
          { line: 1, text: '{"given_name":"Zoë"}' },
          { line: 2, text: '', unreadable: 'invalid_utf8' },
          { line: 3, text: '{"b":2}' },
        ]);
      },
    );

    it('keeps exact line numbers through a mix of every kind of line', async () => {
      // Prepare: what `sed -n 'Np'` shows as line N must be line N here
      const rows: (string | number[])[][] = [
        ['\uFEFF{"first":true}', '\r\n'],
        ['', '\n'],
        ['x'.repeat(64), '\n'],
        ['{"bad":"', [0xff], '"}', '\r\n'],
        ['   ', '\n'],
        ['{"emoji":"👩‍💻"}', '\n'],
        ['{"cr":"a\rb"}', '\n'],
        ['{"last":true}'],
      ];
      const input = bytesOf(...rows.flat());

      // Act
      const lines = await readAll(Readable.from(encode(input)), { maxLineBytes: 32 });

      // Assess
      expect(lines).toEqual([
        { line: 1, text: '{"first":true}' },
        { line: 2, text: '' },
        { line: 3, text: '', unreadable: 'line_too_long' },
        { line: 4, text: '', unreadable: 'invalid_utf8' },
        { line: 5, text: '   ' },
        { line: 6, text: '{"emoji":"👩‍💻"}' },
        { line: 7, text: '{"cr":"a\rb"}' },
        { line: 8, text: '{"last":true}' },
      ]);
    });
  });

  it.each([
    {
      case: 'one byte over the default 1 MiB limit',
      length: defaultMaxLineBytes + 1,
      readable: false,
    },
    { case: 'exactly the default 1 MiB limit', length: defaultMaxLineBytes, readable: true },
  ])('applies the default limit to a line of $case', async ({ length, readable }) => {
    // Prepare
    const input = bytesOf('a'.repeat(length), '\nnext\n');

    // Act
    const lines = await readAll(Readable.from(chunksOfSize(input, 64 * 1024)));

    // Assess
    expect(lines[0]?.unreadable).toBe(readable ? undefined : 'line_too_long');
    expect(lines[0]?.text.length).toBe(readable ? length : 0);
    expect(lines[1]).toEqual({ line: 2, text: 'next' });
  });

  it('skips a line longer than any string can hold (600 MiB) without holding it', async () => {
    // Prepare: a reader that kept the line whole would fail to decode it (V8 strings stop at
    // ~512 MiB) and would need 600 MiB; the same 1 MiB buffer is handed out again and again.
    const mebibyte = Buffer.alloc(1024 * 1024, 0x61);
    async function* hugeLine(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n');
      for (let index = 0; index < 600; index += 1) yield mebibyte;
      yield Buffer.from('\n{"b":2}\n');
    }

    // Act
    const lines = await readAll(hugeLine());

    // Assess
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '', unreadable: 'line_too_long' },
      { line: 3, text: '{"b":2}' },
    ]);
  });

  it('drops a byte order mark on line 1 only, even when line 1 is split across chunks', async () => {
    // Prepare
    const input = bytesOf([0xef], [0xbb, 0xbf, 0x7b], '"a":1}\n\uFEFF{"b":2}\n');
    const chunks = [input.subarray(0, 1), input.subarray(1, 3), input.subarray(3)];

    // Act
    const lines = await readAll(Readable.from(chunks));

    // Assess
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '\uFEFF{"b":2}' },
    ]);
  });

  it('ends lines at LF only: a lone CR is data, as in NDJSON', async () => {
    // Prepare: readline ended a line at a lone CR, which shifted every later line number
    const input = Buffer.from('{"a":1}\r{"still":"line 1"}\n{"b":2}\r\r\n{"c":3}\r');

    // Act
    const lines = await readAll(Readable.from([input]));

    // Assess
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}\r{"still":"line 1"}' },
      { line: 2, text: '{"b":2}\r' },
      { line: 3, text: '{"c":3}' },
    ]);
  });

  it.each([1, 2, 3, 4])(
    'reads the same lines whatever the chunking (random chunks, seed %i)',
    async (seed) => {
      // Prepare
      const text = Array.from({ length: 300 }, (_, index) =>
        index % 17 === 0 ? 'é'.repeat(index) : `{"user_id":"auth0|${index}","n":"Đặng ${index}"}`,
      ).join('\r\n');
      const input = Buffer.from(text);

      // Act
      const whole = await readAll(Readable.from([input]), { maxLineBytes: 200 });
      const chunked = await readAll(Readable.from(randomChunks(input, seed)), {
        maxLineBytes: 200,
      });

      // Assess
      expect(chunked).toEqual(whole);
      expect(whole).toHaveLength(300);
      expect(whole.filter((line) => line.unreadable === 'line_too_long').length).toBeGreaterThan(0);
    },
  );

  it('reads every line of concatenated gzip members, numbered straight through', async () => {
    // Prepare: `cat a.gz b.gz` is a valid gzip file
    const input = Buffer.concat([gzipSync('{"a":1}\n{"b":2}\n'), gzipSync('{"c":3}\n')]);

    // Act
    const lines = await readAll(Readable.from([input]));

    // Assess
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '{"b":2}' },
      { line: 3, text: '{"c":3}' },
    ]);
  });

  it('makes the splitter reject each unreadable line with its reason at its line number', async () => {
    // Prepare
    const rejected: RecordOutcome[] = [];
    const enqueued: number[] = [];
    const input = bytesOf(
      `${JSON.stringify({ user_id: 'auth0|1', email: 'one@example.com' })}\n`,
      `{"user_id":"auth0|2","email":"${'x'.repeat(64)}@example.com"}\n`,
      '{"user_id":"auth0|3","email":"th',
      [0xff],
      'ree@example.com"}\n',
      `${JSON.stringify({ user_id: 'auth0|4', email: 'four@example.com' })}\n`,
    );

    // Act
    await splitExport(
      {
        jobId: 'job',
        passes: [
          linePass({
            sourceFile: 'users.json',
            lines: readExportLines(Readable.from([gzipSync(input)]), { maxLineBytes: 64 }),
            parseLine: parseAuth0UserLine,
          }),
        ],
      },
      {
        sink: {
          enqueue: async (message) => {
            enqueued.push(message.origin.line);
          },
          flush: async () => undefined,
        },
        ledger: {
          recordOutcome: async () => 'recorded' as const,
          checkpointSplit: async () => undefined,
          completeSplit: async () => undefined,
        },
        logger: {
          debug: () => undefined,
          info: () => undefined,
          warn: () => undefined,
          error: () => undefined,
        },
        onRejected: (outcome) => rejected.push(outcome),
      },
    );

    // Assess
    expect(enqueued).toEqual([1, 4]);
    expect(rejected.map(({ origin, reason }) => ({ line: origin.line, reason }))).toEqual([
      { line: 2, reason: 'line_too_long' },
      { line: 3, reason: 'invalid_utf8' },
    ]);
  });

  it('rejects a maxLineBytes that is not a positive whole number', () => {
    // Act / Assess
    for (const maxLineBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => readExportLines(Readable.from([]), { maxLineBytes })).toThrow(RangeError);
    }
  });

  describe('with a damaged gzip stream', () => {
    const records = Array.from(
      { length: 20_000 },
      (_, index) => `{"user_id":"auth0|${index}","email":"user${index}@example.com"}`,
    );
    const original = Buffer.from(`${records.join('\n')}\n`);
    const gzipped = gzipSync(original);
    const cut = gzipped.subarray(0, Math.floor(gzipped.length * 0.6));
    // Everything zlib can inflate from the truncated file: its complete lines are the good part.
    const inflatable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString();
    const completeLinesBeforeCut = inflatable.split('\n').length - 1;

    it.each([
      { chunking: 'in one chunk', chunks: () => [cut] },
      { chunking: 'in 4 KiB chunks', chunks: () => chunksOfSize(cut, 4096) },
    ])(
      'yields every complete line before a truncation ($chunking), then rejects with CorruptExportError',
      async ({ chunks }) => {
        // Act
        const { lines, error } = await readUntilFailure(Readable.from(chunks()));

        // Assess
        expect(completeLinesBeforeCut).toBeGreaterThan(1000);
        expect(lines).toHaveLength(completeLinesBeforeCut);
        expect(lines.every((line, index) => line.line === index + 1)).toBe(true);
        expect(lines.at(-1)?.text).toBe(records[completeLinesBeforeCut - 1]);
        expect(error).toBeInstanceOf(CorruptExportError);
        expect((error as CorruptExportError).afterLine).toBe(completeLinesBeforeCut);
        expect((error as Error).message).toContain(`after line ${completeLinesBeforeCut}`);
      },
      noHangTimeoutMs,
    );

    it(
      'yields only correct lines before a corrupt block, then rejects with CorruptExportError',
      async () => {
        // Prepare: a full flush ends a deflate block on a byte boundary; the next byte is made
        // a block header of the reserved type 3, which zlib refuses the moment it reads it
        const { bytes, boundary } = await gzipWithBlockBoundary(
          original.subarray(0, original.length / 2),
          original.subarray(original.length / 2),
        );
        bytes[boundary] = 0b110;
        const linesBeforeDamage =
          original
            .subarray(0, original.length / 2)
            .toString()
            .split('\n').length - 1;

        // Act
        const { lines, error } = await readUntilFailure(Readable.from([bytes]));

        // Assess: zlib reports the damage instead of its last output buffer (64 KiB), so the
        // lines right before the damage may be missing, never wrong or renumbered
        expect(error).toBeInstanceOf(CorruptExportError);
        expect((error as CorruptExportError).afterLine).toBe(lines.length);
        expect(lines.length).toBeGreaterThan(linesBeforeDamage - (64 * 1024) / 40);
        expect(lines.length).toBeLessThanOrEqual(linesBeforeDamage);
        expect(lines.every((line, index) => line.line === index + 1)).toBe(true);
        expect(lines.every((line) => line.text === records[line.line - 1])).toBe(true);
      },
      noHangTimeoutMs,
    );

    it(
      'rejects a stream that goes on with bytes that are not deflate data, numbering what it yields exactly',
      async () => {
        // Prepare: whether such bytes inflate to garbage for a while depends on the bits; all
        // that is certain is that the stream cannot end well
        const corrupt = Buffer.concat([cut, Buffer.alloc(4096, 0xff)]);

        // Act
        const { lines, error } = await readUntilFailure(Readable.from([corrupt]));

        // Assess
        expect(error).toBeInstanceOf(CorruptExportError);
        expect(lines.every((line, index) => line.line === index + 1)).toBe(true);
      },
      noHangTimeoutMs,
    );

    it(
      'rejects a gzip member followed by data that is not gzip',
      async () => {
        // Prepare
        const input = Buffer.concat([gzipSync('{"a":1}\n'), Buffer.from('not gzip at all')]);

        // Act
        const { error } = await readUntilFailure(Readable.from([input]));

        // Assess
        expect(error).toBeInstanceOf(CorruptExportError);
      },
      noHangTimeoutMs,
    );
  });

  describe.each([
    { format: 'plain', content: (text: string) => Buffer.from(text) },
    { format: 'gzip', content: (text: string) => gzipSync(text) },
  ])('when the consumer stops early ($format)', ({ content }) => {
    it('releases the source', async () => {
      // Prepare
      const source = releasableSource(content('{"a":1}\n'.repeat(10_000)));

      // Act
      for await (const line of readExportLines(source.chunks)) {
        if (line.line === 3) break;
      }
      await nextTurn();

      // Assess
      expect(source.released()).toBe(true);
    });
  });
});

/** Gzips `first` then `second` with a full flush between them; `boundary` is where `second` starts. */
async function gzipWithBlockBoundary(
  first: Buffer,
  second: Buffer,
): Promise<{ bytes: Buffer; boundary: number }> {
  const gzip = createGzip();
  const output: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => output.push(chunk));
  gzip.write(first);
  await new Promise<void>((resolve) => gzip.flush(constants.Z_FULL_FLUSH, () => resolve()));
  const boundary = Buffer.concat(output).length;
  const ended = once(gzip, 'end');
  gzip.end(second);
  await ended;
  return { bytes: Buffer.concat(output), boundary };
}

function chunksOfSize(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    chunks.push(bytes.subarray(offset, offset + size));
  }
  return chunks;
}
