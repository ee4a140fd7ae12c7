import { inject } from 'vitest';
import { DynamoDbMigrationLedger } from '../../src/ledger/dynamodb-ledger.ts';
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
