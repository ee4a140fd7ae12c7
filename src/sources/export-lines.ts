import { createInterface } from 'node:readline';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One line of an export file, numbered from 1 as an editor shows it. */
export interface ExportLine {
  line: number;
  text: string;
  /**
   * Set when the line cannot be read as text at all (too long to hold, not valid UTF-8): the
   * splitter rejects it with this reason and the rest of the file goes on.
   */
  unreadable?: string;
}

const gzipMagic = [0x1f, 0x8b] as const;

/**
 * Streams the lines of an export, gzip-compressed or plain, without holding the file in memory.
 * Compression is recognised from the content (gzip's magic bytes), not the name: Auth0 serves
 * its NDJSON export gzip-compressed whatever the file is called. A UTF-8 byte order mark is
 * dropped and CRLF line endings are accepted.
 */
export async function* readExportLines(
  input: AsyncIterable<Uint8Array>,
): AsyncGenerator<ExportLine> {
  const lines = createInterface({
    input: await decompressIfGzipped(input),
    crlfDelay: Infinity,
  });
  let line = 0;
  for await (const raw of lines) {
    line += 1;
    const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    yield { line, text };
  }
}

async function decompressIfGzipped(input: AsyncIterable<Uint8Array>): Promise<Readable> {
  const head = peekable(input);
  const bytes = await head.firstBytes(gzipMagic.length);
  const raw = Readable.from(head.chunks());
  if (bytes[0] !== gzipMagic[0] || bytes[1] !== gzipMagic[1]) return raw;
  const gunzip = createGunzip();
  // pipeline() carries a read error of the source into the gunzip stream, and so to the reader.
  pipeline(raw, gunzip, () => {});
  return gunzip;
}

/** Lets the first bytes of a stream be inspected before the whole stream is consumed. */
function peekable(input: AsyncIterable<Uint8Array>) {
  const iterator = input[Symbol.asyncIterator]();
  const buffered: Buffer[] = [];
  let bufferedLength = 0;
  let ended = false;

  async function firstBytes(count: number): Promise<Buffer> {
    while (bufferedLength < count && !ended) {
      const next = await iterator.next();
      if (next.done) ended = true;
      else {
        const chunk = Buffer.from(next.value);
        buffered.push(chunk);
        bufferedLength += chunk.length;
      }
    }
    return Buffer.concat(buffered).subarray(0, count);
  }

  async function* chunks(): AsyncGenerator<Buffer> {
    await firstBytes(2);
    yield* buffered.splice(0);
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value);
    }
  }

  return { firstBytes, chunks };
}
