import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  type ReadExportRecordsOptions,
  readExportRecords,
} from '../../src/sources/formats/export-records.ts';
import type { ExportRecord } from '../../src/sources/parsed-record.ts';

/** A damaged input must reject within this, never hang the splitter. */
export const noHangTimeoutMs = 5_000;

export function chunksOfSize(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    chunks.push(bytes.subarray(offset, offset + size));
  }
  return chunks;
}

/**
 * The same content as a reader may get it: plain or gzip, in chunks of 1, 3 and 7 bytes (every
 * boundary falls inside a quoted value, an escape, a CRLF or a multi-byte character somewhere)
 * or whole.
 */
export const deliveries = [false, true].flatMap((gzip) =>
  [1, 3, 7, undefined].map((size) => ({
    delivery: `${gzip ? 'gzip' : 'plain'}, ${size === undefined ? 'whole' : `${size}-byte chunks`}`,
    chunks: (bytes: Buffer) => {
      const stored = gzip ? gzipSync(bytes) : bytes;
      return size === undefined ? [stored] : chunksOfSize(stored, size);
    },
  })),
);

/** Readers of one layout: every record, or the records before a failure and the failure. */
export function recordReading(layout: ReadExportRecordsOptions['layout']) {
  type Options = Partial<ReadExportRecordsOptions>;
  async function readUntilFailure(
    chunks: Buffer[],
    options: Options = {},
  ): Promise<{ records: ExportRecord[]; error: unknown }> {
    const records: ExportRecord[] = [];
    try {
      for await (const record of readExportRecords(Readable.from(chunks), {
        layout,
        ...options,
      })) {
        records.push(record);
      }
    } catch (error) {
      return { records, error };
    }
    return { records, error: undefined };
  }
  async function readAll(chunks: Buffer[], options: Options = {}): Promise<ExportRecord[]> {
    const { records, error } = await readUntilFailure(chunks, options);
    if (error !== undefined) throw error;
    return records;
  }
  return { readAll, readUntilFailure };
}

/**
 * `bytes` in 1 KiB chunks from a source that notes when it is let go (its generator finished or
 * returned early), so a test can check that a reader stopping early releases it.
 */
export function releasableSource(bytes: Buffer) {
  const state = { released: false };
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (let offset = 0; offset < bytes.length; offset += 1024) {
        yield bytes.subarray(offset, offset + 1024);
      }
    } finally {
      state.released = true;
    }
  }
  return { chunks: chunks(), released: () => state.released };
}
