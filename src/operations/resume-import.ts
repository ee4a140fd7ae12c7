import {
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import type { MigrationLedger } from '../ledger/migration-ledger.ts';

export interface ResumeImportResult {
  /** Halted jobs that are halted no more. */
  resumedJobs: string[];
  /** Event source mappings of the consumer switched back on. */
  enabledEventSources: string[];
}

/**
 * Undoes the stop the consumer makes when WorkOS refuses the API key: clears the halt of the
 * given jobs (all halted jobs when none is named) and re-enables the consumer's event source, so
 * the users waiting on the queue are imported. Run it after the secret holds a valid key.
 */
export async function resumeImport({
  ledger,
  lambda,
  consumerFunctionName,
  jobIds,
}: {
  ledger: Pick<MigrationLedger, 'getJob' | 'listJobs' | 'resumeJob'>;
  lambda: LambdaClient;
  consumerFunctionName: string;
  jobIds?: string[];
}): Promise<ResumeImportResult> {
  const candidates =
    jobIds === undefined || jobIds.length === 0
      ? await ledger.listJobs(100)
      : await Promise.all(jobIds.map((jobId) => ledger.getJob(jobId)));
  const resumedJobs: string[] = [];
  for (const job of candidates) {
    if (job?.haltReason === undefined) continue;
    await ledger.resumeJob(job.jobId);
    resumedJobs.push(job.jobId);
  }

  const enabledEventSources: string[] = [];
  const mappings = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: consumerFunctionName }),
  );
  for (const mapping of mappings.EventSourceMappings ?? []) {
    if (mapping.UUID === undefined || mapping.State === 'Enabled' || mapping.State === 'Enabling') {
      continue;
    }
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: true }));
    enabledEventSources.push(mapping.UUID);
  }
  return { resumedJobs, enabledEventSources };
}
