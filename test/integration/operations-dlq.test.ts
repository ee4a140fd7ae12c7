import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { runDlqCommand } from '../../src/cli/dlq-command.ts';
import { serializeImportMessage } from '../../src/model/import-message.ts';
import {
  createQueueWithDlq,
  createTestAwsClients,
  type QueueWithDlq,
  queueCounts,
  testAwsCredentials,
  testAwsRegion,
  uniqueName,
} from '../helpers/aws-clients.ts';
import { userMessageFactory } from '../helpers/factories.ts';
import { runMigrateCli } from '../helpers/migrate-cli.ts';

const endpoint = inject('awsEndpoint');
const { sqs } = createTestAwsClients(endpoint);
const cloudformation = new CloudFormationClient({
  endpoint,
  region: testAwsRegion,
  credentials: { ...testAwsCredentials },
});

/** `npm run migrate -- <args>`, with the SDK's default chain pointed at moto. */
const cli = (args: string[]) => runMigrateCli(args, inject('awsEnvironment'));

/** A user message as the splitter queues it: with an email and a password hash. */
function userBody(sourceId: string, line: number): string {
  return serializeImportMessage(
    userMessageFactory(
      {
        sourceId,
        externalId: sourceId,
        email: `${sourceId.replace('|', '.')}@example.com`,
        passwordHash: `$2b$10$${sourceId}`.padEnd(60, 'x'),
      },
      { line },
    ),
  );
}

/** A stack named as `cdk deploy -c env=<env>` names it, whose outputs point at the test queues. */
async function deployStackOutputs(queues: QueueWithDlq): Promise<string> {
  const environment = uniqueName('dlq');
  const outputs: Record<string, string> = {
    ExportBucketName: 'test-exports',
    ExportPrefix: 'exports/',
    UserQueueUrl: queues.queueUrl,
    UserQueueArn: queues.queueArn,
    DeadLetterQueueUrl: queues.dlqUrl,
    DeadLetterQueueArn: queues.dlqArn,
    WorkosApiKeySecretArn: `arn:aws:secretsmanager:${testAwsRegion}:123456789012:secret:workos`,
    SplitterFailureQueueUrl: `${endpoint}/123456789012/splitter-failures`,
  };
  await cloudformation.send(
    new CreateStackCommand({
      StackName: `WorkosUserImport-${environment}`,
      TemplateBody: JSON.stringify({
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(
          Object.entries(outputs).map(([key, value]) => [key, { Value: value }]),
        ),
      }),
    }),
  );
  return environment;
}

/**
 * 3 users the consumer dead-lettered as workos_503, 2 as email_belongs_to_other_user, and 2 that
 * SQS moved itself after maxReceiveCount (no FailureReason).
 */
async function deadLetters(): Promise<{ queues: QueueWithDlq; environment: string }> {
  const queues = await createQueueWithDlq(sqs, {
    maxReceiveCount: 1,
    visibilityTimeoutSeconds: 30,
    namePrefix: 'dlq',
  });
  for (const [index, sourceId] of ['auth0|crash-1', 'auth0|crash-2'].entries()) {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: userBody(sourceId, index) }),
    );
  }
  // Received past maxReceiveCount without being deleted: moto moves them to the DLQ.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    if (Messages.length === 0) break;
  }
  const byReason = {
    workos_503: ['auth0|retry-3', 'auth0|retry-1', 'auth0|retry-2'],
    email_belongs_to_other_user: ['auth0|taken-2', 'auth0|taken-1'],
  };
  for (const [reason, sourceIds] of Object.entries(byReason)) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.dlqUrl,
        Entries: sourceIds.map((sourceId, index) => ({
          Id: String(index),
          MessageBody: userBody(sourceId, 10 + index),
          MessageAttributes: { FailureReason: { DataType: 'String', StringValue: reason } },
        })),
      }),
    );
  }
  expect(await queueCounts(sqs, queues.dlqUrl), 'the DLQ before the command').toMatchObject({
    visible: 7,
  });
  return { queues, environment: await deployStackOutputs(queues) };
}

describe('migrate dlq', () => {
  it('groups the dead letters by reason with example source ids, prints no PII and removes nothing', async () => {
    const { queues, environment } = await deadLetters();

    const { code, stdout, stderr } = await cli(['dlq', '--env', environment]);

    expect(code, stderr).toBe(0);
    expect(stdout).toBe(
      [
        '  reason                       messages  example source ids',
        '  workos_503                          3  auth0|retry-1, auth0|retry-2, auth0|retry-3',
        '  email_belongs_to_other_user         2  auth0|taken-1, auth0|taken-2',
        '  max_receives_exceeded               2  auth0|crash-1, auth0|crash-2',
        '',
        'Read 7 message(s); none was removed.',
        'Find a record with its source id in `npm run migrate -- report <job> ...`; once its cause is fixed, redrive one reason:',
        `  npm run migrate -- redrive --env ${environment} --reason workos_503`,
        `  npm run migrate -- redrive --env ${environment} --reason email_belongs_to_other_user`,
        `  npm run migrate -- redrive --env ${environment} --reason none`,
        '',
      ].join('\n'),
    );
    expect(`${stdout}${stderr}`).not.toMatch(/@example\.com|\$2b\$|Lovelace/);
    expect(await queueCounts(sqs, queues.dlqUrl)).toEqual({
      visible: 7,
      notVisible: 0,
      delayed: 0,
    });
    expect(await queueCounts(sqs, queues.queueUrl)).toMatchObject({ visible: 0 });
  });

  it('--json prints one object for scripts, with --examples per reason', async () => {
    const { environment } = await deadLetters();

    const { code, stdout } = await cli(['dlq', '--env', environment, '--json', '--examples', '1']);

    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as {
      reasons: { reason: string; messages: number; exampleSourceIds: string[] }[];
    };
    expect(summary).toEqual({
      total: 7,
      partial: false,
      reasons: [
        { reason: 'workos_503', messages: 3, exampleSourceIds: [expect.stringMatching(/retry/)] },
        {
          reason: 'email_belongs_to_other_user',
          messages: 2,
          exampleSourceIds: [expect.stringMatching(/taken/)],
        },
        {
          reason: 'max_receives_exceeded',
          messages: 2,
          exampleSourceIds: [expect.stringMatching(/crash/)],
        },
      ],
    });
  });

  it('suggests a redrive command that moves exactly the group it names', async () => {
    const { queues, environment } = await deadLetters();
    let listed = '';
    await runDlqCommand(
      { env: environment, json: false, examples: 3 },
      {
        sqs,
        cloudformation,
        signal: new AbortController().signal,
        out: (text) => {
          listed += text;
        },
        err: () => {},
        receiveWaitSeconds: 0,
      },
    );
    const suggested = listed
      .split('\n')
      .find((line) => line.endsWith('--reason none'))
      ?.trim()
      .replace('npm run migrate -- ', '')
      .split(' ');

    const { code, stderr } = await cli([...(suggested ?? ['missing']), '--rate', '100']);

    expect(code, stderr).toBe(0);
    expect(await queueCounts(sqs, queues.queueUrl)).toMatchObject({ visible: 2 });
    expect(await queueCounts(sqs, queues.dlqUrl)).toMatchObject({ visible: 5 });
  });

  it('says so when the dead-letter queue is empty', async () => {
    const queues = await createQueueWithDlq(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 30,
      namePrefix: 'dlq-empty',
    });
    const environment = await deployStackOutputs(queues);

    const { code, stdout } = await cli(['dlq', '--env', environment]);

    expect(code).toBe(0);
    expect(stdout).toBe('The dead-letter queue is empty.\n');
  });

  it('exits 2 with the deploy command when the environment has no stack', async () => {
    const { code, stderr } = await cli(['dlq', '--env', 'never-deployed']);

    expect(code).toBe(2);
    expect(stderr).toContain('Stack WorkosUserImport-never-deployed not found');
  });
});
