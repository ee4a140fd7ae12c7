import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { MigrationLedgerTable } from '../../lib/migration-ledger-table.ts';
import { addPipelineAlarms } from '../../lib/pipeline-alarms.ts';
import { addConsumerFunction, addSplitterFunction } from '../../lib/pipeline-functions.ts';
import { PipelineKey } from '../../lib/pipeline-key.ts';
import { addPipelineQueues } from '../../lib/pipeline-queues.ts';
import { addExportBucket, notifySplitterOfUploads } from '../../lib/pipeline-storage.ts';
import { addWorkosApiKeySecret } from '../../lib/workos-api-key-secret.ts';
import { distinctiveSettings as settings, synthesizePipeline } from './pipeline-template.ts';

/** A scope standing in for the pipeline, in a stack that bundles no code. */
function pipelineScope() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Parts');
  const scope = new Construct(stack, 'ImportPipeline');
  const dataKey = new PipelineKey(scope, 'DataKey', { settings });
  return { stack, scope, dataKey, removalPolicy: RemovalPolicy.RETAIN };
}

const childIds = (scope: Construct) => scope.node.children.map((child) => child.node.id);

describe('Parts of the ImportPipeline', () => {
  it('create their resources in the scope they are given, under the ids deployed stacks have', () => {
    const { scope, dataKey, removalPolicy } = pipelineScope();
    const exportBucket = addExportBucket(scope, { settings, dataKey, removalPolicy });
    const queues = addPipelineQueues(scope, {
      settings,
      dataKey,
      removalPolicy,
      consumerTimeout: Duration.seconds(60),
    });
    const ledgerTable = new MigrationLedgerTable(scope, 'LedgerTable', {
      settings,
      encryptionKey: dataKey,
    });
    const workosApiKey = addWorkosApiKeySecret(scope, { settings, removalPolicy });
    const splitter = addSplitterFunction(scope, {
      settings,
      dataKey,
      exportBucket,
      queues,
      ledgerTable,
      workosApiKey,
    });
    notifySplitterOfUploads(exportBucket, splitter);
    const consumerFunction = addConsumerFunction(scope, {
      settings,
      dataKey,
      queues,
      ledgerTable,
      workosApiKey,
    });
    const { alarmTopic, alarms } = addPipelineAlarms(scope, {
      settings,
      dataKey,
      queues,
      consumerFunction,
    });

    // Each part is a handful of resources directly under the scope: no construct of its own,
    // which would put its name into every logical id below it.
    expect(childIds(scope)).toEqual([
      'DataKey',
      'ExportBucket',
      'DeadLetterQueue',
      'UserQueue',
      'SplitterFailureQueue',
      'LedgerTable',
      'WorkosApiKey',
      'SplitterFunctionLogGroup',
      'SplitterFunctionRole',
      'SplitterFunction',
      'ConsumerFunctionLogGroup',
      'ConsumerFunctionRole',
      'ConsumerFunction',
      'ConsumerSelfStopPolicy',
      'AlarmTopic',
      'DeadLetterQueueNotEmpty',
      'SplitterFailuresNotEmpty',
      'UserQueueStale',
      'ConsumerErrors',
      'UserQueueNotDraining',
    ]);
    expect([alarmTopic, ...Object.values(alarms)].map((c) => c.node.scope)).toEqual(
      Array(6).fill(scope),
    );
  });

  it('derive the user queue visibility timeout from the consumer timeout they are given', () => {
    const { stack, scope, dataKey, removalPolicy } = pipelineScope();
    addPipelineQueues(scope, {
      settings,
      dataKey,
      removalPolicy,
      consumerTimeout: Duration.seconds(25),
    });
    const queues = Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue'));
    const visibilityTimeouts = queues.map((queue) => queue.Properties.VisibilityTimeout);
    expect(visibilityTimeouts.filter((timeout) => timeout !== undefined)).toEqual([150]);
  });

  it('name the secret by its name when the settings give one, by its ARN otherwise', () => {
    const created = pipelineScope();
    const createdSecret = addWorkosApiKeySecret(created.scope, {
      settings,
      removalPolicy: created.removalPolicy,
    });
    expect(createdSecret.secretId).toBe(createdSecret.secret.secretArn);

    const named = pipelineScope();
    const namedSecret = addWorkosApiKeySecret(named.scope, {
      settings: { workosApiKeySecretName: 'workos/api-key' },
      removalPolicy: named.removalPolicy,
    });
    expect(namedSecret.secretId).toBe('workos/api-key');
  });
});

describe('Construct: ImportPipeline, composed of its parts', () => {
  it('keeps the logical IDs of the key, the functions and the event source mapping', () => {
    const { template, ids } = synthesizePipeline();
    const mappings = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'));
    // A new key would leave every retained bucket, queue, table and log group unreadable.
    expect({
      dataKey: ids.dataKey,
      splitterFunction: ids.splitterFunction,
      consumerFunction: ids.consumerFunction,
      mappings,
    }).toEqual({
      dataKey: 'ImportPipelineDataKeyA877128B',
      splitterFunction: 'ImportPipelineSplitterFunction4B2B9E47',
      consumerFunction: 'ImportPipelineConsumerFunctionBA327600',
      mappings: [
        'ImportPipelineConsumerFunctionSqsEventSourceWorkosUserImporttestImportPipelineUserQueue3E637290E03CB412',
      ],
    });
  });
});
