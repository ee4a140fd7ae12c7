import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbMigrationLedger } from '../ledger/dynamodb-ledger.ts';

/**
 * The ledger as operator commands use it: they read jobs and outcomes, or clear a halt, but never
 * write a record, so the retention a writer stamps on items never applies.
 */
export function operatorLedger(
  dynamodb: DynamoDBClient,
  tableName: string,
): DynamoDbMigrationLedger {
  return new DynamoDbMigrationLedger({ dynamodb, tableName, retentionDays: 1 });
}
