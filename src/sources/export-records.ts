import { csvUnreadableReasons, readCsvRecords } from './csv-records.ts';
import {
  BatchReader,
  CorruptExportError,
  decompressedChunks,
  defaultMaxLineBytes,
  type ExportLine,
  type ExportLineStream,
  GzipStreamError,
  readExportLines,
  unreadableReasons,
} from './export-lines.ts';
import { jsonArrayUnreadableReasons, readJsonArrayRecords } from './json-array-records.ts';
import type { ExportRecord } from './parsed-record.ts';

export { CsvHeaderError } from './csv-records.ts';
export { MalformedExportError } from './json-array-records.ts';

/** How the records of an export are laid out in its (decompressed) bytes. */
export type RecordLayout = 'ndjson' | 'json-array' | 'csv';

export const recordLayouts = ['ndjson', 'json-array', 'csv'] as const satisfies RecordLayout[];

export interface ReadExportRecordsOptions {
  layout: RecordLayout;
  /**
   * CSV: strip one leading `'` from quoted values (Auth0's CSV export defuses formula injection
   * that way). Header names and unquoted values are left alone.
   */
  stripFormulaPrefix?: boolean;
  /**
   * The longest record read, in bytes (an NDJSON line, a CSV row without its line break, a JSON
   * array element). A longer one is skipped without being held in memory and yielded as
   * `record_too_long` (`line_too_long` for NDJSON). Default: `defaultMaxLineBytes`, 1 MiB.
   */
  maxRecordBytes?: number;
  /**
   * NDJSON: lines the caller knows are settled elsewhere, left out without being parsed (the
   * splitter's password lines already joined into their users: parsing them again would cost
   * as much as the rest of their pass). The caller accounts for them from what it knows.
   */
  skipLine?: (line: number) => boolean;
}

/** Every reason a record can be unreadable for, whatever the layout. */
export const unreadableRecordReasons = {
  ...unreadableReasons,
  ...jsonArrayUnreadableReasons,
  ...csvUnreadableReasons,
} as const;

/**
 * Streams the records of an export, gzip-compressed or plain (told from the content), without
 * holding the file in memory, whatever its layout:
 * - `ndjson`: one JSON object per line, read by `readExportLines`; blank lines yield nothing;
 * - `json-array`: the elements of a top-level array, or of the first array property of a
 *   top-level object (`{"users":[...]}`); `line` is the element's number;
 * - `csv`: rows keyed by the header row; `line` is the line a row starts on.
 *
 * A record that cannot be decoded is yielded with `unreadable` (see `unreadableRecordReasons`)
 * and reading goes on. A damaged gzip stream rejects with `CorruptExportError` after the records
 * before the damage, a JSON document broken beyond one element with `MalformedExportError`, and
 * a CSV file whose header cannot name its columns with `CsvHeaderError`.
 */
export function readExportRecords(
  body: AsyncIterable<Uint8Array>,
  options: ReadExportRecordsOptions,
): AsyncIterableIterator<ExportRecord> {
  const maxRecordBytes = options.maxRecordBytes ?? defaultMaxLineBytes;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1) {
    throw new RangeError(`maxRecordBytes must be a positive whole number; got ${maxRecordBytes}`);
  }
  switch (options.layout) {
    case 'ndjson':
      return new NdjsonRecordReader(
        readExportLines(body, { maxLineBytes: maxRecordBytes }),
        options.skipLine,
      );
    case 'json-array':
      return readJsonArrayRecords(exportBytes(body), { maxRecordBytes, failure: corruptionOf });
    case 'csv':
      return readCsvRecords(exportBytes(body), {
        maxRecordBytes,
        stripFormulaPrefix: options.stripFormulaPrefix === true,
        failure: corruptionOf,
      });
    default:
      throw new RangeError(`Unknown record layout: ${String(options.layout)}`);
  }
}

/**
 * The same records as `readExportRecords`, in batches: each NDJSON batch holds the records of
 * one decompressed chunk (a few hundred), so a reader that goes through millions of records
 * awaits once per chunk instead of once per record. CSV and JSON-array records come one per
 * batch.
 */
export async function* readExportRecordBatches(
  body: AsyncIterable<Uint8Array>,
  options: ReadExportRecordsOptions,
): AsyncGenerator<ExportRecord[]> {
  const records = readExportRecords(body, options);
  if (records instanceof NdjsonRecordReader) {
    try {
      for (;;) {
        const batch = await records.nextBatch();
        if (batch === undefined) return;
        yield batch;
      }
    } finally {
      await records.return();
    }
  }
  for await (const record of records) yield [record];
}

/** Enough to see the first record of any layout, and then some (see `detectRecordLayout`). */
export const defaultHeadBytes = 64 * 1024;

/**
 * The first `maxBytes` bytes of the export, decompressed if it is gzip, as text for
 * `detectRecordLayout`; the source is released after. A multi-byte character cut at the end
 * decodes as U+FFFD, which detection ignores. A damaged gzip stream yields what inflated before
 * the damage: reading the records reports the damage properly.
 */
export async function readExportHead(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number = defaultHeadBytes,
): Promise<string> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxBytes must be a positive whole number; got ${maxBytes}`);
  }
  const chunks = decompressedChunks(body);
  const head: Buffer[] = [];
  let headBytes = 0;
  try {
    while (headBytes < maxBytes) {
      const next = await chunks.next();
      if (next.done) break;
      head.push(next.value);
      headBytes += next.value.length;
    }
  } catch (error) {
    if (!(error instanceof GzipStreamError)) throw error;
  } finally {
    await chunks.return(undefined);
  }
  return Buffer.concat(head).toString('utf8', 0, Math.min(headBytes, maxBytes));
}

/**
 * The layout of an export from its first bytes (`readExportHead`), or `undefined` for a head
 * that is empty or an object that fits none:
 * - `[` → `json-array`;
 * - `{` whose first property holds an array (`{"users":[`, `{"Users":[`) → `json-array`;
 * - `{` closed on its first line → `ndjson` (an NDJSON record is one line by definition);
 * - `{` running over several lines with a property holding an array (a pretty-printed
 *   `{"next": "…", "members": [`) → `json-array`;
 * - `{` not closed within the head, on one line: `json-array` if the head ends inside an array
 *   that is one of its properties (a minified `{"next":"…","members":[` longer than the head),
 *   else `ndjson` (a record longer than the head);
 * - anything else → `csv`.
 *
 * A one-line object closed within the head whose array is not its first property (`{"next":
 * "x","members":[…]}` minified and small) reads as NDJSON: it looks exactly like one NDJSON
 * record holding a list (an Auth0 user and its `identities`). Give the layout explicitly there.
 */
export function detectRecordLayout(head: string): RecordLayout | undefined {
  // `\s` covers a byte order mark (U+FEFF) too.
  const start = head.search(/\S/);
  if (start === -1) return undefined;
  const first = head[start];
  if (first === '[') return 'json-array';
  if (first !== '{') return 'csv';
  const object = firstObjectShape(head, start);
  if (object.firstPropertyIsArray) return 'json-array';
  if (object.closed && !object.multiline) return 'ndjson';
  if (object.multiline) return object.holdsArray ? 'json-array' : undefined;
  return object.endsInArray ? 'json-array' : 'ndjson';
}

interface ObjectShape {
  /** The object's first property holds an array. */
  firstPropertyIsArray: boolean;
  /** One of its properties seen in the head holds an array. */
  holdsArray: boolean;
  /** The head ends inside such an array. */
  endsInArray: boolean;
  /** It ends within the head. */
  closed: boolean;
  /** A line break comes before its end (or the head's end): it is pretty-printed. */
  multiline: boolean;
}

/** What the head shows of the object starting at `start` (its `{`). */
function firstObjectShape(head: string, start: number): ObjectShape {
  const shape: ObjectShape = {
    firstPropertyIsArray: false,
    holdsArray: false,
    endsInArray: false,
    closed: false,
    multiline: false,
  };
  let depth = 0;
  let inString = false;
  let properties = 0;
  /** Just after a property's colon: its value comes next. */
  let awaitingValue = false;
  /** Inside a property's array. */
  let inArray = false;
  for (let index = start; index < head.length; index += 1) {
    const char = head[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '\n') shape.multiline = true;
    if (char === ' ' || char === '\t' || char === '\r' || char === '\n') continue;
    if (awaitingValue) {
      awaitingValue = false;
      if (char === '[') {
        shape.holdsArray = true;
        inArray = true;
        if (properties === 1) shape.firstPropertyIsArray = true;
      }
    }
    if (char === '"') {
      inString = true;
    } else if (char === '{' || char === '[') {
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 1) inArray = false;
      if (depth === 0) {
        shape.closed = true;
        return shape;
      }
    } else if (char === ':' && depth === 1) {
      properties += 1;
      awaitingValue = true;
    }
  }
  shape.endsInArray = inArray;
  return shape;
}

/** Turns a failure of the gzip stream into the error the splitter reports for a damaged file. */
function corruptionOf(error: unknown, afterLine: number): unknown {
  return error instanceof GzipStreamError
    ? new CorruptExportError(afterLine, { cause: error.cause })
    : error;
}

/** Records parsed at a time by the NDJSON reader: enough to make each await cheap. */
const recordsPerBatch = 32;

/** NDJSON: each line a JSON object; the line reader's own verdicts pass through. */
class NdjsonRecordReader extends BatchReader<ExportRecord> {
  readonly #lines: ExportLineStream;
  readonly #skipLine: ((line: number) => boolean) | undefined;
  /** Lines from the line reader not parsed yet. */
  #lineBatch: ExportLine[] = [];
  #nextLine = 0;

  constructor(lines: ExportLineStream, skipLine?: (line: number) => boolean) {
    super();
    this.#lines = lines;
    this.#skipLine = skipLine;
  }

  /**
   * The next records (never none), or `undefined` at the end: at most `recordsPerBatch`, so that
   * few parsed records are alive at once (records kept across young-generation collections are
   * promoted to the old generation, whose growth is what the splitter's memory is sized for).
   */
  protected async readBatch(): Promise<ExportRecord[] | undefined> {
    for (;;) {
      if (this.#nextLine >= this.#lineBatch.length) {
        const lines = await this.#lines.nextBatch();
        if (lines === undefined) return undefined;
        this.#lineBatch = lines;
        this.#nextLine = 0;
      }
      const lines = this.#lineBatch;
      const end = Math.min(lines.length, this.#nextLine + recordsPerBatch);
      const records: ExportRecord[] = [];
      for (; this.#nextLine < end; this.#nextLine++) {
        const { line, text, unreadable } = lines[this.#nextLine] as ExportLine;
        if (unreadable !== undefined) {
          records.push({ line, unreadable });
          continue;
        }
        if (this.#skipLine?.(line) || isBlank(text)) continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          records.push({ line, unreadable: unreadableRecordReasons.invalidJson });
          continue;
        }
        records.push(
          typeof value !== 'object' || value === null || Array.isArray(value)
            ? { line, unreadable: unreadableRecordReasons.notAnObject }
            : { line, fields: value as Record<string, unknown> },
        );
      }
      if (records.length > 0) return records;
    }
  }

  protected async release(): Promise<void> {
    this.#lineBatch = [];
    await this.#lines.return();
  }
}

function isBlank(text: string): boolean {
  // The common case, a line starting with `{`, is decided without a trimmed copy.
  return text.length === 0 || (text.charCodeAt(0) <= 0x20 && text.trim() === '');
}

/** The decompressed bytes of an export, without a leading byte order mark. */
function exportBytes(body: AsyncIterable<Uint8Array>): AsyncIterator<Buffer> {
  return withoutByteOrderMark(decompressedChunks(body));
}

const byteOrderMark = Buffer.from([0xef, 0xbb, 0xbf]);

async function* withoutByteOrderMark(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // The mark may come split over several chunks: the first three bytes are gathered first.
  let head: Buffer = Buffer.alloc(0);
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    while (head.length < byteOrderMark.length) {
      const next = await iterator.next();
      if (next.done) break;
      head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
    }
    const marked = head.subarray(0, byteOrderMark.length).equals(byteOrderMark);
    const rest = marked ? head.subarray(byteOrderMark.length) : head;
    if (rest.length > 0) yield rest;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.(undefined);
  }
}
