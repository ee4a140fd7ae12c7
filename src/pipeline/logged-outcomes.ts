import type { PipelineLogger } from '../logger.ts';
import type { OutcomeRecorder } from './outcome.ts';

/**
 * Records each outcome as one structured log line: job, line, source id, status, WorkOS user id
 * and reason, which are safe to log. On AWS this is the per-record audit trail that Logs Insights
 * can query until the migration ledger holds it.
 */
export function loggedOutcomes(logger: PipelineLogger): OutcomeRecorder {
  return {
    async record(outcome) {
      logger.info('Record outcome', {
        jobId: outcome.origin.jobId,
        sourceFile: outcome.origin.sourceFile,
        line: outcome.origin.line,
        sourceId: outcome.sourceId,
        status: outcome.status,
        workosUserId: outcome.workosUserId,
        reason: outcome.reason,
      });
    },
  };
}
