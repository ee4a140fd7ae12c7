import { isUtf8 } from 'node:buffer';
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

/** Why a line could not be read; each becomes the reason of the record's rejection. */
export const unreadableReasons = {
  /** Longer than `maxLineBytes`: skipped without being held in memory. */
  lineTooLong: 'line_too_long',
  /** Not valid UTF-8: an export in another encoding, or a damaged file. */
  invalidUtf8: 'invalid_utf8',
} as const;

export interface ReadExportLinesOptions {
  /**
   * The longest line read, in bytes as stored (a CRLF's CR not counted). A longer line is never
   * held whole: the reader skips to its end and yields it as `line_too_long`. Default 1 MiB:
   * an Auth0 user record is a few KiB, so a longer line is most likely damage (records run
   * together without a newline), and one bad line must not take the splitter's memory with it.
   */
  maxLineBytes?: number;
}

export const defaultMaxLineBytes = 1024 * 1024;

/**
 * The export's gzip stream is damaged (truncated, corrupt, or followed by data that is not
 * gzip). The lines before the damage have been yielded; `afterLine` is the last one. Retrying
 * reads the same bytes, so the file must be exported or uploaded again.
 */
export class CorruptExportError extends Error {
  readonly afterLine: number;

  constructor(afterLine: number, options: { cause: unknown }) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `The export is not a complete gzip file: decompression failed after line ${afterLine} (${detail}). Export or upload it again.`,
      options,
    );
    this.name = 'CorruptExportError';
    this.afterLine = afterLine;
  }
}

const tooLong = unreadableReasons.lineTooLong;
const newline = 0x0a;
const carriageReturn = 0x0d;
const gzipMagic = [0x1f, 0x8b] as const;
const byteOrderMark = [0xef, 0xbb, 0xbf] as const;

/**
 * Streams the lines of an export, gzip-compressed or plain, without holding the file in memory.
 * Compression is recognised from the content (gzip's magic bytes), not the name: Auth0 serves
 * its NDJSON export gzip-compressed whatever the file is called.
 *
 * Lines end at LF; a CR before it is dropped (CRLF files), a lone CR is kept as data, as NDJSON
 * says. A UTF-8 byte order mark on line 1 is dropped. Line numbers count every LF, so they match
 * what `sed -n 'Np'`, `wc -l` and editors show, whatever happens to a line:
 * - longer than `maxLineBytes`: skipped, yielded with `unreadable: 'line_too_long'`;
 * - not valid UTF-8: yielded with `unreadable: 'invalid_utf8'` (never decoded with U+FFFD, which
 *   would import a silently different email or name);
 * - a damaged gzip stream: the lines before the damage are yielded, then the iteration rejects
 *   with a `CorruptExportError`. An incomplete last line is dropped with the damage.
 *
 * Hand-written instead of `readline`, which holds a line of any length in memory, decodes
 * invalid UTF-8 into U+FFFD without saying so, ends lines at a lone CR, and queues up to 1,024
 * decoded lines: long enough for the GC to promote them, which made the splitter's heap grow
 * with the file (83 MB peak at 1M users, against a flat 20 MB here).
 */
export function readExportLines(
  input: AsyncIterable<Uint8Array>,
  options: ReadExportLinesOptions = {},
): ExportLineStream {
  const maxLineBytes = options.maxLineBytes ?? defaultMaxLineBytes;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(`maxLineBytes must be a positive whole number; got ${maxLineBytes}`);
  }
  return new ExportLineReader(decompressedChunks(input), maxLineBytes);
}

const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * An async iterator over items read in batches: `nextBatch` gives the next batch (never empty)
 * or `undefined` at the end, and `next` hands the current batch out item by item. A subclass
 * reads the batches (`readBatch`); `next` then costs a promise per batch, not per item.
 */
export abstract class BatchReader<T> implements AsyncIterableIterator<T> {
  /** The last batch, while `next()` hands it out item by item. */
  #batch: T[] = [];
  #handedOut = 0;

  /** The next batch from the source: never empty; `undefined` at the end. */
  protected abstract readBatch(): Promise<T[] | undefined>;

  /** Lets the source go when the caller stops early. */
  protected abstract release(): Promise<void>;

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.#handedOut >= this.#batch.length) {
      const batch = await this.readBatch();
      if (batch === undefined) return finished;
      this.#batch = batch;
      this.#handedOut = 0;
    }
    const item = this.#batch[this.#handedOut++] as T;
    return { done: false, value: item };
  }

  /** What is left of the batch `next` was handing out, else the next batch. */
  async nextBatch(): Promise<T[] | undefined> {
    if (this.#handedOut < this.#batch.length) {
      const rest = this.#batch.slice(this.#handedOut);
      this.#batch = [];
      this.#handedOut = 0;
      return rest;
    }
    return this.readBatch();
  }

  async return(): Promise<IteratorResult<T>> {
    this.#batch = [];
    await this.release();
    return finished;
  }
}

/** The lines of an export, one at a time, or a chunk's worth at a time (`nextBatch`). */
export type ExportLineStream = BatchReader<ExportLine>;

/**
 * The lines of a stream of chunks, cut a chunk at a time as they are asked for, so only the
 * lines of one chunk (64 KiB) are ever decoded and alive at once: none sits in a queue long
 * enough to be promoted to the old generation by the GC, which is what makes memory grow with
 * the file.
 *
 * An iterator object rather than an async generator: a generator costs several microtask turns
 * per `yield`; this one costs one promise per chunk to a caller of `nextBatch`, and resolves
 * `next()` at once while the chunk's lines last. Like any iterator driven by `for await`, it
 * expects one call at a time.
 */
class ExportLineReader extends BatchReader<ExportLine> {
  readonly #chunks: AsyncGenerator<Buffer>;
  readonly #maxLineBytes: number;
  #line = 0;
  #done = false;
  /** The chunk being cut, and where its next line starts. */
  #chunk: Buffer | undefined;
  #start = 0;
  /** Lines of the current chunk from this offset on are known to be valid UTF-8. */
  #validFrom = Number.POSITIVE_INFINITY;
  /** The start of a line that continues in a later chunk. */
  readonly #carried: CarriedBytes;

  constructor(chunks: AsyncGenerator<Buffer>, maxLineBytes: number) {
    super();
    this.#chunks = chunks;
    this.#maxLineBytes = maxLineBytes;
    this.#carried = new CarriedBytes(maxLineBytes);
  }

  /**
   * The next lines: every line that ends in the chunk at hand (a few hundred for a 64 KiB chunk),
   * or `undefined` at the end. One promise per chunk rather than one per line: the splitter's
   * readers go through a file in batches.
   */
  protected async readBatch(): Promise<ExportLine[] | undefined> {
    for (;;) {
      const chunk = this.#chunk;
      if (chunk !== undefined) {
        const lines: ExportLine[] = [];
        for (;;) {
          const start = this.#start;
          const end = chunk.indexOf(newline, start);
          if (end === -1) break;
          this.#start = end + 1;
          lines.push(
            this.#carried.pending
              ? this.#carriedLineEndingWith(chunk.subarray(start, end))
              : this.#lineOf(chunk, start, end, start >= this.#validFrom),
          );
        }
        this.#carried.add(chunk.subarray(this.#start));
        this.#chunk = undefined;
        if (lines.length > 0) return lines;
      }
      if (this.#done) return undefined;
      let next: IteratorResult<Buffer>;
      try {
        next = await this.#chunks.next();
      } catch (error) {
        this.#done = true;
        if (error instanceof GzipStreamError) {
          throw new CorruptExportError(this.#line, { cause: error.cause });
        }
        throw error;
      }
      if (next.done) {
        this.#done = true;
        if (!this.#carried.pending) return undefined;
        return [this.#carriedLineEndingWith(Buffer.alloc(0))];
      }
      this.#startChunk(next.value);
    }
  }

  protected async release(): Promise<void> {
    // The consumer stopped early: stop inflating and let the source release its socket or file.
    this.#done = true;
    this.#chunk = undefined;
    await this.#chunks.return(undefined);
  }

  #startChunk(chunk: Buffer): void {
    this.#chunk = chunk;
    this.#start = 0;
    this.#validFrom = Number.POSITIVE_INFINITY;
    const first = chunk.indexOf(newline);
    if (first === -1) return;
    // One validation for every line that lies wholly in this chunk: an LF is never part of a
    // multi-byte character, so the lines of a valid run are valid too. Only a failing run is
    // checked line by line, to find which lines are bad. A line carried in from the previous
    // chunk is checked on its own once joined.
    const wholeLinesFrom = this.#carried.pending ? first + 1 : 0;
    const last = chunk.lastIndexOf(newline);
    if (wholeLinesFrom <= last && isUtf8(chunk.subarray(wholeLinesFrom, last))) {
      this.#validFrom = wholeLinesFrom;
    }
  }

  /** Reads bytes[start, end) as the next line, its LF excluded. */
  #lineOf(bytes: Buffer, start: number, end: number, knownValid: boolean): ExportLine {
    this.#line += 1;
    const line = this.#line;
    let from = start;
    let to = end;
    if (to > from && bytes[to - 1] === carriageReturn) to -= 1;
    if (to - from > this.#maxLineBytes) return { line, text: '', unreadable: tooLong };
    if (line === 1 && startsWithByteOrderMark(bytes, from, to)) from += byteOrderMark.length;
    if (!knownValid && !isUtf8(bytes.subarray(from, to))) {
      return { line, text: '', unreadable: unreadableReasons.invalidUtf8 };
    }
    return { line, text: bytes.toString('utf8', from, to) };
  }

  /** Ends the line that started in an earlier chunk with `tail`, the bytes before its LF. */
  #carriedLineEndingWith(tail: Buffer): ExportLine {
    const carried = this.#carried;
    if (carried.tooLong || carried.length + tail.length > this.#maxLineBytes + 1) {
      carried.clear();
      this.#line += 1;
      return { line: this.#line, text: '', unreadable: tooLong };
    }
    const bytes = carried.take(tail);
    return this.#lineOf(bytes, 0, bytes.length, false);
  }
}

/**
 * The start of a record (a line, a CSV row) that continues in a later chunk: views of the
 * chunks, joined once the record ends, so a record spread over many small chunks costs one copy,
 * not one per chunk. Past `maxBytes` (plus one byte of slack: a CR before the LF does not count),
 * its bytes are dropped as they come and the record is known to be too long.
 */
export class CarriedBytes {
  readonly #maxBytes: number;
  #pieces: Buffer[] = [];
  #length = 0;
  #tooLong = false;
  #lastByte = -1;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Whether a record is under way: bytes held, or dropped for being too long. */
  get pending(): boolean {
    return this.#length > 0 || this.#tooLong;
  }

  /** Bytes held (0 once the record is known to be too long). */
  get length(): number {
    return this.#length;
  }

  get tooLong(): boolean {
    return this.#tooLong;
  }

  /** The last byte carried, held or dropped; -1 when none. */
  get lastByte(): number {
    return this.#lastByte;
  }

  add(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#lastByte = bytes[bytes.length - 1] as number;
    if (this.#tooLong) return;
    this.#length += bytes.length;
    if (this.#length > this.#maxBytes + 1) {
      this.#pieces = [];
      this.#length = 0;
      this.#tooLong = true;
      return;
    }
    this.#pieces.push(bytes);
  }

  /** The record's bytes, the carried ones then `tail`; the carry is empty again after. */
  take(tail: Buffer): Buffer {
    const pieces = this.#pieces;
    const total = this.#length + tail.length;
    this.clear();
    return pieces.length === 0 ? tail : Buffer.concat([...pieces, tail], total);
  }

  clear(): void {
    this.#pieces = [];
    this.#length = 0;
    this.#tooLong = false;
    this.#lastByte = -1;
  }
}

function startsWithByteOrderMark(bytes: Buffer, start: number, end: number): boolean {
  return (
    end - start >= byteOrderMark.length &&
    bytes[start] === byteOrderMark[0] &&
    bytes[start + 1] === byteOrderMark[1] &&
    bytes[start + 2] === byteOrderMark[2]
  );
}

/** A failure of the gzip stream itself, as opposed to one of the source it reads from. */
export class GzipStreamError extends Error {
  constructor(cause: unknown) {
    super('gzip stream failed', { cause });
    this.name = 'GzipStreamError';
  }
}

function asBuffer(chunk: Uint8Array): Buffer {
  // A view, not a copy: S3 and fs already hand out Buffers, and other Uint8Arrays are wrapped.
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}

/**
 * The export's bytes, decompressed when they start with gzip's magic bytes: the line reader's
 * source, and the record readers' for layouts whose records span lines (CSV, JSON arrays).
 */
export async function* decompressedChunks(
  input: AsyncIterable<Uint8Array>,
): AsyncGenerator<Buffer> {
  const source = input[Symbol.asyncIterator]();
  let sourceDone = false;
  try {
    // Enough chunks to see two bytes: a source may hand them out one at a time.
    const head: Buffer[] = [];
    let headBytes = 0;
    while (headBytes < gzipMagic.length) {
      const next = await source.next();
      if (next.done) {
        sourceDone = true;
        break;
      }
      const chunk = asBuffer(next.value);
      head.push(chunk);
      headBytes += chunk.length;
    }
    const firstBytes = Buffer.concat(head, Math.min(headBytes, gzipMagic.length));
    const rest = remainingChunks(source, () => {
      sourceDone = true;
    });
    if (firstBytes[0] === gzipMagic[0] && firstBytes[1] === gzipMagic[1]) {
      yield* gunzipped(head, sourceDone ? undefined : rest);
    } else {
      yield* head;
      if (!sourceDone) yield* rest;
    }
  } finally {
    // The consumer stopped early, or something failed: let the source release its socket or
    // file. Not awaited: a source waiting on a stalled socket would hold the caller up with it.
    if (!sourceDone) source.return?.()?.catch(() => undefined);
  }
}

async function* remainingChunks(
  source: AsyncIterator<Uint8Array>,
  onDone: () => void,
): AsyncGenerator<Buffer> {
  for (;;) {
    const next = await source.next();
    if (next.done) {
      onDone();
      return;
    }
    yield asBuffer(next.value);
  }
}

/**
 * Compressed bytes are handed to zlib at most this many at a time. What one write inflates to is
 * held until the reader takes it, so this bounds memory even for a file built to inflate at
 * deflate's maximum of 1032:1 (16 MiB); an Auth0 export inflates about 11:1.
 */
const maxCompressedWriteBytes = 16 * 1024;

/**
 * zlib's output buffer. 64 KiB rather than the default 16 KiB: a quarter of the callbacks, and the
 * line reader ran 30-60% faster on gzip; the cost is the most a corruption can hide (below).
 */
const inflatedChunkBytes = 64 * 1024;

/**
 * Inflated bytes zlib may run ahead of the reader. Enough for zlib (on the thread pool) to keep
 * working while the reader (on the main thread) parses: the two then use both cores.
 */
const inflateAheadBytes = 1024 * 1024;

/**
 * Inflates a gzip stream (several concatenated members included) as the reader asks for it.
 *
 * Not `for await` over the gunzip stream: its iterator drops what zlib has inflated but not yet
 * handed out as soon as the stream fails, so the good lines just before a truncation would be
 * lost. Here every inflated chunk is taken as it comes ('data') into a queue the reader drains,
 * and back-pressure comes from writing the next compressed piece only while that queue holds
 * less than `inflateAheadBytes`.
 *
 * zlib reports an error instead of the output of the call that failed, so up to one output
 * buffer (64 KiB) just before a corruption is not seen; a truncation loses nothing.
 */
async function* gunzipped(
  head: Buffer[],
  rest: AsyncIterable<Buffer> | undefined,
): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: inflatedChunkBytes });
  let inflated: Buffer[] = [];
  let inflatedBytes = 0;
  let failure: unknown;
  let closed = false;
  let stopped = false;
  // Wakes the writer when the reader has taken inflated data, and the reader when there is some.
  const readerTook = new Signal();
  const moreInflated = new Signal();
  let wakeWrite: (() => void) | undefined;

  gunzip.on('data', (chunk: Buffer) => {
    inflated.push(chunk);
    inflatedBytes += chunk.length;
    moreInflated.notify();
  });
  gunzip.on('error', (error) => {
    failure ??= error;
  });
  // 'close' follows both the end and an error: whatever is awaited must not wait any longer.
  gunzip.on('close', () => {
    closed = true;
    wakeWrite?.();
  });

  function write(piece: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (closed) {
        resolve();
        return;
      }
      wakeWrite = resolve;
      gunzip.write(piece, () => resolve());
    });
  }

  function end(): Promise<void> {
    return new Promise((resolve) => {
      if (closed) {
        resolve();
        return;
      }
      wakeWrite = resolve;
      gunzip.end();
    });
  }

  async function writeAll(): Promise<void> {
    for await (const chunk of concatenated(head, rest)) {
      for (let offset = 0; offset < chunk.length; offset += maxCompressedWriteBytes) {
        while (inflatedBytes >= inflateAheadBytes && !stopped) await readerTook.wait();
        if (stopped || closed) return;
        await write(chunk.subarray(offset, offset + maxCompressedWriteBytes));
      }
      if (stopped || closed) return;
    }
    await end();
  }

  let writerDone = false;
  let sourceFailure: { error: unknown } | undefined;
  const writing = writeAll().then(
    () => {
      writerDone = true;
      moreInflated.notify();
    },
    (error: unknown) => {
      // The source failed (an S3 stream reset): passed on as it is, not as a gzip error.
      sourceFailure = { error };
      writerDone = true;
      moreInflated.notify();
    },
  );

  try {
    for (;;) {
      if (inflated.length > 0) {
        // Taken as a batch: chunks inflated while these are read join the next batch, in order.
        const batch = inflated;
        inflated = [];
        inflatedBytes = 0;
        readerTook.notify();
        yield* batch;
        continue;
      }
      if (writerDone) break;
      await moreInflated.wait();
    }
    if (sourceFailure !== undefined) throw sourceFailure.error;
    if (failure !== undefined) throw new GzipStreamError(failure);
  } finally {
    stopped = true;
    readerTook.notify();
    gunzip.destroy();
    // Not awaited: the writer may be waiting on a stalled source, and stops at its next step.
    // Its failures are already caught above.
    void writing;
  }
}

/** A wake-up for one waiter at a time: `wait` resolves at the next `notify`. */
class Signal {
  #waiter: PromiseWithResolvers<void> | undefined;

  wait(): Promise<void> {
    this.#waiter ??= Promise.withResolvers<void>();
    return this.#waiter.promise;
  }

  notify(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }
}

async function* concatenated(
  head: Buffer[],
  rest: AsyncIterable<Buffer> | undefined,
): AsyncGenerator<Buffer> {
  yield* head;
  if (rest !== undefined) yield* rest;
}
