import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentSettings } from './environment-settings.ts';

/** The services through which the Lambdas use the key: each grant names one. */
export type KeyUsingService = 's3' | 'sqs' | 'dynamodb';

/**
 * The exact KMS actions each use of the key calls, as AWS documents them for SSE-KMS. No
 * `ReEncrypt*` or `GenerateDataKey*`: only a key change re-encrypts, and the services never ask
 * for a data key pair.
 */
export const keyActions = {
  /**
   * Objects and messages. S3 GetObject and SQS ReceiveMessage decrypt the data key the object
   * or message came with; S3 PutObject needs a new data key; SQS SendMessage needs both (it
   * decrypts a cached data key to check it). Each grant is for a sender, or for a role that
   * reads and writes, so every one needs the pair.
   */
  readAndWrite: ['kms:Decrypt', 'kms:GenerateDataKey'],
  /**
   * Item reads and writes on a table under a customer-managed key: DynamoDB uses the key with
   * the caller's permissions. CDK's own read-write table grant asks for these plus `ReEncrypt*`
   * and `GenerateDataKey*`, which only a change of key would use.
   */
  tableItems: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
} as const satisfies Record<string, readonly string[]>;

/** Properties of a {@link PipelineKey}. */
export interface PipelineKeyProps {
  /**
   * `removalPolicy`: what happens to the key with the stack. It follows the data it protects: a
   * retained bucket or log group under a deleted key could never be read again.
   * `keyAlias`: an optional alias, so operators can name the key in commands and policies.
   */
  readonly settings: Pick<EnvironmentSettings, 'removalPolicy' | 'keyAlias'>;
}

/**
 * The one customer-managed KMS key of an environment. It encrypts every store that can hold an
 * email, a name or a password hash: the export bucket (exports and reports), the user queue, the
 * dead-letter and splitter-failure queues, the migration ledger, the Lambda log groups and the
 * alarm topic.
 *
 * Key policy: the account (so that IAM policies decide who may use it: the Lambda roles get
 * exact actions through {@link grantUseVia}, operators through their own roles, see SECURITY.md);
 * CloudWatch Logs, to encrypt and decrypt this account's log groups in this region; CloudWatch,
 * to publish alarms to the encrypted alarm topic.
 */
export class PipelineKey extends Key {
  constructor(scope: Construct, id: string, props: PipelineKeyProps) {
    const destroy = props.settings.removalPolicy === 'destroy';
    super(scope, id, {
      description:
        'WorkOS user import: exports, reports, queues, migration ledger, logs and alarms of one environment',
      enableKeyRotation: true,
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      // A destroyed environment's key is gone a week later instead of the default 30 days.
      ...(destroy ? { pendingWindow: Duration.days(7) } : {}),
      ...(props.settings.keyAlias === undefined ? {} : { alias: props.settings.keyAlias }),
    });
    const { region, account, partition } = Stack.of(this);

    // CloudWatch Logs encrypts with its own service principal, not the writer's role. The
    // condition holds it to log groups of this account and region: the function log groups
    // cannot be named here (each one names this key, so the key policy naming them would be a
    // cycle), and reading a group still takes logs: permissions on that group.
    this.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
        principals: [new ServicePrincipal(`logs.${region}.amazonaws.com`)],
        // The actions AWS documents for an encrypted log group (Encrypt*, Decrypt*, ReEncrypt*,
        // GenerateDataKey*, Describe*), spelt out, without the key-pair variants.
        actions: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
    // An alarm's notification is published by CloudWatch; SNS then needs a data key with
    // CloudWatch's permissions. Without this, alarms on an encrypted topic deploy cleanly and
    // deliver nothing. Only alarms of this account and region may use it.
    this.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToTheAlarmTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: [...keyActions.readAndWrite],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
  }

  /**
   * Lets `grantee` call exactly `actions` with this key, and only through `service` in this
   * region (`kms:ViaService`): the role can use the key for the bucket, the queues or the table
   * it is granted, never call KMS directly to decrypt something it was handed.
   */
  grantUseVia(grantee: IGrantable, service: KeyUsingService, actions: readonly string[]): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [this.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `${service}.${Stack.of(this).region}.amazonaws.com` },
      },
    });
  }
}
