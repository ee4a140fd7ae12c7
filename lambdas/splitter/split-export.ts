import type { PipelineLogger } from '../../src/logger.ts';
import type { OutcomeRecorder } from '../../src/pipeline/outcome.ts';
import type { UserMessageSink } from '../../src/queue/queue-types.ts';
import type { ExportLine } from '../../src/sources/export-lines.ts';
import type { LineParser } from '../../src/sources/parsed-record.ts';

export interface SplitExportInput {
  jobId: string;
  /** The export's name as operators know it (the S3 key or the local path). */
  sourceFile: string;
  lines: AsyncIterable<ExportLine>;
  parseLine: LineParser;
}

export interface SplitExportDependencies {
  sink: UserMessageSink;
  /** Receives the rejected records; the imported ones are recorded by the consumer. */
  outcomes: OutcomeRecorder;
  logger: PipelineLogger;
}

export interface SplitSummary {
  jobId: string;
  /** Records read: every one is either enqueued or rejected. */
  read: number;
  enqueued: number;
  rejected: number;
}

/**
 * Turns an export into one queue message per user. A record that cannot be imported is
 * rejected with its line number and a reason before any API call; nothing is dropped silently.
 * The sink's back-pressure paces the read, so memory stays flat however large the export.
 */
export async function splitExport(
  input: SplitExportInput,
  deps: SplitExportDependencies,
): Promise<SplitSummary> {
  const summary: SplitSummary = { jobId: input.jobId, read: 0, enqueued: 0, rejected: 0 };
  for await (const { line, text } of input.lines) {
    const parsed = input.parseLine(text);
    if (parsed === undefined) continue;
    summary.read += 1;
    const origin = { jobId: input.jobId, sourceFile: input.sourceFile, line };
    if (parsed.kind === 'rejected') {
      summary.rejected += 1;
      await deps.outcomes.record({
        origin,
        status: 'rejected',
        reason: parsed.reason,
        ...(parsed.sourceId === undefined ? {} : { sourceId: parsed.sourceId }),
      });
      continue;
    }
    await deps.sink.enqueue({ version: 1, origin, user: parsed.user, deferrals: 0 });
    summary.enqueued += 1;
  }
  await deps.sink.flush();
  deps.logger.info('Export split', { ...summary });
  return summary;
}
