import { isUtf8 } from 'node:buffer';
import { type Options as CsvParseOptions, parse } from 'csv-parse/sync';
import type { ExportRecord } from '../parsed-record.ts';
import { CarriedBytes } from './carried-bytes.ts';

/** Why a CSV row could not be decoded; each becomes a rejection reason. */
export const csvUnreadableReasons = {
  /** More or fewer cells than the header has columns. */
  columnCount: 'csv_column_count',
  /** A quoted cell still open at the end of the file: the row runs to the end and is lost. */
  unclosedQuote: 'csv_unclosed_quote',
  /** Longer than `maxRecordBytes`: skipped without being held in memory. */
  recordTooLong: 'record_too_long',
  /** Not valid UTF-8. */
  invalidUtf8: 'invalid_utf8',
  /** Framed as one row, but the CSV parser did not read it as exactly one (a defensive net). */
  invalidCsv: 'invalid_csv',
} as const;

/**
 * The CSV export's header row cannot name the columns (empty or duplicate names, or a row that
 * cannot be read): no row of the file can be read, so the file is refused as a whole. The
 * message names columns by number, never by content (a file without a header would otherwise
 * put its first user's data in the error).
 */
export class CsvHeaderError extends Error {
  constructor(problem: string) {
    super(`The CSV export's header row is unusable: ${problem}.`);
    this.name = 'CsvHeaderError';
  }
}

export interface CsvReaderOptions {
  maxRecordBytes: number;
  /** Strip one leading `'` from quoted cells (Auth0's CSV export defuses formulas that way). */
  stripFormulaPrefix: boolean;
  /** What to throw when reading the bytes failed after line `afterLine`. */
  failure: (error: unknown, afterLine: number) => unknown;
}

/**
 * The rows of a CSV export (RFC 4180: quoted cells with commas, doubled quotes and line breaks;
 * CRLF or LF), each keyed by the header row's trimmed names; `line` is the line the row starts
 * on. Blank lines yield nothing.
 *
 * Two passes over each chunk. A small byte-level framer finds where each row starts and ends,
 * which is what line numbers, the size limit, UTF-8 checks, the unclosed-quote case and the
 * formula prefix need: csv-parse reports none of them per row (its `info.lines` is the line a
 * row ends on, and counts a CRLF inside quotes twice; its size limit and its unclosed-quote
 * error end the whole parse). csv-parse then splits the framed rows of the chunk into cells in
 * one call. The framer follows csv-parse's quoting rules exactly (a quote opens a cell only at
 * its start; `""` inside quotes is a quote; a quote closes a cell whatever follows, as with
 * `relax_quotes`), so both cut the same rows (a test compares them on random bytes); a count
 * mismatch would still be caught, and the chunk's rows parsed one by one.
 *
 * Rows end at LF or CRLF; a lone CR is data, as csv-parse is told, but a CR ending the file is
 * taken as a line end, as the NDJSON line reader does.
 */
export function readCsvRecords(
  chunks: AsyncIterator<Buffer>,
  options: CsvReaderOptions,
): AsyncIterableIterator<ExportRecord> {
  return new CsvRecordReader(chunks, options);
}

const reasons = csvUnreadableReasons;
const quote = 0x22;
const apostrophe = 0x27;
const comma = 0x2c;
const newline = 0x0a;
const carriageReturn = 0x0d;

/**
 * csv-parse's options for rows the framer has already cut out. Its own quote errors are relaxed
 * to the rule the framer follows (a stray quote inside a cell is data), and a short or long row
 * is checked here against the header, not against the first row of each chunk.
 */
const cellOptions: CsvParseOptions = {
  bom: false,
  delimiter: ',',
  record_delimiter: ['\r\n', '\n'],
  relax_quotes: true,
  relax_column_count: true,
  skip_empty_lines: true,
};

/** Where the framer is within a row. */
const atCellStart = 0;
const inUnquotedCell = 1;
const inQuotedCell = 2;
/**
 * Just after a cell's opening quote: watching for Auth0's `'` prefix. Tracked here rather than
 * with csv-parse's `cast`, which tells whether a cell was quoted but builds a context object per
 * cell: it made parsing Auth0's CSV six times slower.
 */
const atQuotedCellStart = 3;
/** A quote inside a quoted cell: the cell's end, or the first half of `""`. */
const atQuoteInQuotedCell = 4;

/** A row as framed, before it is split into cells. */
interface FramedRow {
  line: number;
  /** The row's bytes, its line break included. */
  bytes?: Buffer;
  unreadable?: string;
  /** Cells (0-based) that were quoted and start with `'`. */
  prefixedCells?: number[];
}

const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

class CsvRecordReader implements AsyncIterableIterator<ExportRecord> {
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #maxRecordBytes: number;
  readonly #stripFormulaPrefix: boolean;
  readonly #failure: CsvReaderOptions['failure'];
  #done = false;
  /** The decoded rows of the last chunk, handed out one at a time. */
  #ready: ExportRecord[] = [];
  #readyIndex = 0;
  #header: Header | undefined;

  /** The line the framer is on. */
  #line = 1;
  #state = atCellStart;
  #cell = 0;
  #rowLine = 1;
  #prefixedCells: number[] = [];
  /** The start of a row that continues in a later chunk. */
  readonly #carried: CarriedBytes;

  constructor(chunks: AsyncIterator<Buffer>, options: CsvReaderOptions) {
    this.#chunks = chunks;
    this.#maxRecordBytes = options.maxRecordBytes;
    this.#carried = new CarriedBytes(options.maxRecordBytes);
    this.#stripFormulaPrefix = options.stripFormulaPrefix;
    this.#failure = options.failure;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<ExportRecord>> {
    for (;;) {
      if (this.#readyIndex < this.#ready.length) {
        const record = this.#ready[this.#readyIndex] as ExportRecord;
        this.#readyIndex += 1;
        return { done: false, value: record };
      }
      if (this.#done) return finished;
      let next: IteratorResult<Buffer>;
      try {
        next = await this.#chunks.next();
      } catch (error) {
        this.#done = true;
        // The row in progress is lost with the damage; every line before it has been read.
        throw this.#failure(error, this.#line - 1);
      }
      const rows = next.done ? this.#finish() : this.#frame(next.value);
      if (next.done) this.#done = true;
      try {
        this.#ready = this.#decode(rows);
      } catch (error) {
        // The header is unusable: nothing more will be read, let the source go.
        this.#done = true;
        this.#chunks.return?.(undefined)?.catch(() => undefined);
        throw error;
      }
      this.#readyIndex = 0;
    }
  }

  async return(): Promise<IteratorResult<ExportRecord>> {
    this.#done = true;
    this.#ready = [];
    await this.#chunks.return?.(undefined);
    return finished;
  }

  /** Cuts the rows that end in `chunk`; the start of an unfinished one is carried. */
  #frame(chunk: Buffer): FramedRow[] {
    const rows: FramedRow[] = [];
    const stripPrefix = this.#stripFormulaPrefix;
    const length = chunk.length;
    let state = this.#state;
    let rowStart = 0;
    for (let index = 0; index < length; index += 1) {
      const byte = chunk[index] as number;
      if (state === inQuotedCell) {
        if (byte === quote) state = atQuoteInQuotedCell;
        else if (byte === newline) this.#line += 1;
        continue;
      }
      if (state === atQuotedCellStart) {
        if (byte === apostrophe) this.#prefixedCells.push(this.#cell);
        state = inQuotedCell;
        if (byte === quote) state = atQuoteInQuotedCell;
        else if (byte === newline) this.#line += 1;
        continue;
      }
      if (state === atQuoteInQuotedCell) {
        if (byte === quote) {
          state = inQuotedCell;
          continue;
        }
        // The cell's closing quote: this byte is read outside quotes.
        state = inUnquotedCell;
      }
      if (byte === comma) {
        this.#cell += 1;
        state = atCellStart;
      } else if (byte === newline) {
        const row = this.#rowEndingAt(chunk, rowStart, index + 1);
        if (row !== undefined) rows.push(row);
        this.#line += 1;
        this.#rowLine = this.#line;
        rowStart = index + 1;
        state = atCellStart;
      } else if (state === atCellStart && byte === quote) {
        state = stripPrefix ? atQuotedCellStart : inQuotedCell;
      } else {
        state = inUnquotedCell;
      }
    }
    this.#state = state;
    this.#carried.add(chunk.subarray(rowStart));
    return rows;
  }

  /** The row whose bytes end at `end` (just past its LF), or `undefined` for a blank line. */
  #rowEndingAt(chunk: Buffer, start: number, end: number): FramedRow | undefined {
    const line = this.#rowLine;
    const carried = this.#carried;
    const total = carried.length + (end - start);
    const beforeNewline = end - 2 >= start ? chunk[end - 2] : carried.lastByte;
    // The line break (LF or CRLF) does not count towards the limit, nor make a line non-blank.
    const contentBytes = total - (beforeNewline === carriageReturn ? 2 : 1);
    const prefixedCells = this.#prefixedCells;
    this.#cell = 0;
    if (prefixedCells.length > 0) this.#prefixedCells = [];
    if (carried.tooLong || contentBytes > this.#maxRecordBytes) {
      carried.clear();
      return { line, unreadable: reasons.recordTooLong };
    }
    const bytes = carried.take(chunk.subarray(start, end));
    if (contentBytes === 0) return undefined;
    return prefixedCells.length > 0 ? { line, bytes, prefixedCells } : { line, bytes };
  }

  /** The last row, when the file does not end with a line break. */
  #finish(): FramedRow[] {
    if (this.#state === inQuotedCell || this.#state === atQuotedCellStart) {
      return [{ line: this.#rowLine, unreadable: reasons.unclosedQuote }];
    }
    if (!this.#carried.pending) return [];
    // As if the file ended with a line break, which csv-parse reads the same as none.
    const row = this.#rowEndingAt(Buffer.from('\n'), 0, 1);
    return row === undefined ? [] : [row];
  }

  /** Splits the framed rows into cells and keys them by the header (the first row). */
  #decode(rows: FramedRow[]): ExportRecord[] {
    for (const row of rows) {
      if (row.bytes !== undefined && !isUtf8(row.bytes)) {
        row.bytes = undefined;
        row.unreadable = reasons.invalidUtf8;
      }
    }
    let first = 0;
    if (this.#header === undefined) {
      if (rows[0] === undefined) return [];
      this.#header = headerOf(rows[0]);
      first = 1;
    }
    const header = this.#header;
    const readable: FramedRow[] = [];
    for (let index = first; index < rows.length; index += 1) {
      const row = rows[index] as FramedRow;
      if (row.bytes !== undefined) readable.push(row);
    }
    const cells = cellsOf(readable);
    const records: ExportRecord[] = [];
    let next = 0;
    for (let index = first; index < rows.length; index += 1) {
      const row = rows[index] as FramedRow;
      if (row.bytes === undefined) {
        records.push({ line: row.line, unreadable: row.unreadable ?? reasons.invalidCsv });
      } else {
        records.push(this.#recordOf(row, cells[next], header));
        next += 1;
      }
    }
    return records;
  }

  #recordOf(row: FramedRow, cells: string[] | undefined, header: Header): ExportRecord {
    const { line } = row;
    if (cells === undefined) return { line, unreadable: reasons.invalidCsv };
    if (cells.length !== header.names.length) return { line, unreadable: reasons.columnCount };
    for (const cell of row.prefixedCells ?? []) {
      const value = cells[cell];
      if (value?.charCodeAt(0) === apostrophe) cells[cell] = value.slice(1);
    }
    const fields: Record<string, string> = {};
    for (let index = 0; index < cells.length; index += 1) {
      const name = header.names[index] as string;
      const value = cells[index] as string;
      // A column named `__proto__` is kept as a field like any other, never as a prototype.
      if (index === header.protoIndex) {
        Object.defineProperty(fields, name, { value, enumerable: true, writable: true });
      } else {
        fields[name] = value;
      }
    }
    return { line, fields };
  }
}

interface Header {
  names: string[];
  /** The column named `__proto__`, if any (-1: none). */
  protoIndex: number;
}

/** Reads the header row; anything that leaves a column without a usable name throws. */
function headerOf(row: FramedRow): Header {
  if (row.bytes === undefined) {
    const problem =
      row.unreadable === reasons.recordTooLong
        ? 'it is longer than the longest row allowed'
        : row.unreadable === reasons.unclosedQuote
          ? 'it opens a quote that is never closed'
          : 'it is not valid UTF-8';
    throw new CsvHeaderError(problem);
  }
  const [cells] = cellsOf([row]);
  if (cells === undefined) throw new CsvHeaderError('it cannot be read as one CSV row');
  const names = cells.map((name) => name.trim());
  const seen = new Map<string, number>();
  for (const [index, name] of names.entries()) {
    if (name === '') throw new CsvHeaderError(`column ${index + 1} has no name`);
    const first = seen.get(name);
    if (first !== undefined) {
      throw new CsvHeaderError(`columns ${first + 1} and ${index + 1} have the same name`);
    }
    seen.set(name, index);
  }
  return { names, protoIndex: names.indexOf('__proto__') };
}

/**
 * The cells of each framed row: one csv-parse call for all of them (the rows of a chunk lie
 * back to back), or, should its rows not match the framer's one for one, a call per row.
 * `undefined` for a row csv-parse does not read as exactly one row.
 */
function cellsOf(rows: FramedRow[]): (string[] | undefined)[] {
  if (rows.length === 0) return [];
  const together = parseRows(
    rows.length === 1 ? (rows[0]?.bytes as Buffer) : Buffer.concat(rows.map(bytesOf)),
  );
  if (together?.length === rows.length) return together;
  return rows.map((row) => {
    const alone = parseRows(bytesOf(row));
    return alone?.length === 1 ? alone[0] : undefined;
  });
}

function bytesOf(row: FramedRow): Buffer {
  return row.bytes as Buffer;
}

function parseRows(bytes: Buffer): string[][] | undefined {
  try {
    return parse(bytes, cellOptions);
  } catch {
    return undefined;
  }
}
