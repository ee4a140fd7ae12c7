import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import { resumeImport } from '../../../src/operations/resume-import.ts';

async function ledgerWithJobs() {
  const ledger = new InMemoryMigrationLedger();
  for (const jobId of ['job_halted_a', 'job_halted_b', 'job_fine']) {
    await ledger.claimSplit({ jobId, sourceFile: `${jobId}.ndjson` }, Number.MAX_SAFE_INTEGER);
  }
  await ledger.haltJob('job_halted_a', 'workos_unauthorized');
  await ledger.haltJob('job_halted_b', 'workos_unauthorized');
  return ledger;
}

describe('Function: resumeImport()', () => {
  it('clears every halted job and re-enables the disabled consumer event source', async () => {
    const ledger = await ledgerWithJobs();
    const lambda = mockClient(LambdaClient);
    lambda.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: [{ UUID: 'esm-1', State: 'Disabled' }],
    });
    lambda.on(UpdateEventSourceMappingCommand).resolves({});

    const result = await resumeImport({
      ledger,
      lambda: lambda as unknown as LambdaClient,
      consumerFunctionName: 'consumer-fn',
    });

    expect(result).toEqual({
      resumedJobs: expect.arrayContaining(['job_halted_a', 'job_halted_b']),
      enabledEventSources: ['esm-1'],
    });
    expect(result.resumedJobs).toHaveLength(2);
    expect((await ledger.getJob('job_halted_a'))?.haltReason).toBeUndefined();
    expect(lambda.commandCalls(ListEventSourceMappingsCommand)[0]?.args[0].input).toEqual({
      FunctionName: 'consumer-fn',
    });
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)[0]?.args[0].input).toEqual({
      UUID: 'esm-1',
      Enabled: true,
    });
  });

  it('resumes only the jobs named, and leaves an enabled event source alone', async () => {
    const ledger = await ledgerWithJobs();
    const lambda = mockClient(LambdaClient);
    lambda.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: [{ UUID: 'esm-1', State: 'Enabled' }],
    });

    const result = await resumeImport({
      ledger,
      lambda: lambda as unknown as LambdaClient,
      consumerFunctionName: 'consumer-fn',
      jobIds: ['job_halted_b', 'job_fine', 'job_unknown'],
    });

    expect(result).toEqual({ resumedJobs: ['job_halted_b'], enabledEventSources: [] });
    expect((await ledger.getJob('job_halted_a'))?.haltReason).toBe('workos_unauthorized');
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)).toHaveLength(0);
  });
});
