import { WorkOsAuthenticationError } from '../errors.ts';
import type { MigrationLedger } from '../ledger/migration-ledger.ts';
import type { PipelineLogger } from '../logger.ts';
import { importMessageSchema } from '../model/import-message.ts';
import type { BatchResult, ReceivedMessage } from '../queue/queue-types.ts';
import { type ImportBatchDependencies, importBatch } from './import-batch.ts';

export interface ImportHalt {
  /** The jobs marked halted. */
  jobIds: string[];
  reason: string;
}

/**
 * Imports a batch; when WorkOS refuses the API key, marks the batch's jobs halted with the
 * reason, lets the caller stop consuming (`onHalt`: the Lambda disables its event source, local
 * mode stops its run), and throws: nothing in the batch is acknowledged, every message waits on
 * the queue for the fixed key. Every kind of message names its job (organizations are split
 * first, so a bad key often meets them before any user).
 */
export async function importBatchOrHalt(
  messages: ReceivedMessage[],
  deps: ImportBatchDependencies & { ledger: Pick<MigrationLedger, 'haltJob'> },
  onHalt: (halt: ImportHalt) => Promise<void>,
): Promise<BatchResult> {
  try {
    return await importBatch(messages, deps);
  } catch (error) {
    if (error instanceof WorkOsAuthenticationError) {
      const halt = await haltJobs(jobIdsOf(messages), error, deps);
      await onHalt(halt);
    }
    throw error;
  }
}

/** Marks jobs halted because WorkOS refused the key, and says so once, for the operator. */
export async function haltJobs(
  jobIds: Iterable<string>,
  error: WorkOsAuthenticationError,
  { ledger, logger }: { ledger: Pick<MigrationLedger, 'haltJob'>; logger: PipelineLogger },
): Promise<ImportHalt> {
  const halted = [...new Set(jobIds)];
  for (const jobId of halted) await ledger.haltJob(jobId, error.reason);
  logger.error(
    'Import halted: WorkOS refused the API key. Fix the key, then run `migrate resume`.',
    {
      reason: error.reason,
      jobIds: halted,
    },
  );
  return { jobIds: halted, reason: error.reason };
}

function jobIdsOf(messages: ReceivedMessage[]): string[] {
  const jobIds: string[] = [];
  for (const message of messages) {
    try {
      const parsed = importMessageSchema.safeParse(JSON.parse(message.body));
      if (parsed.success) jobIds.push(parsed.data.origin.jobId);
    } catch {
      // Not an import message: it has no job to halt.
    }
  }
  return jobIds;
}
