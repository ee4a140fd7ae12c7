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
  ledgerRetentionDays: 45,
  logLevel: 'WARN',
  removalPolicy: 'retain',
});

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
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
    dataKey: logicalIdOf(pipeline.dataKey),
    exportBucket: logicalIdOf(pipeline.exportBucket),
    userQueue: logicalIdOf(pipeline.userQueue),
    deadLetterQueue: logicalIdOf(pipeline.deadLetterQueue),
    splitterFailureQueue: logicalIdOf(pipeline.splitterFailureQueue),
    splitterFunction: logicalIdOf(pipeline.splitterFunction),
    consumerFunction: logicalIdOf(pipeline.consumerFunction),
    splitterLogGroup: logicalIdOf(pipeline.splitterFunction.logGroup),
    consumerLogGroup: logicalIdOf(pipeline.consumerFunction.logGroup),
    alarmTopic: logicalIdOf(pipeline.alarmTopic),
    ledgerTable: logicalIdOf(pipeline.ledgerTable),
    splitterRole: logicalIdOf(pipeline.splitterFunction.role),
    consumerRole: logicalIdOf(pipeline.consumerFunction.role),
  };
  const resource = (logicalId: string): CfnResource => {
    const found = resources[logicalId];
    if (found === undefined) throw new Error(`No resource ${logicalId} in the template`);
    return found;
  };
  return { app, stack, template, resources, ids, resource, logicalIdOf };
}

export type SynthesizedPipeline = ReturnType<typeof synthesizePipeline>;

export interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
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

/**
 * A chain of resources that depend on each other in a circle (through `Ref`, `Fn::GetAtt`,
 * `Fn::Sub` or `DependsOn`), which CloudFormation refuses to deploy; `undefined` if there is none.
 */
export function dependencyCycle(resources: Record<string, CfnResource>): string[] | undefined {
  const dependencies = new Map<string, Set<string>>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const found = new Set<string>([resource.DependsOn ?? []].flat());
    collectReferences(resource.Properties, found);
    dependencies.set(logicalId, new Set([...found].filter((id) => id in resources)));
  }
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (logicalId: string): string[] | undefined => {
    const start = path.indexOf(logicalId);
    if (start >= 0) return [...path.slice(start), logicalId];
    if (done.has(logicalId)) return undefined;
    path.push(logicalId);
    for (const dependency of dependencies.get(logicalId) ?? []) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(logicalId);
    return undefined;
  };
  for (const logicalId of dependencies.keys()) {
    const cycle = visit(logicalId);
    if (cycle) return cycle;
  }
  return undefined;
}

function collectReferences(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, found);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'Ref' && typeof inner === 'string') found.add(inner);
    else if (key === 'Fn::GetAtt' && Array.isArray(inner)) found.add(String(inner[0]));
    else if (key === 'Fn::Sub') {
      const template = Array.isArray(inner) ? inner[0] : inner;
      for (const match of String(template).matchAll(/\$\{([^}.!]+)/g)) found.add(match[1] ?? '');
    }
    collectReferences(inner, found);
  }
}
