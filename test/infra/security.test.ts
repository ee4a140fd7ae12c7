import { describe, expect, it } from 'vitest';
import { parseEnvironmentSettings } from '../../lib/environment-settings.ts';
import {
  EXPORT_PREFIX,
  JOB_PREFIX,
  REPORT_PREFIX,
  SNAPSHOT_PREFIX,
} from '../../lib/import-pipeline.ts';
import {
  type CfnResource,
  type PolicyStatement,
  type SynthesizedPipeline,
  distinctiveSettings as settings,
  statementsOfFunction,
  synthesizePipeline,
} from './pipeline-template.ts';

/**
 * The security properties of the stack, read from the template: every store that can hold an
 * email, a name or a password hash is encrypted with the environment's own KMS key, nothing is
 * reachable without TLS or publicly, exports expire, and each Lambda role holds exactly the
 * permissions its code calls, with no wildcard action.
 */
const synthesized = synthesizePipeline(settings);
const { template, ids, resource } = synthesized;

const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const ref = (logicalId: string) => ({ Ref: logicalId });
const propertiesOf = (logicalId: string) => resource(logicalId).Properties;
const ofType = (type: string, pipeline: SynthesizedPipeline = synthesized) =>
  Object.entries(pipeline.resources).filter(([, candidate]) => candidate.Type === type);
const statementsOf = (document: unknown) =>
  (document as { Statement: PolicyStatement[] }).Statement;

describe('Security: encryption at rest with the environment key', () => {
  const key = () => resource(ids.dataKey);

  it('creates one customer-managed key, with yearly rotation on', () => {
    expect(ofType('AWS::KMS::Key')).toHaveLength(1);
    expect(key().Properties).toMatchObject({ EnableKeyRotation: true });
    expect(key().Properties.KeySpec ?? 'SYMMETRIC_DEFAULT').toBe('SYMMETRIC_DEFAULT');
  });

  describe.each([
    ['retain', 'Retain', undefined],
    ['destroy', 'Delete', 7],
  ] as const)('with removal policy %s', (removalPolicy, deletionPolicy, pendingWindow) => {
    const pipeline = synthesizePipeline(
      parseEnvironmentSettings('test', { ...settings, removalPolicy }),
    );

    it(`keeps the key exactly as long as the data it protects (${deletionPolicy})`, () => {
      const dataKey = pipeline.resource(pipeline.ids.dataKey);
      expect(dataKey.DeletionPolicy).toBe(deletionPolicy);
      expect(dataKey.UpdateReplacePolicy).toBe(deletionPolicy);
      expect(dataKey.Properties.PendingWindowInDays).toBe(pendingWindow);
      expect(pipeline.resource(pipeline.ids.exportBucket).DeletionPolicy).toBe(deletionPolicy);
    });
  });

  it('creates an alias only when the settings name one', () => {
    expect(ofType('AWS::KMS::Alias')).toEqual([]);
    const withAlias = synthesizePipeline({ ...settings, keyAlias: 'workos-user-import/test' });
    const aliases = ofType('AWS::KMS::Alias', withAlias).map(([, alias]) => alias.Properties);
    expect(aliases).toEqual([
      { AliasName: 'alias/workos-user-import/test', TargetKeyId: arnOf(withAlias.ids.dataKey) },
    ]);
  });

  it.each([
    ['an alias under aws/', 'aws/s3'],
    ['an alias with spaces', 'workos import'],
    ['an empty alias', ''],
  ])('rejects %s in the settings', (_case, keyAlias) => {
    expect(() => parseEnvironmentSettings('test', { ...settings, keyAlias })).toThrow(/keyAlias/);
  });

  it('encrypts the export bucket (exports and reports) with the key, using a bucket key', () => {
    expect(ofType('AWS::S3::Bucket')).toHaveLength(1);
    expect(propertiesOf(ids.exportBucket).BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: arnOf(ids.dataKey),
          },
        },
      ],
    });
  });

  it('refuses an upload that asks for another encryption or another key', () => {
    const statements = statementsOf(bucketPolicy().Properties.PolicyDocument);
    const objects = { 'Fn::Join': ['', [arnOf(ids.exportBucket), '/*']] };
    const denyPut = (condition: Record<string, unknown>) => ({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Resource: objects,
      Condition: { StringNotEqualsIfExists: condition },
    });
    expect(statements).toContainEqual(
      expect.objectContaining(denyPut({ 's3:x-amz-server-side-encryption': 'aws:kms' })),
    );
    expect(statements).toContainEqual(
      expect.objectContaining(
        denyPut({ 's3:x-amz-server-side-encryption-aws-kms-key-id': arnOf(ids.dataKey) }),
      ),
    );
  });

  it('encrypts every queue with the key: users, dead letters and splitter failures', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues.map(([logicalId]) => logicalId).sort()).toEqual(
      [ids.userQueue, ids.deadLetterQueue, ids.splitterFailureQueue].sort(),
    );
    for (const [logicalId, queue] of queues) {
      expect(queue.Properties.KmsMasterKeyId, logicalId).toEqual(arnOf(ids.dataKey));
      expect(queue.Properties.SqsManagedSseEnabled, logicalId).toBeUndefined();
    }
  });

  it('encrypts the migration ledger with the key', () => {
    const tables = [...ofType('AWS::DynamoDB::GlobalTable'), ...ofType('AWS::DynamoDB::Table')];
    expect(tables.map(([logicalId]) => logicalId)).toEqual([ids.ledgerTable]);
    const table = propertiesOf(ids.ledgerTable);
    expect(table.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const replicas = table.Replicas as { Region: unknown; SSESpecification: unknown }[];
    expect(replicas).toHaveLength(1);
    expect(replicas[0]).toMatchObject({
      Region: ref('AWS::Region'),
      SSESpecification: { KMSMasterKeyId: arnOf(ids.dataKey) },
    });
  });

  it('encrypts every log group with the key and masks emails and bcrypt hashes in it', () => {
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups.map(([logicalId]) => logicalId).sort()).toEqual(
      [ids.splitterLogGroup, ids.consumerLogGroup].sort(),
    );
    for (const [logicalId, logGroup] of logGroups) {
      expect(logGroup.Properties.KmsKeyId, logicalId).toEqual(arnOf(ids.dataKey));
      const policy = logGroup.Properties.DataProtectionPolicy as {
        Statement: { DataIdentifier: unknown[]; Operation: Record<string, unknown> }[];
        Configuration: { CustomDataIdentifier: { Name: string; Regex: string }[] };
      };
      const masked = policy.Statement.find((statement) => 'Deidentify' in statement.Operation);
      expect(JSON.stringify(masked?.DataIdentifier)).toContain('data-identifier/EmailAddress');
      expect(masked?.DataIdentifier).toContain('BcryptPasswordHash');
      const [bcrypt] = policy.Configuration.CustomDataIdentifier;
      expect(bcrypt?.Name).toBe('BcryptPasswordHash');
      // The pattern masks what it should, and only that.
      const pattern = new RegExp(bcrypt?.Regex ?? '^$');
      expect(`"hash":"$2b$10$${'a'.repeat(53)}"`).toMatch(pattern);
      expect('"sourceId":"auth0|5dea9f9c82dd7c0e76e4ec93"').not.toMatch(pattern);
    }
  });

  it('encrypts the alarm topic with the key', () => {
    const topics = ofType('AWS::SNS::Topic');
    expect(topics.map(([logicalId]) => logicalId)).toEqual([ids.alarmTopic]);
    expect(propertiesOf(ids.alarmTopic).KmsMasterKeyId).toEqual(arnOf(ids.dataKey));
  });

  it('outputs the key for the policies of operator roles', () => {
    expect(template.findOutputs('DataKeyArn').DataKeyArn?.Value).toEqual(arnOf(ids.dataKey));
  });

  describe('key policy', () => {
    const statements = () => statementsOf(key().Properties.KeyPolicy);
    const regional = (service: string) => ({
      'Fn::Join': ['', [`${service}.`, ref('AWS::Region'), '.amazonaws.com']],
    });
    const accountArn = (service: string, resourcePattern: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          ref('AWS::Partition'),
          `:${service}:`,
          ref('AWS::Region'),
          ':',
          ref('AWS::AccountId'),
          `:${resourcePattern}`,
        ],
      ],
    });

    it('lets the account administer it, so that IAM policies decide who may use it', () => {
      expect(statements()[0]).toEqual({
        Effect: 'Allow',
        Principal: {
          AWS: {
            'Fn::Join': [
              '',
              ['arn:', ref('AWS::Partition'), ':iam::', ref('AWS::AccountId'), ':root'],
            ],
          },
        },
        Action: 'kms:*',
        Resource: '*',
      });
    });

    it('lets CloudWatch Logs of this region use it, for log groups of this account and region only', () => {
      expect(statements()).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: regional('logs') },
          Action: [
            'kms:Decrypt',
            'kms:DescribeKey',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
          ],
          Resource: '*',
          Condition: {
            ArnLike: { 'kms:EncryptionContext:aws:logs:arn': accountArn('logs', 'log-group:*') },
          },
        }),
      );
    });

    it('lets CloudWatch publish alarms of this account and region to the encrypted topic', () => {
      expect(statements()).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') },
            ArnLike: { 'aws:SourceArn': accountArn('cloudwatch', 'alarm:*') },
          },
        }),
      );
    });

    it('names no other principal', () => {
      expect(statements()).toHaveLength(3);
    });
  });
});

describe('Security: encryption in transit', () => {
  const denyWithoutTls = (action: string, resourceArns: unknown) => ({
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: action,
    Resource: resourceArns,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  });
  const bucketAndObjects = [
    arnOf(ids.exportBucket),
    { 'Fn::Join': ['', [arnOf(ids.exportBucket), '/*']] },
  ];

  it('denies every S3 request without TLS, and with TLS older than 1.2', () => {
    const statements = statementsOf(bucketPolicy().Properties.PolicyDocument);
    expect(statements).toContainEqual(denyWithoutTls('s3:*', bucketAndObjects));
    expect(statements).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: bucketAndObjects,
      Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
    });
  });

  it.each([
    ['user queue', ids.userQueue],
    ['dead-letter queue', ids.deadLetterQueue],
    ['splitter failure queue', ids.splitterFailureQueue],
  ])('denies every request to the %s without TLS', (_name, queueId) => {
    const [policy, ...others] = ofType('AWS::SQS::QueuePolicy').filter(
      ([, candidate]) =>
        JSON.stringify(candidate.Properties.Queues) === JSON.stringify([ref(queueId)]),
    );
    expect(others).toHaveLength(0);
    expect(statementsOf(policy?.[1].Properties.PolicyDocument)).toContainEqual(
      denyWithoutTls('sqs:*', arnOf(queueId)),
    );
  });

  it('denies publishing to the alarm topic without TLS', () => {
    const [policy] = ofType('AWS::SNS::TopicPolicy');
    expect(statementsOf(policy?.[1].Properties.PolicyDocument)).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });
});

describe('Security: no public access', () => {
  it('blocks every kind of public access to the bucket and turns ACLs off', () => {
    expect(propertiesOf(ids.exportBucket)).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  // A destroyed environment's bucket also lets CDK's auto-delete function empty it.
  it('allows nobody anything through a resource policy of the bucket, the queues or the topic (retained environment)', () => {
    const policies = [
      ...ofType('AWS::S3::BucketPolicy'),
      ...ofType('AWS::SQS::QueuePolicy'),
      ...ofType('AWS::SNS::TopicPolicy'),
    ];
    expect(policies.length).toBeGreaterThanOrEqual(5);
    for (const [logicalId, policy] of policies) {
      const allows = statementsOf(policy.Properties.PolicyDocument).filter(
        (statement) => statement.Effect === 'Allow',
      );
      expect(allows, logicalId).toEqual([]);
    }
  });
});

describe('Security: data lifetime in the bucket', () => {
  describe.each([1, 7, 30])('with exportRetentionDays %i', (exportRetentionDays) => {
    const pipeline = synthesizePipeline({ ...settings, exportRetentionDays });
    const rules = () =>
      (
        pipeline.resource(pipeline.ids.exportBucket).Properties.LifecycleConfiguration as {
          Rules: Record<string, unknown>[];
        }
      ).Rules;

    it('expires every object, exports, reports and WorkOS snapshots alike, after that many days', () => {
      const expiring = rules().filter((rule) => rule.ExpirationInDays !== undefined);
      expect(expiring).toEqual([
        expect.objectContaining({ Status: 'Enabled', ExpirationInDays: exportRetentionDays }),
      ]);
      // No prefix or tag filter: the rule covers `exports/`, `reports/`, `snapshots/` and
      // anything else.
      for (const rule of rules()) {
        expect(rule).not.toHaveProperty('Prefix');
        expect(rule).not.toHaveProperty('Filter');
        expect(rule).not.toHaveProperty('TagFilters');
        expect(rule).not.toHaveProperty('ObjectSizeGreaterThan');
      }
      expect([EXPORT_PREFIX, REPORT_PREFIX, SNAPSHOT_PREFIX]).toEqual([
        'exports/',
        'reports/',
        'snapshots/',
      ]);
    });

    it('removes replaced and expired versions a day later, stale multipart uploads and leftover delete markers', () => {
      expect(rules()).toContainEqual(
        expect.objectContaining({
          Status: 'Enabled',
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
      );
      expect(rules()).toContainEqual(
        expect.objectContaining({ Status: 'Enabled', ExpiredObjectDeleteMarker: true }),
      );
    });
  });

  it('keeps versioning on, so a mistaken overwrite can be undone within the day', () => {
    expect(propertiesOf(ids.exportBucket).VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });
});

describe('Security: least privilege of the Lambda roles', () => {
  const mappingId = () => {
    const [id, ...others] = Object.keys(
      template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: ref(ids.consumerFunction) },
      }),
    );
    expect(others).toHaveLength(0);
    return id ?? '';
  };
  const names = (pipeline: SynthesizedPipeline = synthesized): Record<string, string> => ({
    [pipeline.ids.dataKey]: 'dataKey',
    [pipeline.ids.exportBucket]: 'exportBucket',
    [pipeline.ids.userQueue]: 'userQueue',
    [pipeline.ids.deadLetterQueue]: 'deadLetterQueue',
    [pipeline.ids.splitterFailureQueue]: 'splitterFailureQueue',
    [pipeline.ids.ledgerTable]: 'ledgerTable',
    [pipeline.ids.splitterLogGroup]: 'splitterLogGroup',
    [pipeline.ids.consumerLogGroup]: 'consumerLogGroup',
    [pipeline.ids.consumerFunction]: 'consumerFunction',
    [pipeline.logicalIdOf(pipeline.stack.pipeline.workosApiKeySecret)]: 'workosApiKeySecret',
    [mappingId()]: 'consumerEventSourceMapping',
  });

  /**
   * One line per action a role is allowed, with the resource (by the role it plays in the
   * pipeline) and any condition: `kms:Decrypt dataKey via sqs`.
   */
  function permissionsOf(functionId: string, pipeline: SynthesizedPipeline = synthesized) {
    const known = names(pipeline);
    const label = (value: unknown): string => {
      if (value === '*') return '*';
      const text = JSON.stringify(value);
      const prefixed = Object.entries(known).find(([id]) => text.includes(`"${id}"`));
      if (prefixed === undefined) return text;
      const suffix = /"(\/[^"]*)"\]\]\}$/.exec(text)?.[1] ?? '';
      return `${prefixed[1]}${suffix}`;
    };
    const conditionLabel = (condition: PolicyStatement['Condition']): string => {
      if (condition === undefined) return '';
      const via = condition.StringEquals?.['kms:ViaService'];
      if (via !== undefined) {
        const service = /"([a-z0-9]+)\."/.exec(JSON.stringify(via))?.[1];
        return ` via ${service}`;
      }
      const functionArn = condition.StringEquals?.['lambda:FunctionArn'];
      if (functionArn !== undefined) return ` if lambda:FunctionArn is ${label(functionArn)}`;
      return ` if ${JSON.stringify(condition)}`;
    };
    return statementsOfFunction(pipeline, functionId)
      .flatMap((statement) => {
        expect(statement.Effect).toBe('Allow');
        return [statement.Action]
          .flat()
          .flatMap((action) =>
            [statement.Resource]
              .flat()
              .map(
                (resourceArn) =>
                  `${action} ${label(resourceArn)}${conditionLabel(statement.Condition)}`,
              ),
          );
      })
      .sort();
  }

  it('lets the splitter read exports, write reports, keep snapshots, read the API key, enqueue users, keep the ledger and log: exactly', () => {
    expect(permissionsOf(ids.splitterFunction)).toEqual([
      'dynamodb:ConditionCheckItem ledgerTable',
      'dynamodb:GetItem ledgerTable',
      'dynamodb:PutItem ledgerTable',
      'dynamodb:UpdateItem ledgerTable',
      'kms:Decrypt dataKey via dynamodb',
      'kms:Decrypt dataKey via s3',
      'kms:Decrypt dataKey via sqs',
      'kms:Encrypt dataKey via dynamodb',
      'kms:GenerateDataKey dataKey via dynamodb',
      'kms:GenerateDataKey dataKey via s3',
      'kms:GenerateDataKey dataKey via sqs',
      'logs:CreateLogStream splitterLogGroup',
      'logs:PutLogEvents splitterLogGroup',
      `s3:GetObject exportBucket/${EXPORT_PREFIX}*`,
      `s3:GetObject exportBucket/${JOB_PREFIX}*`,
      `s3:GetObject exportBucket/${SNAPSHOT_PREFIX}*`,
      `s3:GetObjectVersion exportBucket/${EXPORT_PREFIX}*`,
      `s3:GetObjectVersion exportBucket/${JOB_PREFIX}*`,
      // Which of a job's snapshot objects exist.
      `s3:ListBucket exportBucket if {"StringLike":{"s3:prefix":"${SNAPSHOT_PREFIX}*"}}`,
      `s3:PutObject exportBucket/${REPORT_PREFIX}*`,
      `s3:PutObject exportBucket/${SNAPSHOT_PREFIX}*`,
      // To list the WorkOS environment before the split.
      'secretsmanager:GetSecretValue workosApiKeySecret',
      // Its asynchronous invocations' on-failure destination.
      'sqs:SendMessage splitterFailureQueue',
      'sqs:SendMessage userQueue',
    ]);
  });

  it('lets the consumer consume and re-enqueue users, dead-letter them, read the API key, keep the ledger, stop itself and log: exactly', () => {
    expect(permissionsOf(ids.consumerFunction)).toEqual([
      'dynamodb:ConditionCheckItem ledgerTable',
      'dynamodb:GetItem ledgerTable',
      'dynamodb:PutItem ledgerTable',
      'dynamodb:UpdateItem ledgerTable',
      'kms:Decrypt dataKey via dynamodb',
      'kms:Decrypt dataKey via sqs',
      'kms:Encrypt dataKey via dynamodb',
      'kms:GenerateDataKey dataKey via dynamodb',
      'kms:GenerateDataKey dataKey via sqs',
      'lambda:ListEventSourceMappings *',
      'lambda:UpdateEventSourceMapping consumerEventSourceMapping if lambda:FunctionArn is consumerFunction',
      'logs:CreateLogStream consumerLogGroup',
      'logs:PutLogEvents consumerLogGroup',
      'secretsmanager:GetSecretValue workosApiKeySecret',
      'sqs:ChangeMessageVisibility userQueue',
      'sqs:DeleteMessage userQueue',
      'sqs:GetQueueAttributes userQueue',
      'sqs:ReceiveMessage userQueue',
      'sqs:SendMessage deadLetterQueue',
      'sqs:SendMessage userQueue',
    ]);
  });

  it.each([
    ['splitter', 'splitterFunction'],
    ['consumer', 'consumerFunction'],
  ] as const)(
    'lets the %s read a secret named in the settings by its name, and nothing more',
    (_name, functionId) => {
      const withExisting = synthesizePipeline({
        ...settings,
        workosApiKeySecretName: 'workos/user-import/api-key',
      });
      const secretStatements = statementsOfFunction(
        withExisting,
        withExisting.ids[functionId],
      ).filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:'));
      expect(secretStatements).toEqual([
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                ref('AWS::Partition'),
                ':secretsmanager:',
                ref('AWS::Region'),
                ':',
                ref('AWS::AccountId'),
                ':secret:workos/user-import/api-key-??????',
              ],
            ],
          },
        },
      ]);
    },
  );

  it.each([
    ['splitter', ids.splitterFunction, ids.splitterRole],
    ['consumer', ids.consumerFunction, ids.consumerRole],
  ])(
    'gives the %s no wildcard action, no managed policy, and the key only through a named service',
    (_name, functionId, roleId) => {
      const statements = statementsOfFunction(synthesized, functionId);
      expect(statements.length).toBeGreaterThan(0);
      const actions = statements.flatMap((statement) => [statement.Action].flat());
      expect(actions.filter((action) => action.includes('*') || action.includes('?'))).toEqual([]);
      expect(propertiesOf(roleId).ManagedPolicyArns).toBeUndefined();
      expect(propertiesOf(roleId).Policies).toBeUndefined();
      for (const statement of statements) {
        if (![statement.Action].flat().some((action) => action.startsWith('kms:'))) continue;
        expect(statement.Resource).toEqual(arnOf(ids.dataKey));
        expect(Object.keys(statement.Condition?.StringEquals ?? {})).toEqual(['kms:ViaService']);
      }
    },
  );

  it('finds every policy of the two roles (the test above cannot pass on an empty list)', () => {
    const policiesOfOurRoles = ofType('AWS::IAM::Policy').filter(([, policy]) =>
      [ids.splitterRole, ids.consumerRole].some((roleId) =>
        JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
      ),
    );
    // The splitter's default policy; the consumer's default policy and its self-stop policy.
    expect(policiesOfOurRoles).toHaveLength(3);
  });

  it('leaves no wildcard action in any identity policy the stack writes', () => {
    const identityPolicies: [string, CfnResource][] = [
      ...ofType('AWS::IAM::Policy'),
      ...ofType('AWS::IAM::ManagedPolicy'),
    ];
    for (const [logicalId, policy] of identityPolicies) {
      const actions = statementsOf(policy.Properties.PolicyDocument).flatMap((statement) =>
        [statement.Action].flat(),
      );
      expect(
        actions.filter((action) => action.includes('*')),
        logicalId,
      ).toEqual([]);
    }
  });
});

function bucketPolicy(): CfnResource {
  const [policy, ...others] = ofType('AWS::S3::BucketPolicy').map(([, candidate]) => candidate);
  expect(others).toHaveLength(0);
  expect(policy?.Properties.Bucket).toEqual(ref(ids.exportBucket));
  return policy as CfnResource;
}
