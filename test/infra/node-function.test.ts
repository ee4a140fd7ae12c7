import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { NodeFunction } from '../../lib/node-function.ts';
import type { EnvironmentVariables } from '../../src/config.ts';
import { consumerEnvironmentSchema } from '../../src/config.ts';

const consumerEnvironment: EnvironmentVariables<typeof consumerEnvironmentSchema> = {
  USER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/users',
  LEDGER_TABLE_NAME: 'migration-ledger',
  LEDGER_RETENTION_DAYS: undefined,
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letters',
  WORKOS_API_KEY_SECRET_ID: 'workos/api-key',
  WORKOS_API_URL: undefined,
  TARGET_WRITES_PER_SECOND: '45',
  CONSUMER_MAX_CONCURRENCY: '4',
  MAX_RECEIVE_COUNT: '5',
  WORKOS_TIMEOUT_MS: undefined,
};

function synthesizeConsumer(environment: Record<string, string | undefined>) {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  new NodeFunction(stack, 'Consumer', {
    entry: 'lambdas/consumer/handler.ts',
    timeout: Duration.seconds(60),
    memorySize: 512,
    settings: { logLevel: 'ERROR', removalPolicy: 'destroy' },
    logEncryptionKey: new Key(stack, 'LogKey'),
    environmentSchema: consumerEnvironmentSchema,
    environment: environment as typeof consumerEnvironment,
  });
  return Template.fromStack(stack);
}

describe('Construct: NodeFunction', () => {
  it('leaves unset variables out, so the function applies the schema default', () => {
    const template = synthesizeConsumer(consumerEnvironment);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const variables = fn?.Properties.Environment.Variables as Record<string, string>;
    expect(variables).not.toHaveProperty('WORKOS_API_URL');
    expect(variables).not.toHaveProperty('WORKOS_TIMEOUT_MS');
    expect(variables.MAX_RECEIVE_COUNT).toBe('5');
  });

  it('runs with a role of its own that may write only to its own log group', () => {
    const template = synthesizeConsumer(consumerEnvironment);
    const [role, ...otherRoles] = Object.values(template.findResources('AWS::IAM::Role'));
    expect(otherRoles).toHaveLength(0);
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
          },
        ],
      },
    });
  });

  it('caps the system log level at WARN, the highest Lambda offers', () => {
    synthesizeConsumer(consumerEnvironment).hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { ApplicationLogLevel: 'ERROR', SystemLogLevel: 'WARN' },
    });
  });

  it.each([
    [
      'a value the function would reject at cold start',
      { WORKOS_API_URL: 'api.workos.com' },
      /WORKOS_API_URL/,
    ],
    ['a number the function would reject', { MAX_RECEIVE_COUNT: 'five' }, /MAX_RECEIVE_COUNT/],
    [
      'a variable the schema does not know',
      { WORKOS_API_KEY: 'sk_live_x' },
      /WORKOS_API_KEY is not in/,
    ],
  ])('fails the synth on %s', (_case, change, message) => {
    expect(() => synthesizeConsumer({ ...consumerEnvironment, ...change })).toThrow(message);
  });
});
