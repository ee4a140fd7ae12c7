import type { MigrationLedger } from '../ledger/migration-ledger.ts';
import type { PipelineLogger } from '../logger.ts';
import {
  filePositionStride,
  type ImportMessage,
  type RecordOrigin,
  recordPosition,
} from '../model/import-message.ts';
import type { RecordKind, RecordOutcome } from '../model/outcome.ts';
import type { ImportMessageSink } from '../queue/queue-types.ts';
import type { ExportRecord } from '../sources/parsed-record.ts';

/** Where a split starts: at the top, or after the last checkpoint of a cut-off run. */
export interface SplitStart {
  /** The last position split (`recordPosition`): a line, offset by its file in a job of several. */
  afterLine: number;
  read: number;
  enqueued: number;
}

export const splitFromTheTop: SplitStart = { afterLine: 0, read: 0, enqueued: 0 };

/** What becomes of one record of an export. */
export type SplitDecision =
  /** A user, organization or membership for the consumer. */
  | { action: 'enqueue'; message: ImportMessage }
  /** Settled here, before any API call: rejected, or merged into another record. */
  | { action: 'settle'; outcomes: RecordOutcome[] }
  /**
   * Settled by another record's message: a password-export line joined into its user, which
   * ends in the user's state when the consumer records it.
   */
  | { action: 'joined' }
  /** Not a record at all (a blank line). */
  | { action: 'none' };

/** Decides about one decoded record; throws only on a bug or a hostile record (rejected alone). */
export type DecideRecord = (record: ExportRecord, origin: RecordOrigin) => SplitDecision;

/** One file of a job, read in its turn. */
export interface SplitPass {
  /** The file's index in a job of several (its records' positions start at file × 2^32). */
  file?: number;
  /** The file's name as operators know it (the S3 key or the local path). */
  sourceFile: string;
  /**
   * Opens the file's records, in batches in line order (or what planning already knows of
   * them); only called when the pass has records left to split.
   */
  open: () =>
    | Promise<AsyncIterable<ExportRecord[]>>
    | AsyncIterable<ExportRecord[]>
    | Iterable<ExportRecord[]>;
  decide: DecideRecord;
  /** What the file's records are about, for a record rejected because deciding it threw. */
  recordKind?: RecordKind;
}

export interface SplitExportInput {
  jobId: string;
  /** The job's files in the order they are split; file indexes ascend with them. */
  passes: SplitPass[];
  start?: SplitStart;
  /**
   * Asked between records: true when this run must stop and leave the rest to a continuation
   * (a Lambda close to its time limit).
   */
  shouldYield?: () => boolean;
  /** Records between checkpoints: what a cut-off run may have to read again. */
  checkpointEvery?: number;
}

export interface SplitExportDependencies {
  sink: ImportMessageSink;
  ledger: Pick<MigrationLedger, 'recordOutcome' | 'checkpointSplit' | 'completeSplit'>;
  logger: PipelineLogger;
  /** Receives each rejection of this run too, e.g. for a report file. */
  onRejected?: (outcome: RecordOutcome) => void;
}

export interface SplitSummary {
  jobId: string;
  /** Records read so far in the job: every one is enqueued, settled, or joined into another. */
  read: number;
  enqueued: number;
  /** Records not enqueued themselves: rejected, merged into another, or joined into their user. */
  notEnqueued: number;
  /** The last position split; a continuation starts after it. */
  throughLine: number;
  /** False when the run yielded before the end of the export. */
  completed: boolean;
}

/**
 * Turns a job's files into queue messages, one per user, organization or membership. A record
 * that cannot be imported is rejected with its line and a reason before any API call; nothing is
 * dropped silently. The sink's back-pressure paces the read, so memory stays flat however large
 * the export.
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

  for (const pass of input.passes) {
    const file = pass.file ?? 0;
    // A file wholly split before the checkpoint is not opened again.
    if (start.afterLine >= (file + 1) * filePositionStride) continue;
    for await (const batch of await pass.open()) {
      for (const record of batch) {
        const origin: RecordOrigin = {
          jobId: input.jobId,
          sourceFile: pass.sourceFile,
          line: record.line,
          ...(pass.file === undefined ? {} : { file: pass.file }),
        };
        const position = recordPosition(origin);
        if (position <= start.afterLine) continue;
        if (input.shouldYield?.()) {
          await deps.sink.flush();
          await deps.ledger.checkpointSplit(input.jobId, progress(), { release: true });
          return summaryOf(input.jobId, progress(), false, deps.logger);
        }
        throughLine = position;
        const decision = decideSafely(pass.decide, record, origin, pass.recordKind ?? 'user');
        if (decision.action === 'none') continue;
        read += 1;
        if (decision.action === 'enqueue') {
          await deps.sink.enqueue(decision.message);
          enqueued += 1;
        } else if (decision.action === 'settle') {
          for (const outcome of decision.outcomes) {
            await deps.ledger.recordOutcome(outcome);
            if (outcome.status === 'rejected') deps.onRejected?.(outcome);
          }
        }
        sinceCheckpoint += 1;
        if (sinceCheckpoint >= checkpointEvery) {
          await deps.sink.flush();
          await deps.ledger.checkpointSplit(input.jobId, progress());
          sinceCheckpoint = 0;
        }
      }
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

/** A record that makes the decision throw is rejected alone; the rest of the file goes on. */
function decideSafely(
  decide: DecideRecord,
  record: ExportRecord,
  origin: RecordOrigin,
  kind: RecordKind,
): SplitDecision {
  try {
    return decide(record, origin);
  } catch {
    return {
      action: 'settle',
      outcomes: [{ origin, kind, status: 'rejected', reason: 'unparseable_record' }],
    };
  }
}
