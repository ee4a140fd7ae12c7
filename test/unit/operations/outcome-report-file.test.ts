import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MigrationLedger } from '../../../src/ledger/migration-ledger.ts';
import type { RecordOutcome } from '../../../src/model/outcome.ts';
import { formatOutcomeReport } from '../../../src/model/outcome-report.ts';
import {
  ReportFileExistsError,
  writeOutcomeReportFile,
} from '../../../src/operations/outcome-report-file.ts';

const header = 'source_file,line,source_id,status,workos_user_id,reason\n';

function outcome(line: number): RecordOutcome {
  const origin = { jobId: 'job_test', sourceFile: 'exports/users.ndjson', line };
  if (line % 10 === 0)
    return {
      origin,
      kind: 'user',
      sourceId: `auth0|${line}`,
      status: 'rejected',
      reason: 'missing_email',
    };
  return {
    origin,
    kind: 'user',
    sourceId: `auth0|${line}`,
    status: 'created',
    workosUserId: `user_${line}`,
  };
}

/** A ledger whose outcomes come from a generator, as the DynamoDB ledger pages them. */
function ledgerOf(
  outcomes: () => AsyncGenerator<RecordOutcome>,
): Pick<MigrationLedger, 'listOutcomes'> {
  return { listOutcomes: () => outcomes() };
}

async function* outcomesUpTo(count: number): AsyncGenerator<RecordOutcome> {
  for (let line = 1; line <= count; line += 1) yield outcome(line);
}

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'outcome-report-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('writeOutcomeReportFile()', () => {
  it('writes one header and every row, in chunks, byte for byte as local mode formats them', async () => {
    const path = join(directory, 'reports', 'job.csv');
    const progress: number[] = [];

    const written = await writeOutcomeReportFile({
      ledger: ledgerOf(() => outcomesUpTo(2_500)),
      jobId: 'job_test',
      path,
      overwrite: false,
      rowsPerChunk: 1_000,
      onRows: (rows) => progress.push(rows),
    });

    const all = Array.from({ length: 2_500 }, (_, index) => outcome(index + 1));
    expect(await readFile(path, 'utf8')).toBe(formatOutcomeReport(all));
    expect(written).toEqual({
      rows: 2_500,
      byStatus: { created: 2_250, updated: 0, unchanged: 0, rejected: 250, failed: 0 },
    });
    expect(progress).toEqual([1_000, 2_000, 2_500]);
  });

  it('writes the header alone for a job without outcomes', async () => {
    const path = join(directory, 'empty.csv');

    await writeOutcomeReportFile({
      ledger: ledgerOf(() => outcomesUpTo(0)),
      jobId: 'job_test',
      path,
      overwrite: false,
    });

    expect(await readFile(path, 'utf8')).toBe(header);
  });

  it('refuses to overwrite an existing file, leaving it as it was', async () => {
    const path = join(directory, 'kept.csv');
    await writeFile(path, 'precious');

    const writing = writeOutcomeReportFile({
      ledger: ledgerOf(() => outcomesUpTo(3)),
      jobId: 'job_test',
      path,
      overwrite: false,
    });

    await expect(writing).rejects.toBeInstanceOf(ReportFileExistsError);
    expect(await readFile(path, 'utf8')).toBe('precious');
  });

  it('replaces an existing file when asked to', async () => {
    const path = join(directory, 'replaced.csv');
    await writeFile(path, 'stale\n'.repeat(1_000));

    await writeOutcomeReportFile({
      ledger: ledgerOf(() => outcomesUpTo(2)),
      jobId: 'job_test',
      path,
      overwrite: true,
    });

    expect(await readFile(path, 'utf8')).toBe(formatOutcomeReport([outcome(1), outcome(2)]));
  });

  it('removes the partial file when reading the ledger fails midway', async () => {
    const path = join(directory, 'partial.csv');
    async function* failing(): AsyncGenerator<RecordOutcome> {
      yield* outcomesUpTo(1_500);
      throw new Error('ProvisionedThroughputExceededException');
    }

    const writing = writeOutcomeReportFile({
      ledger: ledgerOf(failing),
      jobId: 'job_test',
      path,
      overwrite: false,
      rowsPerChunk: 500,
    });

    await expect(writing).rejects.toThrow('ProvisionedThroughputExceededException');
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
