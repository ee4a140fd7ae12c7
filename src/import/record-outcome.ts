import type { ParsedImportMessage } from '../model/import-message.ts';
import { recordPosition, sourceIdOf } from '../model/import-message.ts';
import type { RecordOutcome } from '../model/outcome.ts';
import type { ImportBatchDependencies } from './import-batch.ts';

/**
 * Records an outcome in the ledger and logs it: one structured line per record, no PII, with the
 * time the WorkOS calls took when there were any (the dashboard's WorkOS latency).
 */
export async function recordOutcome(
  outcome: RecordOutcome,
  deps: ImportBatchDependencies,
  timing: { workosMs?: number } = {},
): Promise<void> {
  const result = await deps.ledger.recordOutcome(outcome);
  const fields = {
    jobId: outcome.origin.jobId,
    line: outcome.origin.line,
    file: outcome.origin.file,
    kind: outcome.kind,
    status: outcome.status,
    workosUserId: outcome.workosUserId,
    reason: outcome.reason,
    ledger: result,
    ...timing,
  };
  if (outcome.status === 'failed') deps.logger.warn('Record outcome', fields);
  else deps.logger.info('Record outcome', fields);
}

/**
 * A password-export line joined into this user ends in the user's state: recorded after the
 * user's own outcome, and again on any later delivery (the first may have stopped in between),
 * which is harmless: a final outcome is recorded once.
 */
export async function settleJoinedRecords(
  message: ParsedImportMessage,
  deps: ImportBatchDependencies,
): Promise<void> {
  if (message.joined === undefined || message.joined.length === 0) return;
  const primary = await deps.ledger.outcomeOf(message.origin.jobId, recordPosition(message.origin));
  if (primary === undefined) return;
  for (const joined of message.joined) {
    await recordOutcome(
      {
        origin: joined,
        kind: 'joined',
        sourceId: sourceIdOf(message),
        status: primary.status,
        ...(primary.workosUserId ? { workosUserId: primary.workosUserId } : {}),
        reason: `joined_into_line:${message.origin.line}`,
      },
      deps,
    );
  }
}
