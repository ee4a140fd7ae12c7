import type { ExportRecord } from '../parsed-record.ts';
import { BatchIterator, type BatchSource } from './batch-iterator.ts';
import {
  type ExportLine,
  type ExportLineStream,
  readExportLines,
  unreadableReasons,
} from './ndjson-lines.ts';

/** Why an NDJSON record could not be decoded: its line's reasons, and the JSON it holds. */
export const ndjsonUnreadableReasons = {
  ...unreadableReasons,
  /** Not JSON. */
  invalidJson: 'invalid_json',
  /** JSON, but not an object (a string, a number, an array, `null`). */
  notAnObject: 'not_an_object',
} as const;

export interface NdjsonReaderOptions {
  maxRecordBytes: number;
  /** Lines the caller knows are settled elsewhere, left out without being parsed. */
  skipLine?: ((line: number) => boolean) | undefined;
}

/**
 * The records of an NDJSON export: each line a JSON object, read by `readExportLines`, whose
 * verdicts on a line pass through; blank lines yield nothing. One at a time, or a few dozen at
 * a time (`nextBatch`).
 */
export function readNdjsonRecords(
  body: AsyncIterable<Uint8Array>,
  options: NdjsonReaderOptions,
): BatchIterator<ExportRecord> {
  const lines = readExportLines(body, { maxLineBytes: options.maxRecordBytes });
  return new BatchIterator(new NdjsonRecordParser(lines, options.skipLine));
}

const reasons = ndjsonUnreadableReasons;

/** Records parsed at a time by the NDJSON reader: enough to make each await cheap. */
const recordsPerBatch = 32;

class NdjsonRecordParser implements BatchSource<ExportRecord> {
  readonly #lines: ExportLineStream;
  readonly #skipLine: ((line: number) => boolean) | undefined;
  /** Lines from the line reader not parsed yet. */
  #lineBatch: ExportLine[] = [];
  #nextLine = 0;

  constructor(lines: ExportLineStream, skipLine?: (line: number) => boolean) {
    this.#lines = lines;
    this.#skipLine = skipLine;
  }

  /**
   * The next records (never none), or `undefined` at the end: at most `recordsPerBatch`, so that
   * few parsed records are alive at once (records kept across young-generation collections are
   * promoted to the old generation, whose growth is what the splitter's memory is sized for).
   */
  async readBatch(): Promise<ExportRecord[] | undefined> {
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
          records.push({ line, unreadable: reasons.invalidJson });
          continue;
        }
        records.push(
          typeof value !== 'object' || value === null || Array.isArray(value)
            ? { line, unreadable: reasons.notAnObject }
            : { line, fields: value as Record<string, unknown> },
        );
      }
      if (records.length > 0) return records;
    }
  }

  async release(): Promise<void> {
    this.#lineBatch = [];
    await this.#lines.return();
  }
}

function isBlank(text: string): boolean {
  // The common case, a line starting with `{`, is decided without a trimmed copy.
  return text.length === 0 || (text.charCodeAt(0) <= 0x20 && text.trim() === '');
}
