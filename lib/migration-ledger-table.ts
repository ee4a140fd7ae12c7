import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  type CfnGlobalTable,
  ProjectionType,
  TableEncryptionV2,
  TableGrants,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ledgerTable } from '../src/ledger/ledger-table.ts';
import type { EnvironmentSettings } from './environment-settings.ts';
import { keyActions, type PipelineKey } from './pipeline-key.ts';

/**
 * The item actions a Lambda needs to keep the ledger: read a job or a record's outcome, claim and
 * checkpoint a job with conditional writes, and record outcomes in transactions. IAM has no
 * `TransactWriteItems` action: a transaction is authorized item by item as Put, Update and
 * ConditionCheck. Neither function deletes, scans or queries.
 */
export const LEDGER_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** Properties of a {@link MigrationLedgerTable}. */
export interface MigrationLedgerTableProps {
  /**
   * What happens to the table when the stack is deleted. 'retain' also turns on deletion
   * protection, so not even a console click deletes an environment's accounting.
   */
  readonly settings: Pick<EnvironmentSettings, 'removalPolicy'>;
  /**
   * The environment's customer-managed key. Entries hold source ids, which for some identity
   * providers embed an email, so the table is encrypted like the exports.
   */
  readonly encryptionKey: PipelineKey;
}

/**
 * The migration ledger (see `src/ledger/migration-ledger.ts`): one item per job and one per source
 * record, with the key layout from `src/ledger/ledger-table.ts`, which the Lambdas and the tests
 * read too. On-demand, because an import writes in bursts and then sits idle for weeks.
 */
export class MigrationLedgerTable extends TableV2 {
  readonly #key: PipelineKey;

  constructor(scope: Construct, id: string, props: MigrationLedgerTableProps) {
    const retain = props.settings.removalPolicy === 'retain';
    super(scope, id, {
      partitionKey: { name: ledgerTable.partitionKey, type: AttributeType.STRING },
      sortKey: { name: ledgerTable.sortKey, type: AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: ledgerTable.jobsIndex.name,
          partitionKey: { name: ledgerTable.jobsIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: ledgerTable.jobsIndex.sortKey, type: AttributeType.STRING },
          // Listing jobs shows their counters and state: project everything rather than fetch
          // each job again. Job items are few (one per export), so the copy costs little.
          projectionType: ProjectionType.ALL,
        },
      ],
      billing: Billing.onDemand(),
      timeToLiveAttribute: ledgerTable.timeToLiveAttribute,
      // The ledger is what proves every record was accounted for; a bad deploy or a bug that
      // overwrites outcomes must be recoverable.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // SSE with a KMS key (SSEType KMS); which key is set on the replica below.
      encryption: TableEncryptionV2.awsManagedKey(),
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.#key = props.encryptionKey;
    // The environment's key rather than the AWS-managed one: its key policy and IAM decide who
    // may read the ledger, and every use shows up in CloudTrail. TableEncryptionV2's
    // customerManagedKey() would render exactly this, but refuses to in a stack without a fixed
    // region, which this one is on purpose (it deploys wherever the credentials point). The table
    // has one replica, in the stack's own region.
    (this.node.defaultChild as CfnGlobalTable).addPropertyOverride(
      'Replicas.0.SSESpecification.KMSMasterKeyId',
      props.encryptionKey.keyArn,
    );
  }

  /**
   * Lets `grantee` keep the ledger with {@link LEDGER_ITEM_ACTIONS} on the table itself. Narrower
   * than `grantReadWriteData()`, which adds Query, Scan, batch and delete actions and the indexes:
   * the Lambdas address items by key, and only operators list jobs through the index.
   */
  grantItemReadWrite(grantee: IGrantable): Grant {
    // `hasIndex: false` keeps `<table>/index/*` out of the policy.
    const grant = TableGrants.fromTable(this, undefined, false).actions(
      grantee,
      ...LEDGER_ITEM_ACTIONS,
    );
    // Exact actions through DynamoDB only, rather than grantEncryptDecrypt(), whose
    // `kms:ReEncrypt*` and `kms:GenerateDataKey*` no item call needs.
    this.#key.grantUseVia(grantee, 'dynamodb', keyActions.tableItems);
    return grant;
  }
}
