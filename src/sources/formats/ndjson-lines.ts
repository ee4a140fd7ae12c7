import { isUtf8 } from 'node:buffer';
import { BatchIterator, type BatchSource } from './batch-iterator.ts';
import { CarriedBytes } from './carried-bytes.ts';
import { exportBytes } from './export-bytes.ts';
import { corruptionOf } from './gzip.ts';

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

const tooLong = unreadableReasons.lineTooLong;
const newline = 0x0a;
const carriageReturn = 0x0d;

/**
 * Streams the lines of an export, gzip-compressed or plain (see `exportBytes`), without holding
 * the file in memory.
 *
 * Lines end at LF; a CR before it is dropped (CRLF files), a lone CR is kept as data, as NDJSON
 * says. A UTF-8 byte order mark on line 1 is dropped (by `exportBytes`). Line numbers count every LF, so they match
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
  return new BatchIterator(new NdjsonLineFramer(exportBytes(input), maxLineBytes));
}

/** The lines of an export, one at a time, or a chunk's worth at a time (`nextBatch`). */
export type ExportLineStream = BatchIterator<ExportLine>;

/**
 * The lines of a stream of chunks, cut a chunk at a time as they are asked for, so only the
 * lines of one chunk (64 KiB) are ever decoded and alive at once: none sits in a queue long
 * enough to be promoted to the old generation by the GC, which is what makes memory grow with
 * the file.
 *
 * Handed out by a `BatchIterator`: one promise per chunk to a caller of `nextBatch`, and `next()`
 * resolves at once while the chunk's lines last.
 */
class NdjsonLineFramer implements BatchSource<ExportLine> {
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
    this.#chunks = chunks;
    this.#maxLineBytes = maxLineBytes;
    this.#carried = new CarriedBytes(maxLineBytes);
  }

  /**
   * The next lines: every line that ends in the chunk at hand (a few hundred for a 64 KiB chunk),
   * or `undefined` at the end. One promise per chunk rather than one per line: the splitter's
   * readers go through a file in batches.
   */
  async readBatch(): Promise<ExportLine[] | undefined> {
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
        throw corruptionOf(error, this.#line);
      }
      if (next.done) {
        this.#done = true;
        if (!this.#carried.pending) return undefined;
        return [this.#carriedLineEndingWith(Buffer.alloc(0))];
      }
      this.#startChunk(next.value);
    }
  }

  async release(): Promise<void> {
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
    const from = start;
    let to = end;
    if (to > from && bytes[to - 1] === carriageReturn) to -= 1;
    if (to - from > this.#maxLineBytes) return { line, text: '', unreadable: tooLong };
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
