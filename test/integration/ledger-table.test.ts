/**
 * Proves `createLedgerTable` builds the table the CDK construct deploys, so that ledger tests
 * against the emulator exercise the same keys, index and TTL as production.
 */
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  jobPartitionKey,
  jobSortKey,
  jobsIndexPartition,
  ledgerTable,
} from '../../src/ledger/ledger-table.ts';
import { createLedgerTable, createTestAwsClients } from '../helpers/aws-clients.ts';

const { dynamodb } = createTestAwsClients(inject('awsEndpoint'));
let tableName: string;

beforeAll(async () => {
  tableName = await createLedgerTable(dynamodb);
});

afterAll(() => {
  dynamodb.destroy();
});

describe('Helper: createLedgerTable()', () => {
  it('creates an on-demand table keyed like the deployed ledger, with the jobs index', async () => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: ledgerTable.partitionKey, KeyType: 'HASH' },
      { AttributeName: ledgerTable.sortKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      ledgerTable.jobsIndex.name,
    ]);
  });

  it('expires items through the TTL attribute', async () => {
    const { TimeToLiveDescription } = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    expect(TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: ledgerTable.timeToLiveAttribute,
    });
  });

  it('stores a job item, reads it back by key and lists it through the jobs index', async () => {
    const job = {
      [ledgerTable.partitionKey]: jobPartitionKey('job-smoke'),
      [ledgerTable.sortKey]: jobSortKey,
      [ledgerTable.jobsIndex.partitionKey]: jobsIndexPartition,
      [ledgerTable.jobsIndex.sortKey]: '2026-11-23T17:00:00.000Z',
      [ledgerTable.timeToLiveAttribute]: Math.floor(Date.now() / 1000) + 86_400,
      state: 'splitting',
    };
    await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: marshall(job) }));

    const { Item } = await dynamodb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: marshall({
          [ledgerTable.partitionKey]: jobPartitionKey('job-smoke'),
          [ledgerTable.sortKey]: jobSortKey,
        }),
        ConsistentRead: true,
      }),
    );
    expect(Item && unmarshall(Item)).toEqual(job);

    const { Items = [] } = await dynamodb.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: ledgerTable.jobsIndex.name,
        KeyConditionExpression: '#partition = :jobs',
        ExpressionAttributeNames: { '#partition': ledgerTable.jobsIndex.partitionKey },
        ExpressionAttributeValues: marshall({ ':jobs': jobsIndexPartition }),
      }),
    );
    expect(Items.map((item) => unmarshall(item).state)).toEqual(['splitting']);
  });
});
