import { mkdir, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MigrationLedger } from '../ledger/migration-ledger.ts';
import { emptyOutcomeCounts, type OutcomeCounts, type RecordOutcome } from '../model/outcome.ts';
import { formatOutcomeReport } from '../model/outcome-report.ts';

/** The report file exists and the caller did not ask to overwrite it. */
export class ReportFileExistsError extends Error {
  override name = 'ReportFileExistsError';
  readonly path: string;

  constructor(path: string, options?: { cause?: unknown }) {
    super(`${path} already exists`, options);
    this.path = path;
  }
}

export interface WriteOutcomeReportOptions {
  ledger: Pick<MigrationLedger, 'listOutcomes'>;
  jobId: string;
  path: string;
  /** Replace an existing file; without it, an existing file is an error and is left alone. */
  overwrite: boolean;
  /** Rows formatted and written at a time: memory stays flat however large the job. @default 1000 */
  rowsPerChunk?: number;
  /** Called after each chunk with the rows written so far. */
  onRows?: (rows: number) => void;
}

export interface WrittenOutcomeReport {
  rows: number;
  byStatus: OutcomeCounts;
}

/**
 * Writes a job's per-record outcomes from the ledger as the CSV local mode's `--report` writes
 * (`source_file,line,source_id,status,workos_user_id,reason`), in line order, streamed: the
 * ledger is paged and rows are written in chunks with back-pressure. A failed write removes the
 * partial file rather than leave a report that looks complete.
 */
export async function writeOutcomeReportFile({
  ledger,
  jobId,
  path,
  overwrite,
  rowsPerChunk = 1000,
  onRows,
}: WriteOutcomeReportOptions): Promise<WrittenOutcomeReport> {
  await mkdir(dirname(path), { recursive: true });
  let file: Awaited<ReturnType<typeof open>>;
  try {
    // 'wx' creates the file or fails if it exists, in one step: no window for a race.
    file = await open(path, overwrite ? 'w' : 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ReportFileExistsError(path, { cause: error });
    }
    throw error;
  }

  const written: WrittenOutcomeReport = { rows: 0, byStatus: emptyOutcomeCounts() };
  async function* csvChunks(): AsyncGenerator<string> {
    let chunk: RecordOutcome[] = [];
    let withHeader = true;
    for await (const outcome of ledger.listOutcomes(jobId)) {
      chunk.push(outcome);
      written.byStatus[outcome.status] += 1;
      if (chunk.length >= rowsPerChunk) {
        yield formatOutcomeReport(chunk, withHeader);
        withHeader = false;
        written.rows += chunk.length;
        onRows?.(written.rows);
        chunk = [];
      }
    }
    if (chunk.length > 0 || withHeader) {
      yield formatOutcomeReport(chunk, withHeader);
      written.rows += chunk.length;
      onRows?.(written.rows);
    }
  }

  try {
    await pipeline(Readable.from(csvChunks()), file.createWriteStream());
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
  return written;
}
