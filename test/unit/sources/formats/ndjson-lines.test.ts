import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ExportLine, readExportLines } from '../../../../src/sources/formats/ndjson-lines.ts';

/** A corrupt or truncated input must reject within this, never hang the splitter. */
const noHangTimeoutMs = 2_000;

async function readAll(input: AsyncIterable<Uint8Array>): Promise<ExportLine[]> {
  const lines: ExportLine[] = [];
  for await (const line of readExportLines(input)) lines.push(line);
  return lines;
}

function oneBytePerChunk(bytes: Buffer): Buffer[] {
  return Array.from(bytes, (byte) => Buffer.from([byte]));
}

/** How an export reaches the reader: the same content, stored and chunked differently. */
const encodings = [
  { encoding: 'plain text in one chunk', encode: (bytes: Buffer) => [bytes] },
  { encoding: 'plain text one byte per chunk', encode: oneBytePerChunk },
  { encoding: 'gzip in one chunk', encode: (bytes: Buffer) => [gzipSync(bytes)] },
  {
    encoding: 'gzip one byte per chunk (the magic-byte peek crosses chunks)',
    encode: (bytes: Buffer) => oneBytePerChunk(gzipSync(bytes)),
  },
];

const contents = [
  {
    content: 'LF line endings with a trailing newline',
    text: '{"a":1}\n{"b":2}\n',
    expected: ['{"a":1}', '{"b":2}'],
  },
  {
    content: 'no trailing newline',
    text: '{"a":1}\n{"b":2}',
    expected: ['{"a":1}', '{"b":2}'],
  },
  {
    content: 'CRLF line endings',
    text: '{"a":1}\r\n{"b":2}\r\n',
    expected: ['{"a":1}', '{"b":2}'],
  },
  {
    content: 'a UTF-8 byte order mark',
    text: '\uFEFF{"a":1}\n{"b":2}\n',
    expected: ['{"a":1}', '{"b":2}'],
  },
  {
    content: 'a byte order mark and CRLF without a trailing newline',
    text: '\uFEFF{"a":1}\r\n{"b":2}',
    expected: ['{"a":1}', '{"b":2}'],
  },
  {
    content: 'blank lines, which keep their numbers',
    text: '{"a":1}\n\n   \n{"b":2}\n',
    expected: ['{"a":1}', '', '   ', '{"b":2}'],
  },
  {
    content: 'multi-byte characters',
    text: '{"given_name":"Zoë"}\n{"family_name":"Đặng 👩‍💻"}\n',
    expected: ['{"given_name":"Zoë"}', '{"family_name":"Đặng 👩‍💻"}'],
  },
];

describe('Function: readExportLines()', () => {
  describe.each(encodings)('with $encoding', ({ encode }) => {
    it.each(contents)('reads $content, numbering lines from 1', async ({ text, expected }) => {
      // Prepare
      const input = Readable.from(encode(Buffer.from(text, 'utf8')));

      // Act
      const lines = await readAll(input);

      // Assess
      expect(lines).toEqual(
        expected.map((lineText, index) => ({ line: index + 1, text: lineText })),
      );
    });
  });

  it('reads nothing from an empty input', async () => {
    // Prepare
    const input = Readable.from([]);

    // Act
    const lines = await readAll(input);

    // Assess
    expect(lines).toEqual([]);
  });

  it('reads nothing from an empty gzip file', async () => {
    // Prepare
    const input = Readable.from([gzipSync(Buffer.alloc(0))]);

    // Act
    const lines = await readAll(input);

    // Assess
    expect(lines).toEqual([]);
  });

  it('keeps a byte order mark that is not at the start of the file', async () => {
    // Prepare
    const input = Readable.from([Buffer.from('first\n\uFEFFsecond\n', 'utf8')]);

    // Act
    const lines = await readAll(input);

    // Assess
    expect(lines).toEqual([
      { line: 1, text: 'first' },
      { line: 2, text: '\uFEFFsecond' },
    ]);
  });

  it('reads a CRLF split across a slow chunk boundary as one line end', async () => {
    // Prepare: S3 can stall between chunks for longer than readline's default 100 ms CRLF delay
    async function* stallingSource(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\r');
      await new Promise((resolve) => setTimeout(resolve, 150));
      yield Buffer.from('\n{"b":2}\r\n');
    }

    // Act
    const lines = await readAll(stallingSource());

    // Assess
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '{"b":2}' },
    ]);
  });

  it.each([
    { variant: "a one-byte file holding gzip's first magic byte", text: '\u001f' },
    { variant: "a file whose second byte is gzip's second magic byte", text: 'ċ' },
  ])('reads $variant as plain text', async ({ text }) => {
    // Prepare
    const input = Readable.from([Buffer.from(text, 'utf8')]);

    // Act
    const lines = await readAll(input);

    // Assess
    expect(lines).toEqual([{ line: 1, text }]);
  });

  it('reads every line of a large gzip export, in order', async () => {
    // Prepare
    const records = Array.from({ length: 5_000 }, (_, index) => `{"user_id":"auth0|${index}"}`);
    const input = Readable.from([gzipSync(Buffer.from(`${records.join('\n')}\n`))]);

    // Act
    const lines = await readAll(input);

    // Assess
    expect(lines).toHaveLength(5_000);
    expect(lines.at(-1)).toEqual({ line: 5_000, text: '{"user_id":"auth0|4999"}' });
  });

  describe.each([
    {
      corruption: 'a truncated gzip file',
      input: () => {
        const gzipped = gzipSync(Buffer.from('{"user_id":"auth0|1"}\n'.repeat(200)));
        return [gzipped.subarray(0, gzipped.length - 12)];
      },
    },
    {
      corruption: 'a truncated gzip file read one byte at a time',
      input: () => {
        const gzipped = gzipSync(Buffer.from('{"user_id":"auth0|1"}\n'.repeat(20)));
        return oneBytePerChunk(gzipped.subarray(0, gzipped.length - 12));
      },
    },
    {
      corruption: 'gzip magic bytes followed by garbage',
      input: () => [
        Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02]),
      ],
    },
    {
      corruption: 'a gzip file cut off right after its magic bytes',
      input: () => [Buffer.from([0x1f, 0x8b])],
    },
  ])('with $corruption', ({ input }) => {
    it(
      'rejects the iteration with an error instead of hanging',
      async () => {
        // Prepare
        const source = Readable.from(input());

        // Act
        const reading = readAll(source);

        // Assess
        await expect(reading).rejects.toThrow(Error);
      },
      noHangTimeoutMs,
    );
  });

  describe.each([
    { format: 'plain', firstChunk: Buffer.from('{"a":1}\n{"b":2}\n') },
    { format: 'gzip', firstChunk: gzipSync(Buffer.from('{"a":1}\n{"b":2}\n')).subarray(0, 12) },
  ])('when the $format source fails while being read', ({ firstChunk }) => {
    it(
      'rejects the iteration with the source error',
      async () => {
        // Prepare
        async function* failingSource(): AsyncGenerator<Buffer> {
          yield firstChunk;
          throw new Error('S3 stream reset');
        }

        // Act
        const reading = readAll(failingSource());

        // Assess
        await expect(reading).rejects.toThrow('S3 stream reset');
      },
      noHangTimeoutMs,
    );
  });
});
