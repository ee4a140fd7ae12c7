import { isUtf8 } from 'node:buffer';
import type { ExportRecord } from '../parsed-record.ts';

/** Why an element of a JSON array could not be decoded; each becomes a rejection reason. */
export const jsonArrayUnreadableReasons = {
  /** Clear boundaries, but not JSON inside them. */
  invalidJson: 'invalid_json',
  /** JSON, but not an object (a string, a number, an array, `null`). */
  notAnObject: 'not_an_object',
  /** Longer than `maxRecordBytes`: skipped without being held in memory. */
  recordTooLong: 'record_too_long',
  /** Not valid UTF-8. */
  invalidUtf8: 'invalid_utf8',
} as const;

/**
 * The export is not a JSON document the records can be read from any further: truncated, not
 * JSON at all, a top-level scalar, an object with no array, broken between elements. The
 * `afterElement` elements before the damage have been yielded; retrying reads the same bytes,
 * so the file must be exported or uploaded again. The message never quotes the file.
 */
export class MalformedExportError extends Error {
  /** How many elements were read whole before the damage (0: none). */
  readonly afterElement: number;

  constructor(problem: string, afterElement: number) {
    const where = afterElement === 0 ? 'before the first element' : `after element ${afterElement}`;
    super(
      `The export is not a well-formed JSON document: ${problem}. Reading stopped ${where}. Export or upload it again.`,
    );
    this.name = 'MalformedExportError';
    this.afterElement = afterElement;
  }
}

export interface JsonArrayReaderOptions {
  maxRecordBytes: number;
  /** What to throw when reading the bytes failed after `afterElement` whole elements. */
  failure: (error: unknown, afterElement: number) => unknown;
}

/**
 * The elements of a JSON array, one record each, numbered from 1: a top-level `[...]`, or the
 * first property holding an array in a top-level object (`{"users":[...]}`, Cognito's
 * `{"Users":[...],"PaginationToken":"..."}`, Auth0's `{"next":"...","members":[...]}`); the
 * object's other properties are skipped unread.
 *
 * A byte-level scanner finds each element's span (strings, escapes, nesting) and `JSON.parse`s
 * only that slice: a streaming token-by-token parser (stream-json, clarinet) builds every value
 * in JavaScript one token at a time and runs many times slower than V8's native `JSON.parse`,
 * which this leaves all the decoding to. Whitespace and chunk boundaries may fall anywhere,
 * inside a string, an escape or a multi-byte character included.
 */
export function readJsonArrayRecords(
  chunks: AsyncIterator<Buffer>,
  options: JsonArrayReaderOptions,
): AsyncIterableIterator<ExportRecord> {
  return new JsonArrayRecordReader(chunks, options);
}

const reasons = jsonArrayUnreadableReasons;
const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const colon = 0x3a;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;

/** Space, tab, LF, CR: JSON's only whitespace. */
const whitespace = new Uint8Array(256);
for (const byte of [0x20, 0x09, 0x0a, 0x0d]) whitespace[byte] = 1;

/** Bytes a bare scalar (number, `true`, `false`, `null`, or garbage) is read over. */
const scalarByte = new Uint8Array(256);
for (const range of ['09', 'az', 'AZ']) {
  for (let byte = range.charCodeAt(0); byte <= range.charCodeAt(1); byte += 1) scalarByte[byte] = 1;
}
for (const byte of '+-.') scalarByte[byte.charCodeAt(0)] = 1;

/** Where the scanner is in the document, between values. */
type Phase =
  | 'document' // before the top-level value
  | 'key-or-end' // in the object, after `{`
  | 'key' // in the object, after `,`
  | 'colon' // after a key
  | 'value' // after `:`
  | 'after-value' // after a property's value: `,` or `}`
  | 'first-element' // after the record array's `[`: an element or `]`
  | 'next-element' // after `,` in the record array
  | 'after-element' // `,` or `]`
  | 'end'; // after the document: whitespace only

/** Why a value is being scanned: a property's name, a property skipped unread, or an element. */
type ValueRole = 'key' | 'skipped' | 'element';

const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * An iterator object, like the line reader: `next()` resolves at once whenever the current
 * chunk holds another element, where an async generator would cost several microtask turns.
 */
class JsonArrayRecordReader implements AsyncIterableIterator<ExportRecord> {
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #maxRecordBytes: number;
  readonly #failure: JsonArrayReaderOptions['failure'];
  #done = false;
  #phase: Phase = 'document';
  /** The document is an object holding the array, rather than the array itself. */
  #wrapped = false;
  /** The record array has been read (what is left of the object is skipped). */
  #arrayClosed = false;
  /** Elements started so far: the number of the current one. */
  #element = 0;

  #chunk: Buffer | undefined;
  #position = 0;
  #chunkIsUtf8 = false;

  /** The value being scanned, if any, and its state across chunks. */
  #role: ValueRole | undefined;
  #scalar = false;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Where the element starts in the current chunk; earlier parts are in #carried. */
  #valueStart = 0;
  #carried: Buffer[] = [];
  #carriedBytes = 0;
  /** Inside an element already known to be too long: its bytes are dropped as they come. */
  #skipping = false;

  constructor(chunks: AsyncIterator<Buffer>, options: JsonArrayReaderOptions) {
    this.#chunks = chunks;
    this.#maxRecordBytes = options.maxRecordBytes;
    this.#failure = options.failure;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<ExportRecord>> {
    for (;;) {
      const chunk = this.#chunk;
      if (chunk !== undefined) {
        const record = this.#scan(chunk);
        if (record !== undefined) return { done: false, value: record };
        this.#chunk = undefined;
      }
      if (this.#done) return finished;
      let next: IteratorResult<Buffer>;
      try {
        next = await this.#chunks.next();
      } catch (error) {
        this.#done = true;
        throw this.#failure(error, this.#wholeElements());
      }
      if (next.done) {
        this.#done = true;
        this.#finish();
        return finished;
      }
      if (next.value.length > 0) this.#startChunk(next.value);
    }
  }

  async return(): Promise<IteratorResult<ExportRecord>> {
    this.#done = true;
    this.#chunk = undefined;
    await this.#chunks.return?.(undefined);
    return finished;
  }

  #startChunk(chunk: Buffer): void {
    this.#chunk = chunk;
    this.#position = 0;
    // One check for all the elements that lie wholly in this chunk: they start and end on ASCII
    // bytes, so they hold whole characters of a valid chunk. A chunk cut inside a character
    // fails, and its elements are then checked one by one.
    this.#chunkIsUtf8 = isUtf8(chunk);
    if (this.#role !== undefined) this.#valueStart = 0;
  }

  /** Scans the chunk from the current position; returns the next record, or `undefined`. */
  #scan(chunk: Buffer): ExportRecord | undefined {
    const length = chunk.length;
    let position = this.#position;
    for (;;) {
      if (this.#role !== undefined) {
        const end = this.#scanValue(chunk, position);
        if (end === -1) {
          if (this.#role === 'element') this.#carry(chunk.subarray(this.#valueStart));
          this.#position = length;
          return undefined;
        }
        position = end;
        this.#position = end;
        const role = this.#role;
        this.#role = undefined;
        if (role === 'key') this.#phase = 'colon';
        else if (role === 'skipped') this.#phase = 'after-value';
        else {
          this.#phase = 'after-element';
          return this.#elementRecord(chunk, this.#valueStart, end);
        }
      }
      while (position < length && whitespace[chunk[position] as number] === 1) position += 1;
      if (position === length) {
        this.#position = length;
        return undefined;
      }
      const byte = chunk[position] as number;
      position = this.#step(byte, position);
    }
  }

  /** Acts on a structural byte between values; returns where scanning goes on. */
  #step(byte: number, position: number): number {
    switch (this.#phase) {
      case 'document':
        if (byte === openBracket) {
          this.#phase = 'first-element';
        } else if (byte === openBrace) {
          this.#wrapped = true;
          this.#phase = 'key-or-end';
        } else {
          throw this.#malformed('it is neither a JSON array nor an object holding one');
        }
        return position + 1;
      case 'key-or-end':
      case 'key':
        if (byte === quote) return this.#startValue('key', byte, position);
        if (byte === closeBrace && this.#phase === 'key-or-end') return this.#closeObject(position);
        throw this.#malformed('a property name was expected in the top-level object');
      case 'colon':
        if (byte !== colon) throw this.#malformed('a property name is not followed by a colon');
        this.#phase = 'value';
        return position + 1;
      case 'value':
        if (byte === openBracket && !this.#arrayClosed) {
          this.#phase = 'first-element';
          return position + 1;
        }
        return this.#startValue('skipped', byte, position);
      case 'after-value':
        if (byte === comma) {
          this.#phase = 'key';
          return position + 1;
        }
        if (byte === closeBrace) return this.#closeObject(position);
        throw this.#malformed("a property of the top-level object is not followed by ',' or '}'");
      case 'first-element':
      case 'next-element':
        if (byte === closeBracket) {
          if (this.#phase === 'next-element') throw this.#malformed("the array ends with a ','");
          return this.#closeArray(position);
        }
        return this.#startValue('element', byte, position);
      case 'after-element':
        if (byte === comma) {
          this.#phase = 'next-element';
          return position + 1;
        }
        if (byte === closeBracket) return this.#closeArray(position);
        throw this.#malformed("an element is not followed by ',' or ']'");
      case 'end':
        throw this.#malformed('something follows the end of the document');
    }
  }

  #closeArray(position: number): number {
    this.#arrayClosed = true;
    this.#phase = this.#wrapped ? 'after-value' : 'end';
    return position + 1;
  }

  #closeObject(position: number): number {
    if (!this.#arrayClosed) throw this.#malformed('the top-level object holds no array');
    this.#phase = 'end';
    return position + 1;
  }

  #startValue(role: ValueRole, byte: number, position: number): number {
    if (byte === openBrace || byte === openBracket || byte === quote) {
      this.#scalar = false;
    } else if (scalarByte[byte] === 1) {
      this.#scalar = true;
    } else {
      throw this.#malformed(
        role === 'element' ? 'an element starts with a stray character' : 'a value was expected',
      );
    }
    if (role === 'element') this.#element += 1;
    this.#role = role;
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    this.#valueStart = position;
    this.#carried = [];
    this.#carriedBytes = 0;
    this.#skipping = false;
    return position;
  }

  /**
   * Scans the current value from `from`; returns the offset just past its end, or -1 when it
   * goes on in the next chunk. Strings get a tight loop of their own that looks only for `"`
   * and `\\`: most of an export's bytes are inside strings. Measured on Auth0-like users, it
   * runs about twice as fast as one loop holding every case, and faster than `indexOf`, whose
   * call costs more than walking the short strings of a user record.
   */
  #scanValue(chunk: Buffer, from: number): number {
    const length = chunk.length;
    let position = from;
    if (this.#scalar) {
      while (position < length && scalarByte[chunk[position] as number] === 1) position += 1;
      return position === length ? -1 : position;
    }
    let depth = this.#depth;
    let inString = this.#inString;
    if (this.#escaped) {
      this.#escaped = false;
      position += 1;
    }
    for (;;) {
      if (inString) {
        let byte = -1;
        while (position < length) {
          byte = chunk[position] as number;
          position += 1;
          if (byte === quote) break;
          // The escaped byte, whatever it is, does not end the string.
          if (byte === backslash) position += 1;
        }
        if (byte !== quote) {
          // Past the end: the chunk ended with a backslash, whose escaped byte comes next.
          this.#escaped = position > length;
          this.#depth = depth;
          this.#inString = true;
          return -1;
        }
        inString = false;
        if (depth === 0) return this.#valueEnded(position);
      }
      if (position >= length) break;
      const byte = chunk[position] as number;
      position += 1;
      if (byte === quote) {
        inString = true;
      } else if (byte === openBrace || byte === openBracket) {
        depth += 1;
      } else if (byte === closeBrace || byte === closeBracket) {
        depth -= 1;
        if (depth === 0) return this.#valueEnded(position);
      }
    }
    this.#depth = depth;
    this.#inString = false;
    return -1;
  }

  #valueEnded(end: number): number {
    this.#depth = 0;
    this.#inString = false;
    return end;
  }

  /** Keeps `bytes`, the start of an element whose end has not arrived yet. */
  #carry(bytes: Buffer): void {
    if (this.#skipping || bytes.length === 0) return;
    this.#carriedBytes += bytes.length;
    if (this.#carriedBytes > this.#maxRecordBytes) {
      this.#carried = [];
      this.#carriedBytes = 0;
      this.#skipping = true;
      return;
    }
    this.#carried.push(bytes);
  }

  /** The record of the element ending at `end` in `chunk` (its start maybe carried). */
  #elementRecord(chunk: Buffer, start: number, end: number): ExportRecord {
    const line = this.#element;
    const carried = this.#carried;
    const total = this.#carriedBytes + (end - start);
    const skipped = this.#skipping;
    this.#carried = [];
    this.#carriedBytes = 0;
    this.#skipping = false;
    if (skipped || total > this.#maxRecordBytes) {
      return { line, unreadable: reasons.recordTooLong };
    }
    let bytes = chunk;
    let from = start;
    let to = end;
    if (carried.length > 0) {
      bytes = Buffer.concat([...carried, chunk.subarray(start, end)], total);
      from = 0;
      to = total;
    }
    if (!(carried.length === 0 && this.#chunkIsUtf8) && !isUtf8(bytes.subarray(from, to))) {
      return { line, unreadable: reasons.invalidUtf8 };
    }
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8', from, to));
    } catch {
      return { line, unreadable: reasons.invalidJson };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { line, unreadable: reasons.notAnObject };
    }
    return { line, fields: value as Record<string, unknown> };
  }

  /** At the end of the bytes: anything but a finished document is a truncation. */
  #finish(): void {
    if (this.#phase === 'end' && this.#role === undefined) return;
    if (this.#phase === 'document') throw this.#malformed('it is empty');
    throw this.#malformed('it is cut off before its end (truncated)');
  }

  #malformed(problem: string): MalformedExportError {
    const afterElement = this.#wholeElements();
    this.#done = true;
    this.#chunk = undefined;
    // Nothing more will be read: let the source release its socket or file.
    this.#chunks.return?.(undefined)?.catch(() => undefined);
    return new MalformedExportError(problem, afterElement);
  }

  /** Elements read whole so far: all those started, but the one being read. */
  #wholeElements(): number {
    return this.#role === 'element' ? this.#element - 1 : this.#element;
  }
}
