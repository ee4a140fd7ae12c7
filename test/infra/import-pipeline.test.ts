import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseEnvironmentSettings } from '../../lib/environment-settings.ts';
import {
  EXPORT_PREFIX,
  JOB_PREFIX,
  MANIFEST_SUFFIX,
  REPORT_PREFIX,
  SNAPSHOT_PREFIX,
} from '../../lib/import-pipeline.ts';
import { consumerEnvironmentSchema, splitterEnvironmentSchema } from '../../src/config.ts';
import { ledgerTable } from '../../src/ledger/ledger-table.ts';
import {
  allows,
  dependencyCycle,
  objectArn,
  type PolicyStatement,
  type SynthesizedPipeline,
  distinctiveSettings as settings,
  statementsOfFunction,
  synthesizePipeline,
} from './pipeline-template.ts';

const synthesized = synthesizePipeline(settings);
const { template, ids, resource } = synthesized;

const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const propertiesOf = (logicalId: string) => resource(logicalId).Properties;
const variablesOf = (functionLogicalId: string, pipeline: SynthesizedPipeline = synthesized) =>
  (
    pipeline.resource(functionLogicalId).Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

const eventSourceMapping = () => {
  const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
    Properties: { FunctionName: ref(ids.consumerFunction) },
  });
  const [mapping, ...others] = Object.values(mappings);
  expect(others).toHaveLength(0);
  return (mapping as { Properties: Record<string, unknown> }).Properties;
};
const redrivePolicy = () =>
  propertiesOf(ids.userQueue).RedrivePolicy as {
    deadLetterTargetArn: unknown;
    maxReceiveCount: number;
  };

describe('Construct: ImportPipeline', () => {
  describe('consumer event source', () => {
    it('caps concurrency at the settings value and reports per-message failures', () => {
      expect(eventSourceMapping()).toMatchObject({
        EventSourceArn: arnOf(ids.userQueue),
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: settings.consumerMaxConcurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('caps concurrency on the event source, never with reserved concurrency', () => {
      expect(propertiesOf(ids.consumerFunction).ReservedConcurrentExecutions).toBeUndefined();
    });
  });

  describe('user queue', () => {
    it('dead-letters after maxReceiveCount receives into the dead-letter queue', () => {
      expect(redrivePolicy()).toEqual({
        deadLetterTargetArn: arnOf(ids.deadLetterQueue),
        maxReceiveCount: settings.maxReceiveCount,
      });
    });

    it('hides a received batch for at least 6 × the consumer timeout', () => {
      const visibilityTimeout = propertiesOf(ids.userQueue).VisibilityTimeout as number;
      const consumerTimeout = propertiesOf(ids.consumerFunction).Timeout as number;
      expect(consumerTimeout).toBeGreaterThan(0);
      expect(visibilityTimeout).toBeGreaterThanOrEqual(6 * consumerTimeout);
    });

    it('keeps dead-lettered messages longer than the queue they came from', () => {
      const queueRetention = propertiesOf(ids.userQueue).MessageRetentionPeriod as number;
      const deadLetterRetention = propertiesOf(ids.deadLetterQueue)
        .MessageRetentionPeriod as number;
      expect(deadLetterRetention).toBeGreaterThan(queueRetention);
    });
  });

  describe('consumer environment', () => {
    it('carries the same numbers as the event source and the redrive policy', () => {
      const variables = variablesOf(ids.consumerFunction);
      const mapping = eventSourceMapping() as { ScalingConfig: { MaximumConcurrency: number } };
      expect(variables.CONSUMER_MAX_CONCURRENCY).toBe(
        String(mapping.ScalingConfig.MaximumConcurrency),
      );
      expect(variables.MAX_RECEIVE_COUNT).toBe(String(redrivePolicy().maxReceiveCount));
      expect(variables.TARGET_WRITES_PER_SECOND).toBe(String(settings.targetWritesPerSecond));
    });

    it('points at the queues and names the secret, never its value', () => {
      expect(variablesOf(ids.consumerFunction)).toMatchObject({
        USER_QUEUE_URL: ref(ids.userQueue),
        DEAD_LETTER_QUEUE_URL: ref(ids.deadLetterQueue),
        WORKOS_API_KEY_SECRET_ID: ref(
          synthesized.logicalIdOf(synthesized.stack.pipeline.workosApiKeySecret),
        ),
      });
    });

    it('names the same secret for the splitter, which lists WorkOS before the split', () => {
      expect(variablesOf(ids.splitterFunction)).toMatchObject({
        WORKOS_API_KEY_SECRET_ID: variablesOf(ids.consumerFunction).WORKOS_API_KEY_SECRET_ID,
        SNAPSHOT_PREFIX,
      });
      expect(variablesOf(ids.splitterFunction)).not.toHaveProperty('WORKOS_API_URL');
    });

    it("caps the splitter's young generation, which keeps a 1M-user join under 200 MB", () => {
      expect(variablesOf(ids.splitterFunction).NODE_OPTIONS).toBe(
        '--enable-source-maps --max-semi-space-size=8',
      );
      expect(variablesOf(ids.consumerFunction).NODE_OPTIONS).toBe('--enable-source-maps');
    });

    it('leaves WORKOS_API_URL to the runtime default when the settings do not set it', () => {
      expect(variablesOf(ids.consumerFunction)).not.toHaveProperty('WORKOS_API_URL');
    });

    it.each([
      ['consumer', ids.consumerFunction, consumerEnvironmentSchema],
      ['splitter', ids.splitterFunction, splitterEnvironmentSchema],
    ])(
      'sets only variables the %s schema knows, and every one it requires',
      (_name, functionId, schema) => {
        const variables = variablesOf(functionId);
        const { NODE_OPTIONS, ...schemaVariables } = variables;
        expect(NODE_OPTIONS).toMatch(/^--enable-source-maps( |$)/);
        const shape: Record<string, z.ZodType> = schema.shape;
        const known = Object.keys(shape);
        expect(Object.keys(schemaVariables).filter((name) => !known.includes(name))).toEqual([]);
        const required = known.filter((name) => !shape[name]?.safeParse(undefined).success);
        expect(required.filter((name) => !(name in schemaVariables))).toEqual([]);
      },
    );
  });

  describe('export bucket', () => {
    it('is private, encrypted with the data key and versioned', () => {
      expect(propertiesOf(ids.exportBucket)).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: arnOf(ids.dataKey),
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
      });
    });

    it('expires exports after exportRetentionDays, and their old versions and stale uploads soon after', () => {
      expect(propertiesOf(ids.exportBucket).LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'expire-exports-and-reports',
            Status: 'Enabled',
            ExpirationInDays: settings.exportRetentionDays,
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
          {
            Id: 'remove-expired-delete-markers',
            Status: 'Enabled',
            ExpiredObjectDeleteMarker: true,
          },
        ],
      });
    });

    it('triggers the splitter only for new objects under the export prefix, and for job manifests', () => {
      template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: ref(ids.exportBucket),
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: EXPORT_PREFIX }] } },
              LambdaFunctionArn: arnOf(ids.splitterFunction),
            },
            {
              Events: ['s3:ObjectCreated:*'],
              // The files of a job are uploaded first and start nothing; its manifest, last, does.
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: 'suffix', Value: MANIFEST_SUFFIX },
                    { Name: 'prefix', Value: JOB_PREFIX },
                  ],
                },
              },
              LambdaFunctionArn: arnOf(ids.splitterFunction),
            },
          ],
        },
      });
    });

    it('receives reports and snapshots outside the export and job prefixes, so they never trigger the splitter', () => {
      for (const written of [REPORT_PREFIX, SNAPSHOT_PREFIX]) {
        expect(written.startsWith(EXPORT_PREFIX) || written.startsWith(JOB_PREFIX)).toBe(false);
      }
      expect(variablesOf(ids.splitterFunction).REPORT_PREFIX).toBe(REPORT_PREFIX);
    });
  });

  describe('encryption in transit and at rest', () => {
    const denyWithoutTls = (action: string) =>
      Match.arrayWith([
        Match.objectLike({
          Effect: 'Deny',
          Action: action,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]);

    it('denies S3 requests without TLS', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: ref(ids.exportBucket),
        PolicyDocument: { Statement: denyWithoutTls('s3:*') },
      });
    });

    it.each([
      ['user queue', ids.userQueue],
      ['dead-letter queue', ids.deadLetterQueue],
      ['splitter failure queue', ids.splitterFailureQueue],
    ])('encrypts the %s with the data key and denies requests without TLS', (_name, queueId) => {
      expect(propertiesOf(queueId).KmsMasterKeyId).toEqual(arnOf(ids.dataKey));
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queueId)],
        PolicyDocument: { Statement: denyWithoutTls('sqs:*') },
      });
    });
  });

  describe.each([
    ['splitter', ids.splitterFunction, ids.splitterLogGroup, 900, 1024],
    ['consumer', ids.consumerFunction, ids.consumerLogGroup, 60, 512],
  ])('%s function', (_name, functionId, logGroupId, timeout, memorySize) => {
    it('runs the ESM bundle on Node 24, ARM64, with the planned timeout and memory', () => {
      expect(propertiesOf(functionId)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: timeout,
        MemorySize: memorySize,
      });
    });

    it('logs JSON at the settings level into its own log group with a retention', () => {
      expect(propertiesOf(functionId).LoggingConfig).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: settings.logLevel,
        SystemLogLevel: settings.logLevel,
        LogGroup: ref(logGroupId),
      });
      expect(propertiesOf(logGroupId).RetentionInDays).toBe(30);
    });
  });

  describe('splitter failures', () => {
    it('retries an S3 event twice, then sends it to the splitter failure queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(ids.splitterFunction),
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: arnOf(ids.splitterFailureQueue) } },
      });
      expect(propertiesOf(ids.splitterFailureQueue).MessageRetentionPeriod).toBe(14 * 24 * 3600);
    });
  });

  describe('permissions', () => {
    const splitter = () => statementsOfFunction(synthesized, ids.splitterFunction);
    const consumer = () => statementsOfFunction(synthesized, ids.consumerFunction);

    it('lets the splitter read exports, write reports, write and read back snapshots, and nothing else in the bucket', () => {
      const bucket = ids.exportBucket;
      expect(allows(splitter(), 's3:GetObject', objectArn(bucket, `${EXPORT_PREFIX}*`))).toBe(true);
      expect(allows(splitter(), 's3:PutObject', objectArn(bucket, `${REPORT_PREFIX}*`))).toBe(true);
      const snapshots = objectArn(bucket, `${SNAPSHOT_PREFIX}*`);
      expect(allows(splitter(), 's3:PutObject', snapshots)).toBe(true);
      expect(allows(splitter(), 's3:GetObject', snapshots)).toBe(true);
      expect(allows(splitter(), 's3:DeleteObject', snapshots)).toBe(false);
      expect(allows(splitter(), 's3:PutObject', objectArn(bucket, `${EXPORT_PREFIX}*`))).toBe(
        false,
      );
      expect(allows(splitter(), 's3:PutObject', objectArn(bucket, '*'))).toBe(false);
      expect(allows(splitter(), 's3:DeleteObject', objectArn(bucket, `${REPORT_PREFIX}*`))).toBe(
        false,
      );
    });

    it('lets the splitter read the notified version of an export, no metadata, and list the snapshot prefix only', () => {
      const bucket = ids.exportBucket;
      const exports = objectArn(bucket, `${EXPORT_PREFIX}*`);
      expect(allows(splitter(), 's3:GetObjectVersion', exports)).toBe(true);
      for (const action of ['s3:GetObjectAcl', 's3:GetObjectTagging', 's3:PutObjectAcl']) {
        expect(allows(splitter(), action, exports), action).toBe(false);
      }
      const listing = splitter().filter((statement) =>
        [statement.Action].flat().includes('s3:ListBucket'),
      );
      expect(listing).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: arnOf(bucket),
          Condition: { StringLike: { 's3:prefix': `${SNAPSHOT_PREFIX}*` } },
        },
      ]);
      expect(allows(splitter(), 's3:GetBucketPolicy', arnOf(bucket))).toBe(false);
      const s3Actions = splitter()
        .flatMap((statement) => [statement.Action].flat())
        .filter((action) => action.startsWith('s3:'));
      expect(s3Actions.filter((action) => action.includes('*'))).toEqual([]);
    });

    it('lets the splitter send to the user queue', () => {
      expect(allows(splitter(), 'sqs:SendMessage', arnOf(ids.userQueue))).toBe(true);
    });

    it('lets the consumer consume, re-enqueue, dead-letter and read the secret', () => {
      const secretId = synthesized.logicalIdOf(synthesized.stack.pipeline.workosApiKeySecret);
      for (const action of [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
      ]) {
        expect(allows(consumer(), action, arnOf(ids.userQueue)), action).toBe(true);
      }
      expect(allows(consumer(), 'sqs:SendMessage', arnOf(ids.userQueue))).toBe(true);
      expect(allows(consumer(), 'sqs:SendMessage', arnOf(ids.deadLetterQueue))).toBe(true);
      expect(allows(consumer(), 'secretsmanager:GetSecretValue', ref(secretId))).toBe(true);
    });

    it('lets the consumer re-enqueue onto its own trigger queue without loop detection dropping users', () => {
      expect(propertiesOf(ids.consumerFunction).RecursiveLoop).toBe('Allow');
    });
  });

  describe('migration ledger table', () => {
    const table = () => propertiesOf(ids.ledgerTable);
    const replica = () => (table().Replicas as Record<string, unknown>[])[0];

    it('is the only table, keyed by the layout the Lambdas share', () => {
      template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      expect(table().KeySchema).toEqual([
        { AttributeName: ledgerTable.partitionKey, KeyType: 'HASH' },
        { AttributeName: ledgerTable.sortKey, KeyType: 'RANGE' },
      ]);
      expect(table().AttributeDefinitions).toEqual(
        expect.arrayContaining(
          [
            ledgerTable.partitionKey,
            ledgerTable.sortKey,
            ledgerTable.jobsIndex.partitionKey,
            ledgerTable.jobsIndex.sortKey,
          ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        ),
      );
      expect(table().AttributeDefinitions).toHaveLength(4);
    });

    it('lists jobs through the jobs index, with every attribute projected', () => {
      expect(table().GlobalSecondaryIndexes).toEqual([
        {
          IndexName: ledgerTable.jobsIndex.name,
          KeySchema: [
            { AttributeName: ledgerTable.jobsIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: ledgerTable.jobsIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]);
    });

    it('expires entries through the TTL attribute the Lambdas write', () => {
      expect(table().TimeToLiveSpecification).toEqual({
        AttributeName: ledgerTable.timeToLiveAttribute,
        Enabled: true,
      });
    });

    it('bills on demand, with point-in-time recovery', () => {
      expect(table().BillingMode).toBe('PAY_PER_REQUEST');
      expect(replica()?.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
    });

    it('is encrypted with the data key', () => {
      expect(table().SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(replica()?.SSESpecification).toEqual({ KMSMasterKeyId: arnOf(ids.dataKey) });
    });
  });

  describe('ledger access', () => {
    const ledgerStatements = (statements: PolicyStatement[]) =>
      statements.filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('dynamodb:')),
      );

    it.each([
      ['splitter', ids.splitterFunction],
      ['consumer', ids.consumerFunction],
    ])('tells the %s which table and how long to keep entries', (_name, functionId) => {
      expect(variablesOf(functionId)).toMatchObject({
        LEDGER_TABLE_NAME: ref(ids.ledgerTable),
        LEDGER_RETENTION_DAYS: String(settings.ledgerRetentionDays),
      });
    });

    it.each([
      ['splitter', ids.splitterFunction],
      ['consumer', ids.consumerFunction],
    ])(
      'lets the %s get, put, update and condition-check ledger items, on the table only',
      (_name, functionId) => {
        const statements = ledgerStatements(statementsOfFunction(synthesized, functionId));
        expect(statements.map((statement) => statement.Resource)).toEqual(
          statements.map(() => arnOf(ids.ledgerTable)),
        );
        const actions = statements.flatMap((statement) => [statement.Action].flat());
        expect([...new Set(actions)].sort()).toEqual([
          'dynamodb:ConditionCheckItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ]);
      },
    );
  });

  describe('splitter continuation', () => {
    const permissions = () =>
      Object.values(
        template.findResources('AWS::Lambda::Permission', {
          Properties: { FunctionName: arnOf(ids.splitterFunction) },
        }),
      ).map((permission) => permission.Properties as Record<string, unknown>);

    it("lets the splitter invoke itself through the function's resource policy", () => {
      expect(permissions()).toContainEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(ids.splitterFunction),
        Principal: arnOf(ids.splitterRole),
      });
    });

    it('gives the splitter role no Lambda permission of its own (that would be a cycle)', () => {
      const lambdaActions = statementsOfFunction(synthesized, ids.splitterFunction)
        .flatMap((statement) => [statement.Action].flat())
        .filter((action) => action.startsWith('lambda:'));
      expect(lambdaActions).toEqual([]);
    });

    it('lets the continuation chain run past the 16 hops of loop detection', () => {
      expect(propertiesOf(ids.splitterFunction).RecursiveLoop).toBe('Allow');
    });
  });

  describe('consumer self-stop', () => {
    const consumer = () => statementsOfFunction(synthesized, ids.consumerFunction);
    const mappingId = () => {
      const mappingIds = Object.keys(
        template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: ref(ids.consumerFunction) },
        }),
      );
      expect(mappingIds).toHaveLength(1);
      return mappingIds[0] as string;
    };

    it('may disable only its own event source mapping, and only while it feeds the consumer', () => {
      const updates = consumer().filter((statement) =>
        [statement.Action].flat().includes('lambda:UpdateEventSourceMapping'),
      );
      expect(updates).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:UpdateEventSourceMapping',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':lambda:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':event-source-mapping:',
                ref(mappingId()),
              ],
            ],
          },
          Condition: {
            StringEquals: { 'lambda:FunctionArn': arnOf(ids.consumerFunction) },
          },
        },
      ]);
    });

    it('may list event source mappings, the only action it has on every resource', () => {
      const onEverything = consumer().filter((statement) =>
        [statement.Resource].flat().includes('*'),
      );
      expect(onEverything.flatMap((statement) => [statement.Action].flat())).toEqual([
        'lambda:ListEventSourceMappings',
      ]);
    });
  });

  describe('execution roles', () => {
    it.each([
      ['splitter', ids.splitterFunction, ids.splitterRole, ids.splitterLogGroup],
      ['consumer', ids.consumerFunction, ids.consumerRole, ids.consumerLogGroup],
    ])(
      'let the %s write logs to its own log group only, without a managed policy',
      (_name, functionId, roleId, logGroupId) => {
        expect(propertiesOf(roleId).ManagedPolicyArns).toBeUndefined();
        const statements = statementsOfFunction(synthesized, functionId);
        expect(allows(statements, 'logs:PutLogEvents', arnOf(logGroupId))).toBe(true);
        const logResources = statements
          .filter((statement) =>
            [statement.Action].flat().some((action) => action.startsWith('logs:')),
          )
          .map((statement) => statement.Resource);
        expect(logResources).toEqual([arnOf(logGroupId)]);
      },
    );
  });

  describe('dependencies', () => {
    it('has no circular dependency, the self-invoke and self-stop permissions included', () => {
      expect(dependencyCycle(synthesized.resources)).toBeUndefined();
    });

    it('would notice one: a role policy naming its own function', () => {
      const policy = { Type: 'AWS::IAM::Policy', Properties: { Resource: arnOf('Fn') } };
      const fn = { Type: 'AWS::Lambda::Function', Properties: {}, DependsOn: ['Policy'] };
      expect(dependencyCycle({ Policy: policy, Fn: fn })).toEqual(['Policy', 'Fn', 'Policy']);
    });
  });

  describe('WorkOS API key secret', () => {
    it('is created empty: no secret value is ever in the template', () => {
      const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret'));
      expect(secrets).toHaveLength(1);
      for (const secret of secrets) {
        expect(secret.Properties).not.toHaveProperty('SecretString');
        expect(secret.Properties).not.toHaveProperty('SecretStringBeta1');
      }
    });

    it('can be an existing secret, named in the settings instead of created', () => {
      const withExisting = synthesizePipeline({
        ...settings,
        workosApiKeySecretName: 'workos/user-import/api-key',
        workosApiUrl: 'https://workos-proxy.example.com',
      });
      withExisting.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
      for (const functionId of [
        withExisting.ids.consumerFunction,
        withExisting.ids.splitterFunction,
      ]) {
        expect(variablesOf(functionId, withExisting)).toMatchObject({
          WORKOS_API_KEY_SECRET_ID: 'workos/user-import/api-key',
          WORKOS_API_URL: 'https://workos-proxy.example.com',
        });
      }
      const statements = statementsOfFunction(withExisting, withExisting.ids.consumerFunction);
      const grantsTheSecret = statements.some(
        (statement) =>
          [statement.Action].flat().includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(statement.Resource).includes('secret:workos/user-import/api-key-??????'),
      );
      expect(grantsTheSecret).toBe(true);
    });
  });

  describe('alarms', () => {
    const alarmAction = [ref(ids.alarmTopic)];

    it.each([
      ['dead-letter queue', ids.deadLetterQueue],
      ['splitter failure queue', ids.splitterFailureQueue],
    ])('notify as soon as the %s holds a message', (_name, queueId) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: alarmAction,
      });
    });

    it('notify before users waiting in the queue reach its retention and are lost', () => {
      const retention = propertiesOf(ids.userQueue).MessageRetentionPeriod as number;
      const [alarm, ...others] = Object.values(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: {
            MetricName: 'ApproximateAgeOfOldestMessage',
            Dimensions: [
              { Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.userQueue, 'QueueName'] } },
            ],
            AlarmActions: alarmAction,
          },
        }),
      );
      expect(others).toHaveLength(0);
      const threshold = alarm?.Properties.Threshold as number;
      expect(threshold).toBeGreaterThanOrEqual(24 * 3600);
      expect(threshold).toBeLessThan(retention);
    });

    it('notify when the consumer fails whole invocations', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref(ids.consumerFunction) }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: alarmAction,
      });
    });

    it('notify when users wait and the consumer deletes none for 15 minutes (a stopped consumer)', () => {
      const alarms = Object.values(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmActions: alarmAction, EvaluationPeriods: 3 },
        }),
      );
      expect(alarms).toHaveLength(1);
      const properties = alarms[0]?.Properties as {
        Threshold: number;
        ComparisonOperator: string;
        Metrics: {
          Id: string;
          Expression?: string;
          MetricStat?: { Metric: { MetricName: string; Dimensions: unknown }; Period: number };
        }[];
      };
      expect(properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      const queueDimension = [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.userQueue, 'QueueName'] } },
      ];
      const byId = Object.fromEntries(properties.Metrics.map((metric) => [metric.Id, metric]));
      expect(byId.waiting?.MetricStat).toMatchObject({
        Metric: { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: queueDimension },
        Period: 300,
      });
      expect(byId.deleted?.MetricStat).toMatchObject({
        Metric: { MetricName: 'NumberOfMessagesDeleted', Dimensions: queueDimension },
        Period: 300,
      });
      const expression = properties.Metrics.find((metric) => metric.Expression)?.Expression;
      expect(expression).toBe('IF(waiting > 0 AND FILL(deleted, 0) == 0, 1, 0)');
    });

    it('are published to a topic that refuses unencrypted publishers', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [ref(ids.alarmTopic)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('email the alarm address only when the settings give one', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      const withEmail = synthesizePipeline({ ...settings, alarmEmail: 'ops@example.com' });
      withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
        TopicArn: ref(withEmail.ids.alarmTopic),
      });
    });
  });

  describe.each([
    ['retain', 'Retain', 0],
    ['destroy', 'Delete', 1],
  ] as const)('removal policy %s', (removalPolicy, deletionPolicy, autoDeleteCount) => {
    const pipeline = synthesizePipeline(
      parseEnvironmentSettings('test', { ...settings, removalPolicy }),
    );

    it(`sets DeletionPolicy ${deletionPolicy} on every stateful resource`, () => {
      const stateful = [
        pipeline.ids.exportBucket,
        pipeline.ids.userQueue,
        pipeline.ids.deadLetterQueue,
        pipeline.ids.splitterFailureQueue,
        pipeline.ids.splitterLogGroup,
        pipeline.ids.consumerLogGroup,
        pipeline.ids.ledgerTable,
        pipeline.logicalIdOf(pipeline.stack.pipeline.workosApiKeySecret),
      ];
      for (const logicalId of stateful) {
        expect(pipeline.resource(logicalId).DeletionPolicy, logicalId).toBe(deletionPolicy);
      }
    });

    it(`${autoDeleteCount ? 'empties' : 'never empties'} the bucket when the stack is deleted`, () => {
      pipeline.template.resourceCountIs('Custom::S3AutoDeleteObjects', autoDeleteCount);
    });

    it(`${removalPolicy === 'retain' ? 'protects' : 'does not protect'} the ledger table from deletion`, () => {
      const replicas = pipeline.resource(pipeline.ids.ledgerTable).Properties.Replicas as {
        DeletionProtectionEnabled: boolean;
      }[];
      expect(replicas.map((replica) => replica.DeletionProtectionEnabled)).toEqual([
        removalPolicy === 'retain',
      ]);
    });
  });

  it('keeps the logical IDs of stateful resources, so an update never replaces them', () => {
    expect({
      exportBucket: ids.exportBucket,
      userQueue: ids.userQueue,
      deadLetterQueue: ids.deadLetterQueue,
      splitterFailureQueue: ids.splitterFailureQueue,
      workosApiKeySecret: synthesized.logicalIdOf(synthesized.stack.pipeline.workosApiKeySecret),
      ledgerTable: ids.ledgerTable,
    }).toEqual({
      exportBucket: 'ImportPipelineExportBucket9E740753',
      userQueue: 'ImportPipelineUserQueueD6269043',
      deadLetterQueue: 'ImportPipelineDeadLetterQueueBA932A21',
      splitterFailureQueue: 'ImportPipelineSplitterFailureQueue14A93FB6',
      workosApiKeySecret: 'ImportPipelineWorkosApiKey9E91E0CA',
      ledgerTable: 'ImportPipelineLedgerTable9877DC03',
    });
  });
});

describe('Stack: ImportPipelineStack', () => {
  it('outputs what the operator CLI needs to find the pipeline', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'DataKeyArn',
        'DeadLetterQueueArn',
        'DeadLetterQueueUrl',
        'ExportBucketName',
        'ExportPrefix',
        'JobPrefix',
        'SplitterFailureQueueUrl',
        'UserQueueArn',
        'UserQueueUrl',
        'WorkosApiKeySecretArn',
        'LedgerTableName',
        'SplitterFunctionName',
        'ConsumerFunctionName',
      ].sort(),
    );
    expect(outputs).toMatchObject({
      DataKeyArn: { Value: arnOf(ids.dataKey) },
      ExportBucketName: { Value: ref(ids.exportBucket) },
      ExportPrefix: { Value: EXPORT_PREFIX },
      UserQueueUrl: { Value: ref(ids.userQueue) },
      UserQueueArn: { Value: arnOf(ids.userQueue) },
      DeadLetterQueueUrl: { Value: ref(ids.deadLetterQueue) },
      DeadLetterQueueArn: { Value: arnOf(ids.deadLetterQueue) },
      SplitterFailureQueueUrl: { Value: ref(ids.splitterFailureQueue) },
      LedgerTableName: { Value: ref(ids.ledgerTable) },
      SplitterFunctionName: { Value: ref(ids.splitterFunction) },
      ConsumerFunctionName: { Value: ref(ids.consumerFunction) },
    });
  });
});
