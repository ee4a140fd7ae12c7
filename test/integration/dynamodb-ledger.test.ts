import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { DynamoDbMigrationLedger } from '../../src/ledger/dynamodb-ledger.ts';
import {
  jobPartitionKey,
  jobSortKey,
  ledgerTable,
  recordSortKey,
} from '../../src/ledger/ledger-table.ts';
import { createLedgerTable, createTestAwsClients } from '../helpers/aws-clients.ts';
import { describeLedgerContract, describeRecordClaimContract } from '../helpers/ledger-contract.ts';

const { dynamodb } = createTestAwsClients(inject('awsEndpoint'));
let tableName: Promise<string> | undefined;

/** One table for the file (each test uses its own job ids), created on first use. */
async function onDynamoDb(now: () => number) {
  tableName ??= createLedgerTable(dynamodb);
  return new DynamoDbMigrationLedger({
    dynamodb,
    tableName: await tableName,
    retentionDays: 30,
    now,
  });
}

describeLedgerContract('DynamoDbMigrationLedger (moto)', onDynamoDb);
describeRecordClaimContract('DynamoDbMigrationLedger (moto)', onDynamoDb);

describe('DynamoDbMigrationLedger (moto) with items stored before records had a kind', () => {
  const jobId = `job_kindless_${Date.now()}`;
  const sourceFile = 'exports/passwords.json';

  /** A record item and its counter as an earlier version wrote them: no kind anywhere. */
  async function storeKindless(line: number, status: string, reason: string) {
    const table = await tableName;
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: marshall({
          [ledgerTable.partitionKey]: jobPartitionKey(jobId),
          [ledgerTable.sortKey]: recordSortKey(line),
          line,
          sourceFile,
          status,
          reason,
        }),
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: marshall({
          [ledgerTable.partitionKey]: jobPartitionKey(jobId),
          [ledgerTable.sortKey]: jobSortKey,
        }),
        UpdateExpression: 'ADD #status :one',
        ExpressionAttributeNames: { '#status': status },
        ExpressionAttributeValues: marshall({ ':one': 1 }),
      }),
    );
  }

  it('counts their outcomes as users, infers a joined record from its reason, and moves them right', async () => {
    const ledger = await onDynamoDb(Date.now);
    await ledger.claimSplit({ jobId, sourceFile }, Date.now() + 60_000);
    await storeKindless(1, 'created', 'joined_into_line:9');
    await storeKindless(2, 'failed', 'workos_503');

    const before = await ledger.getJob(jobId);
    const joined = await ledger.outcomeOf(jobId, 1);
    await ledger.recordOutcome({
      origin: { jobId, sourceFile, line: 2 },
      kind: 'joined',
      status: 'created',
      reason: 'joined_into_line:10',
    });
    const after = await ledger.getJob(jobId);

    expect(before?.countsByKind.user).toMatchObject({ created: 1, failed: 1 });
    expect(before?.countsByKind.joined).toMatchObject({ created: 0, failed: 0 });
    expect(joined?.kind).toBe('joined');
    expect(after?.counts).toMatchObject({ created: 2, failed: 0 });
    expect(after?.countsByKind.user).toMatchObject({ created: 1, failed: 0 });
    expect(after?.countsByKind.joined).toMatchObject({ created: 1, failed: 0 });
  });
});
