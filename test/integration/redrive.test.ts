import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { runRedriveCommand } from '../../src/cli/redrive-command.ts';
import { type RedriveEvent, redriveDeadLetters } from '../../src/operations/redrive.ts';
import {
  createQueueWithDlq,
  createTestAwsClients,
  type DrainedMessage,
  drainQueue,
  type QueueWithDlq,
  queueCounts,
  testAwsCredentials,
  testAwsRegion,
  uniqueName,
} from '../helpers/aws-clients.ts';
import { runMigrateCli } from '../helpers/migrate-cli.ts';

const endpoint = inject('awsEndpoint');
const { sqs } = createTestAwsClients(endpoint);
const cloudformation = new CloudFormationClient({
  endpoint,
  region: testAwsRegion,
  credentials: { ...testAwsCredentials },
});

/** A dead letter's body: what a user message holds that must never reach a terminal. */
function userBody(label: string, index: number): string {
  return JSON.stringify({
    email: `${label}-${index}@example.com`,
    passwordHash: `$2b$10$${label}${index}`.padEnd(60, 'x'),
  });
}

interface MixedDeadLetters {
  queues: QueueWithDlq;
  /** Bodies by the reason the DLQ holds them under; `none` for those SQS moved itself. */
  bodies: Record<'workos_503' | 'email_belongs_to_other_user' | 'none', string[]>;
}

/**
 * A DLQ as production fills it: messages the consumer dead-lettered with a FailureReason, and
 * messages SQS's redrive policy moved after maxReceiveCount, which carry no reason.
 */
async function mixedDeadLetters(): Promise<MixedDeadLetters> {
  const queues = await createQueueWithDlq(sqs, {
    maxReceiveCount: 1,
    visibilityTimeoutSeconds: 30,
    namePrefix: 'redrive',
  });
  const bodies: MixedDeadLetters['bodies'] = {
    workos_503: [0, 1, 2, 3].map((index) => userBody('retry', index)),
    email_belongs_to_other_user: [0, 1, 2].map((index) => userBody('conflict', index)),
    none: [0, 1].map((index) => userBody('crashed', index)),
  };

  // Received past maxReceiveCount without being deleted: moto moves them to the DLQ.
  for (const body of bodies.none) {
    await sqs.send(new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: body }));
  }
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

  // What the consumer's deadLetter() sends.
  for (const reason of ['workos_503', 'email_belongs_to_other_user'] as const) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.dlqUrl,
        Entries: bodies[reason].map((body, index) => ({
          Id: String(index),
          MessageBody: body,
          MessageAttributes: { FailureReason: { DataType: 'String', StringValue: reason } },
        })),
      }),
    );
  }
  const counts = await queueCounts(sqs, queues.dlqUrl);
  expect(counts.visible, 'the DLQ holds every dead letter before the redrive').toBe(9);
  return { queues, bodies };
}

function reasonsOf(messages: DrainedMessage[]): string[] {
  return messages
    .map((message) => message.messageAttributes.FailureReason?.StringValue ?? 'none')
    .sort();
}

function redriveOptions(queues: QueueWithDlq) {
  return {
    sqs,
    deadLetterQueueUrl: queues.dlqUrl,
    deadLetterQueueArn: queues.dlqArn,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    maxPerSecond: 200,
    receiveWaitSeconds: 0,
  };
}

/** A stack named as `cdk deploy -c env=<env>` names it, whose outputs point at the test queues. */
async function deployStackOutputs(queues: QueueWithDlq): Promise<string> {
  const environment = uniqueName('redrive');
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

describe('redriveDeadLetters against SQS (moto)', () => {
  it('--reason workos_503 moves exactly those messages, bodies intact and FailureReason gone', async () => {
    const { queues, bodies } = await mixedDeadLetters();

    const result = await redriveDeadLetters({ ...redriveOptions(queues), reason: 'workos_503' });

    expect(result).toMatchObject({
      strategy: 'receive-send-delete',
      status: 'completed',
      moved: 4,
      skipped: 5,
      failed: 0,
      byReason: { workos_503: 4, email_belongs_to_other_user: 3, none: 2 },
    });
    // The others are visible again at once, not hidden until a visibility timeout runs out.
    expect(await queueCounts(sqs, queues.dlqUrl)).toEqual({
      visible: 5,
      notVisible: 0,
      delayed: 0,
    });
    const redriven = await drainQueue(sqs, queues.queueUrl);
    expect(redriven.map((message) => message.body).sort()).toEqual([...bodies.workos_503].sort());
    for (const message of redriven) expect(message.messageAttributes).toEqual({});
    expect(reasonsOf(await drainQueue(sqs, queues.dlqUrl))).toEqual([
      'email_belongs_to_other_user',
      'email_belongs_to_other_user',
      'email_belongs_to_other_user',
      'none',
      'none',
    ]);
  });

  it('--reason none moves the messages SQS dead-lettered after maxReceiveCount', async () => {
    const { queues, bodies } = await mixedDeadLetters();

    const result = await redriveDeadLetters({ ...redriveOptions(queues), reason: 'none' });

    expect(result).toMatchObject({ moved: 2, skipped: 7 });
    const redriven = await drainQueue(sqs, queues.queueUrl);
    expect(redriven.map((message) => message.body).sort()).toEqual([...bodies.none].sort());
  });

  it('without a reason, falls back to the loop (moto has no move tasks) and moves everything', async () => {
    const { queues, bodies } = await mixedDeadLetters();
    const events: RedriveEvent[] = [];

    const result = await redriveDeadLetters({
      ...redriveOptions(queues),
      onProgress: (event) => events.push(event),
    });

    expect(events[0]).toMatchObject({ type: 'move-task-unavailable' });
    expect(result).toMatchObject({ strategy: 'receive-send-delete', moved: 9, skipped: 0 });
    expect(await queueCounts(sqs, queues.dlqUrl)).toEqual({
      visible: 0,
      notVisible: 0,
      delayed: 0,
    });
    const redriven = await drainQueue(sqs, queues.queueUrl);
    expect(redriven.map((message) => message.body).sort()).toEqual(
      Object.values(bodies).flat().sort(),
    );
  });

  it('holds the rate: 30 messages at 20/s take at least ~1.4 s', async () => {
    const queues = await createQueueWithDlq(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 30,
      namePrefix: 'redrive-rate',
    });
    for (let start = 0; start < 30; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queues.dlqUrl,
          Entries: Array.from({ length: 10 }, (_, index) => ({
            Id: String(index),
            MessageBody: userBody('paced', start + index),
            MessageAttributes: { FailureReason: { DataType: 'String', StringValue: 'workos_503' } },
          })),
        }),
      );
    }

    const started = performance.now();
    const result = await redriveDeadLetters({
      ...redriveOptions(queues),
      reason: 'workos_503',
      maxPerSecond: 20,
    });
    const elapsedMs = performance.now() - started;

    expect(result.moved).toBe(30);
    // Evenly spaced, the 30th message leaves 29/20 s = 1.45 s after the first. A lower bound
    // only: a slow machine may take longer, never shorter.
    expect(elapsedMs).toBeGreaterThanOrEqual(1_300);
  });
});

describe('migrate redrive (the command)', () => {
  it('--dry-run counts the DLQ by reason from the stack outputs and moves nothing', async () => {
    const { queues } = await mixedDeadLetters();
    const environment = await deployStackOutputs(queues);
    let stdout = '';
    let stderr = '';

    const exitCode = await runRedriveCommand(
      { env: environment, dryRun: true, rate: 20, reason: 'workos_503' },
      {
        sqs,
        cloudformation,
        signal: new AbortController().signal,
        out: (text) => {
          stdout += text;
        },
        err: (text) => {
          stderr += text;
        },
        receiveWaitSeconds: 0,
      },
    );

    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/workos_503\s+4\n/);
    expect(stdout).toMatch(/email_belongs_to_other_user\s+3\n/);
    expect(stdout).toMatch(/none \(no FailureReason[^\n]*\s+2\n/);
    expect(stdout).toContain('Counted 9 message(s); a redrive --reason workos_503 would move 4.');
    expect(await queueCounts(sqs, queues.queueUrl)).toEqual({
      visible: 0,
      notVisible: 0,
      delayed: 0,
    });
    expect(await queueCounts(sqs, queues.dlqUrl)).toEqual({
      visible: 9,
      notVisible: 0,
      delayed: 0,
    });
    expect(`${stdout}${stderr}`).not.toContain('@example.com');
  });

  describe('run as `npm run migrate -- redrive`, with the SDK configured by the environment', () => {
    const cli = (args: string[]) => runMigrateCli(['redrive', ...args], inject('awsEnvironment'));

    it('moves one reason, prints counts and reasons only, and exits 0', async () => {
      const { queues } = await mixedDeadLetters();
      const environment = await deployStackOutputs(queues);

      const { code, stdout, stderr } = await cli([
        '--env',
        environment,
        '--reason',
        'workos_503',
        '--rate',
        '100',
      ]);

      expect(code, stderr).toBe(0);
      expect(stdout).toContain('Moved 4 message(s) to the user queue.');
      expect(`${stdout}${stderr}`).not.toMatch(/@example\.com|\$2b\$/);
      expect(await queueCounts(sqs, queues.queueUrl)).toMatchObject({ visible: 4 });
    });

    it('exits 2 with the deploy command when the environment has no stack', async () => {
      const { code, stderr } = await cli(['--env', 'never-deployed', '--dry-run']);

      expect(code).toBe(2);
      expect(stderr).toContain('Stack WorkosUserImport-never-deployed not found');
      expect(stderr).toContain('npm run cdk -- deploy -c env=never-deployed');
    });

    it('exits 2 on a usage error', async () => {
      const { code, stderr } = await cli(['--env', 'dev', '--rate', '0']);

      expect(code).toBe(2);
      expect(stderr).toContain("option '--rate <per-second>' argument '0' is invalid");
    });
  });
});
