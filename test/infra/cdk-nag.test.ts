import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { selectEnvironment, stackNameFor } from '../../lib/app-environments.ts';
import { addComplianceChecks } from '../../lib/compliance-checks.ts';
import type { EnvironmentSettings } from '../../lib/environment-settings.ts';
import { ImportPipelineStack } from '../../lib/import-pipeline-stack.ts';
import { cdkJson, distinctiveSettings } from './pipeline-template.ts';

/**
 * An app as `bin/app.ts` builds it: the feature flags from `cdk.json` and the same compliance
 * checks, but no bundling. `Template.fromStack` never runs validation plugins, so these tests
 * call `app.synth()`, which throws on any finding nobody acknowledged.
 */
function appWithChecks(): App {
  const { environments: _environments, ...featureFlags } = cdkJson.context;
  const app = new App({ context: { ...featureFlags, 'aws:cdk:bundling-stacks': [] } });
  addComplianceChecks(app);
  return app;
}

function pipelineApp(name: string, settings: EnvironmentSettings) {
  const app = appWithChecks();
  const stack = new ImportPipelineStack(app, stackNameFor(name), { settings });
  return { app, stack };
}

/** Every acknowledgement under `root`, as "<path below the stack> <rule id>", sorted. */
function acknowledgements(root: IConstruct): { finding: string; reason: string }[] {
  const stackPath = `${root.node.path}/`;
  return root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
        .map(([id, reason]) => ({
          finding: `${construct.node.path.replace(stackPath, '')} ${id.replace(/^annotation::/i, '')}`,
          reason,
        })),
    )
    .sort((a, b) => a.finding.localeCompare(b.finding));
}

describe('cdk-nag AwsSolutions checks', () => {
  const { environments } = cdkJson.context;

  it.each(Object.keys(environments))(
    'find nothing unacknowledged in the %s environment of cdk.json',
    (env) => {
      const { settings } = selectEnvironment({ env, environments });
      const { app } = pipelineApp(env, settings);
      expect(() => app.synth()).not.toThrow();
    },
  );

  it('find nothing unacknowledged when the WorkOS API key is an existing secret', () => {
    const { app } = pipelineApp('test', {
      ...distinctiveSettings,
      workosApiKeySecretName: 'workos/user-import/api-key',
    });
    expect(() => app.synth()).not.toThrow();
  });

  it('fail the synth on a finding nobody acknowledged', () => {
    const app = appWithChecks();
    new Queue(new Stack(app, 'Unreviewed'), 'PlainQueue', {
      encryption: QueueEncryption.UNENCRYPTED,
    });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  });

  it('accept only these findings, each with a reason of its own', () => {
    const { stack } = pipelineApp('prod', distinctiveSettings);
    const acknowledged = acknowledgements(stack);
    expect(acknowledged.map(({ finding }) => finding)).toEqual([
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834 AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'ImportPipeline/ConsumerSelfStopPolicy AwsSolutions-IAM5[Resource::*]',
      'ImportPipeline/ExportBucket AwsSolutions-S1',
      'ImportPipeline/SplitterFailureQueue AwsSolutions-SQS3',
      'ImportPipeline/SplitterFunctionRole AwsSolutions-IAM5[Resource::<ImportPipelineExportBucket9E740753.Arn>/exports/*]',
      'ImportPipeline/SplitterFunctionRole AwsSolutions-IAM5[Resource::<ImportPipelineExportBucket9E740753.Arn>/jobs/*]',
      'ImportPipeline/SplitterFunctionRole AwsSolutions-IAM5[Resource::<ImportPipelineExportBucket9E740753.Arn>/reports/*]',
      'ImportPipeline/SplitterFunctionRole AwsSolutions-IAM5[Resource::<ImportPipelineExportBucket9E740753.Arn>/snapshots/*]',
      'ImportPipeline/WorkosApiKey AwsSolutions-SMG4',
    ]);
    const reasons = acknowledged.map(({ reason }) => reason);
    expect(new Set(reasons).size).toBe(reasons.length);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(80);
  });
});
