import type { ExportRecord } from '../parsed-record.ts';
import { csvUnreadableReasons, readCsvRecords } from './csv-records.ts';
import { exportBytes } from './export-bytes.ts';
import { corruptionOf } from './gzip.ts';
import { jsonArrayUnreadableReasons, readJsonArrayRecords } from './json-array-records.ts';
import { defaultMaxLineBytes } from './ndjson-lines.ts';
import { ndjsonUnreadableReasons, readNdjsonRecords } from './ndjson-records.ts';
import type { RecordLayout } from './record-layout.ts';

export { CsvHeaderError } from './csv-records.ts';
export { CorruptExportError } from './gzip.ts';
export { MalformedExportError } from './json-array-records.ts';
export {
  defaultHeadBytes,
  detectRecordLayout,
  type RecordLayout,
  readExportHead,
  recordLayouts,
} from './record-layout.ts';

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
  ...ndjsonUnreadableReasons,
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
  const maxRecordBytes = maxRecordBytesOf(options);
  switch (options.layout) {
    case 'ndjson':
      return readNdjsonRecords(body, { maxRecordBytes, skipLine: options.skipLine });
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
  if (options.layout !== 'ndjson') {
    for await (const record of readExportRecords(body, options)) yield [record];
    return;
  }
  const records = readNdjsonRecords(body, {
    maxRecordBytes: maxRecordBytesOf(options),
    skipLine: options.skipLine,
  });
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

function maxRecordBytesOf(options: ReadExportRecordsOptions): number {
  const maxRecordBytes = options.maxRecordBytes ?? defaultMaxLineBytes;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1) {
    throw new RangeError(`maxRecordBytes must be a positive whole number; got ${maxRecordBytes}`);
  }
  return maxRecordBytes;
}
