import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import {
  type EnvironmentSettings,
  parseEnvironmentSettings,
} from '../../lib/environment-settings.ts';
import { ImportPipelineStack } from '../../lib/import-pipeline-stack.ts';

/** `cdk.json` as the CDK CLI reads it. */
export const cdkJson = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
) as { context: Record<string, unknown> & { environments: Record<string, unknown> } };

/**
 * Settings unlike every default, so that a test passes only when the template follows the settings
 * rather than a literal that happens to equal the default.
 */
export const distinctiveSettings: EnvironmentSettings = parseEnvironmentSettings('test', {
  targetWritesPerSecond: 30,
  consumerMaxConcurrency: 7,
  maxReceiveCount: 6,
  exportRetentionDays: 3,
  logLevel: 'WARN',
  removalPolicy: 'retain',
});

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/**
 * Synthesizes the stack without bundling (the handlers' code is not what these tests are about),
 * with the feature flags from `cdk.json` so that the template matches a real synth.
 */
export function synthesizePipeline(settings: EnvironmentSettings = distinctiveSettings) {
  const { environments: _environments, ...featureFlags } = cdkJson.context;
  const app = new App({ context: { ...featureFlags, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ImportPipelineStack(app, 'WorkosUserImport-test', { settings });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  const { pipeline } = stack;

  const logicalIdOf = (construct: IConstruct): string =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const ids = {
    exportBucket: logicalIdOf(pipeline.exportBucket),
    userQueue: logicalIdOf(pipeline.userQueue),
    deadLetterQueue: logicalIdOf(pipeline.deadLetterQueue),
    splitterFailureQueue: logicalIdOf(pipeline.splitterFailureQueue),
    splitterFunction: logicalIdOf(pipeline.splitterFunction),
    consumerFunction: logicalIdOf(pipeline.consumerFunction),
    splitterLogGroup: logicalIdOf(pipeline.splitterFunction.logGroup),
    consumerLogGroup: logicalIdOf(pipeline.consumerFunction.logGroup),
    alarmTopic: logicalIdOf(pipeline.alarmTopic),
  };
  const resource = (logicalId: string): CfnResource => {
    const found = resources[logicalId];
    if (found === undefined) throw new Error(`No resource ${logicalId} in the template`);
    return found;
  };
  return { app, stack, template, resources, ids, resource, logicalIdOf };
}

export type SynthesizedPipeline = ReturnType<typeof synthesizePipeline>;

interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM statement attached to the execution role of a function. */
export function statementsOfFunction(
  { resources, resource }: SynthesizedPipeline,
  functionLogicalId: string,
): PolicyStatement[] {
  const role = resource(functionLogicalId).Properties.Role as { 'Fn::GetAtt': [string, string] };
  const roleRef = JSON.stringify({ Ref: role['Fn::GetAtt'][0] });
  return Object.values(resources)
    .filter((candidate) => candidate.Type === 'AWS::IAM::Policy')
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === roleRef),
    )
    .flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement,
    );
}

/** Whether the statements allow `action` (IAM wildcards honoured) on exactly `resource`. */
export function allows(statements: PolicyStatement[], action: string, resource: unknown): boolean {
  const wanted = JSON.stringify(resource);
  return statements.some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    const actions = [statement.Action].flat();
    const resources = [statement.Resource].flat();
    return (
      actions.some((pattern) => iamPattern(pattern).test(action)) &&
      resources.some((candidate) => JSON.stringify(candidate) === wanted)
    );
  });
}

function iamPattern(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** `arn-of-bucket/<suffix>` as CDK writes it in a policy. */
export function objectArn(bucketLogicalId: string, suffix: string) {
  return { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketLogicalId, 'Arn'] }, `/${suffix}`]] };
}
