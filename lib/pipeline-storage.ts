import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Construct } from 'constructs';
import { manifestFileName } from '../src/model/job-manifest.ts';
import { EXPORT_PREFIX, JOB_PREFIX } from '../src/model/key-prefixes.ts';
import { acknowledge } from './compliance-checks.ts';
import type { EnvironmentSettings } from './environment-settings.ts';
import type { PipelineKey } from './pipeline-key.ts';

export {
  EXPORT_PREFIX,
  JOB_PREFIX,
  REPORT_PREFIX,
  SNAPSHOT_PREFIX,
} from '../src/model/key-prefixes.ts';

/** The object that starts a job of several files. */
export const MANIFEST_SUFFIX = `/${manifestFileName}`;

/** Properties of {@link addExportBucket}. */
export interface ExportBucketProps {
  readonly settings: Pick<EnvironmentSettings, 'exportRetentionDays'>;
  /** Encrypts every object; uploads under any other key are refused. */
  readonly dataKey: PipelineKey;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The bucket operators upload exports to and read reports from: its encryption, its lifecycle
 * and the bucket policy that keeps every object under the data key.
 *
 * Created in `scope` itself, under the id `ExportBucket`, not in a construct of its own: the
 * logical id is the one deployed stacks already have, and a new one would replace the bucket.
 */
export function addExportBucket(scope: Construct, props: ExportBucketProps): Bucket {
  const { settings, dataKey, removalPolicy } = props;
  const bucket = new Bucket(scope, 'ExportBucket', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    // No ACLs at all: the bucket policy and IAM are the only ways in.
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    encryption: BucketEncryption.KMS,
    encryptionKey: dataKey,
    // One KMS call per bucket key instead of one per object: cheaper, and far fewer KMS
    // requests against the account's quota when an import writes reports.
    bucketKeyEnabled: true,
    versioned: true,
    // No prefix filter: the rules cover exports/, reports/ and the jobs' WorkOS snapshots
    // (snapshots/) alike, and anything else.
    lifecycleRules: [
      {
        id: 'expire-exports-and-reports',
        // Exports hold password hashes, snapshots what WorkOS holds of each user: keep them no
        // longer than the import needs.
        expiration: Duration.days(settings.exportRetentionDays),
        // Versioning is for recovering from a mistaken overwrite, not for keeping old exports
        // (or a WorkOS listing's replaced checkpoints).
        noncurrentVersionExpiration: Duration.days(1),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
      {
        // S3 forbids this beside `expiration` in one rule. Once an expired export's old
        // version is gone, its delete marker is all that is left: remove it too.
        id: 'remove-expired-delete-markers',
        expiredObjectDeleteMarker: true,
      },
    ],
    removalPolicy,
    autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
  });
  requireTheDataKeyForEveryObject(bucket, dataKey);
  acknowledge(
    bucket,
    'AwsSolutions-S1',
    'No server access logs: the bucket holds short-lived exports (exportRetentionDays) that operators upload and the splitter reads. A log bucket would be one more store to secure and expire; object-level audit, where required, comes from CloudTrail S3 data events on the account trail.',
  );
  return bucket;
}

/**
 * Every object in the bucket is encrypted with the data key: the bucket's default does that
 * for an upload that names no encryption, and these refuse an upload that asks for another
 * (SSE-S3, or another KMS key), which S3 would otherwise honour.
 */
function requireTheDataKeyForEveryObject(bucket: Bucket, dataKey: PipelineKey): void {
  const denyPut = (sid: string, condition: Record<string, string>) =>
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid,
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions: { StringNotEqualsIfExists: condition },
      }),
    );
  denyPut('DenyObjectsNotEncryptedWithKms', { 's3:x-amz-server-side-encryption': 'aws:kms' });
  denyPut('DenyObjectsEncryptedWithAnotherKey', {
    's3:x-amz-server-side-encryption-aws-kms-key-id': dataKey.keyArn,
  });
}

/**
 * The uploads that start an import: a single export under {@link EXPORT_PREFIX}, or a job's
 * manifest under {@link JOB_PREFIX}. Nothing else in the bucket invokes the splitter.
 */
export function notifySplitterOfUploads(bucket: Bucket, splitter: IFunction): void {
  bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(splitter), {
    prefix: EXPORT_PREFIX,
  });
  bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(splitter), {
    prefix: JOB_PREFIX,
    suffix: MANIFEST_SUFFIX,
  });
  acknowledgeNotificationsHandler(Stack.of(bucket));
}

/**
 * S3 notifications are written at deploy time by CDK's singleton BucketNotificationsHandler,
 * created at the stack's root by addEventNotification().
 */
function acknowledgeNotificationsHandler(stack: Stack): void {
  const handler = stack.node.children.find((child) =>
    child.node.id.startsWith('BucketNotificationsHandler'),
  );
  if (handler === undefined) return; // CDK renamed it: cdk-nag will say so, by its new name.
  acknowledge(
    handler,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's BucketNotificationsHandler runs only during deployments, to write the export bucket's notification configuration, and CDK gives its role the basic execution policy so it can log to a log group Lambda creates on first run. A role of our own would need the same log permissions on a wildcard.",
  );
}
