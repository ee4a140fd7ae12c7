import type { MigrationLedger } from '../../src/ledger/migration-ledger.ts';
import type { PipelineLogger } from '../../src/logger.ts';
import type { DuplicateEmailPlan } from '../../src/pipeline/duplicate-emails.ts';
import type { RecordOutcome } from '../../src/pipeline/outcome.ts';
import type { UserMessageSink } from '../../src/queue/queue-types.ts';
import type { ExportLine } from '../../src/sources/export-lines.ts';
import type { LineParser, ParsedRecord } from '../../src/sources/parsed-record.ts';

/** Where a split starts: at the top, or after the last checkpoint of a cut-off run. */
export interface SplitStart {
  afterLine: number;
  read: number;
  enqueued: number;
}

export const splitFromTheTop: SplitStart = { afterLine: 0, read: 0, enqueued: 0 };

export interface SplitExportInput {
  jobId: string;
  /** The export's name as operators know it (the S3 key or the local path). */
  sourceFile: string;
  lines: AsyncIterable<ExportLine>;
  parseLine: LineParser;
  start?: SplitStart;
  /**
   * Asked between records: true when this run must stop and leave the rest to a continuation
   * (a Lambda close to its time limit).
   */
  shouldYield?: () => boolean;
  /** Records between checkpoints: what a cut-off run may have to read again. */
  checkpointEvery?: number;
  /** Records that share an email with another, which stands for them (see `planDuplicateEmails`). */
  duplicates?: DuplicateEmailPlan;
}

export interface SplitExportDependencies {
  sink: UserMessageSink;
  ledger: Pick<MigrationLedger, 'recordOutcome' | 'checkpointSplit' | 'completeSplit'>;
  logger: PipelineLogger;
  /** Receives each rejection of this run too, e.g. for a report file. */
  onRejected?: (outcome: RecordOutcome) => void;
}

export interface SplitSummary {
  jobId: string;
  /** Records read so far in the job: every one is enqueued, rejected or merged into another. */
  read: number;
  enqueued: number;
  /** Records settled at split time: rejected, or merged into the record holding their email. */
  notEnqueued: number;
  /** The last line split; a continuation starts after it. */
  throughLine: number;
  /** False when the run yielded before the end of the export. */
  completed: boolean;
}

/**
 * Turns an export into one queue message per user. A record that cannot be imported is
 * rejected with its line number and a reason before any API call; nothing is dropped silently.
 * The sink's back-pressure paces the read, so memory stays flat however large the export.
 *
 * Progress is checkpointed in the ledger after the sink has flushed, so a run that is cut off
 * (or yields near its time limit) resumes after the last checkpoint: no record is lost, and at
 * most `checkpointEvery` records are enqueued a second time, which the consumer recognises.
 */
export async function splitExport(
  input: SplitExportInput,
  deps: SplitExportDependencies,
): Promise<SplitSummary> {
  const start = input.start ?? splitFromTheTop;
  const checkpointEvery = input.checkpointEvery ?? 20_000;
  let read = start.read;
  let enqueued = start.enqueued;
  let throughLine = start.afterLine;
  let sinceCheckpoint = 0;
  const progress = () => ({ throughLine, read, enqueued });

  for await (const { line, text, unreadable } of input.lines) {
    if (line <= start.afterLine) continue;
    if (input.shouldYield?.()) {
      await deps.sink.flush();
      await deps.ledger.checkpointSplit(input.jobId, progress(), { release: true });
      return summaryOf(input.jobId, progress(), false, deps.logger);
    }
    throughLine = line;
    const parsed: ParsedRecord | undefined =
      unreadable === undefined
        ? parseSafely(input.parseLine, text)
        : { kind: 'rejected', reason: unreadable };
    if (parsed === undefined) continue;
    read += 1;
    const origin = { jobId: input.jobId, sourceFile: input.sourceFile, line };
    if (parsed.kind === 'rejected') {
      const outcome: RecordOutcome = {
        origin,
        status: 'rejected',
        reason: parsed.reason,
        ...(parsed.sourceId === undefined ? {} : { sourceId: parsed.sourceId }),
      };
      await deps.ledger.recordOutcome(outcome);
      deps.onRejected?.(outcome);
    } else if (input.duplicates?.mergedInto(parsed.user.email, line) !== undefined) {
      const winnerLine = input.duplicates.mergedInto(parsed.user.email, line);
      await deps.ledger.recordOutcome({
        origin,
        sourceId: parsed.user.sourceId,
        status: 'unchanged',
        reason: `merged_into_line:${winnerLine}`,
      });
    } else {
      await deps.sink.enqueue({ version: 1, origin, user: parsed.user, deferrals: 0 });
      enqueued += 1;
    }
    sinceCheckpoint += 1;
    if (sinceCheckpoint >= checkpointEvery) {
      await deps.sink.flush();
      await deps.ledger.checkpointSplit(input.jobId, progress());
      sinceCheckpoint = 0;
    }
  }
  await deps.sink.flush();
  await deps.ledger.completeSplit(input.jobId, progress());
  return summaryOf(input.jobId, progress(), true, deps.logger);
}

function summaryOf(
  jobId: string,
  progress: { throughLine: number; read: number; enqueued: number },
  completed: boolean,
  logger: PipelineLogger,
): SplitSummary {
  const summary = { jobId, ...progress, notEnqueued: progress.read - progress.enqueued, completed };
  logger.info(completed ? 'Export split' : 'Export split paused for a continuation', {
    ...summary,
  });
  return summary;
}

/** A parser that throws on a hostile line rejects that line alone; the rest of the file goes on. */
function parseSafely(parseLine: LineParser, text: string): ParsedRecord | undefined {
  try {
    return parseLine(text);
  } catch {
    return { kind: 'rejected', reason: 'unparseable_record' };
  }
}
