import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandInput,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
  SQSServiceException,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
// Registers the toHaveReceivedCommand* matchers (and their types) for this file.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type RedriveEvent,
  type RedriveOptions,
  redriveDeadLetters,
} from '../../../src/operations/redrive.ts';

const sqsMock = mockClient(SQSClient);

const queues = {
  deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/users-dlq',
  deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:users-dlq',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/users',
  queueArn: 'arn:aws:sqs:eu-west-1:123456789012:users',
};

function redrive(overrides: Partial<RedriveOptions> = {}) {
  const events: RedriveEvent[] = [];
  const done = redriveDeadLetters({
    sqs: new SQSClient({ region: 'eu-west-1' }),
    ...queues,
    maxPerSecond: 20,
    pollIntervalMs: 1,
    receiveWaitSeconds: 0,
    onProgress: (event) => events.push(event),
    ...overrides,
  });
  return { done, events };
}

function task(entry: ListMessageMoveTasksResultEntry): ListMessageMoveTasksResultEntry {
  return { SourceArn: queues.deadLetterQueueArn, DestinationArn: queues.queueArn, ...entry };
}

function deadLetter(id: string, reason?: string): Message {
  return {
    MessageId: id,
    ReceiptHandle: `receipt-${id}`,
    Body: JSON.stringify({ user: { email: `${id}@example.com` } }),
    ...(reason
      ? { MessageAttributes: { FailureReason: { DataType: 'String', StringValue: reason } } }
      : {}),
  };
}

/** Every SendMessageBatch and DeleteMessageBatch entry succeeds unless a test says otherwise. */
function acceptEveryBatch(): void {
  sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
    Successful: (input.Entries ?? []).map(({ Id }) => ({
      Id,
      MessageId: `new-${Id}`,
      MD5OfMessageBody: '',
    })),
    Failed: [],
  }));
  sqsMock.on(DeleteMessageBatchCommand).callsFake((input: DeleteMessageBatchCommandInput) => ({
    Successful: (input.Entries ?? []).map(({ Id }) => ({ Id })),
    Failed: [],
  }));
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
}

beforeEach(() => {
  sqsMock.reset();
});

describe('redriveDeadLetters without a reason: SQS message-move task', () => {
  it('starts a task from the DLQ to the user queue at the given rate and polls it until COMPLETED', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolvesOnce({
        Results: [
          task({
            TaskHandle: 'task-1',
            Status: 'RUNNING',
            StartedTimestamp: 1_000,
            ApproximateNumberOfMessagesMoved: 3,
            ApproximateNumberOfMessagesToMove: 12,
          }),
        ],
      })
      .resolves({
        Results: [
          task({
            Status: 'COMPLETED',
            StartedTimestamp: 1_000,
            ApproximateNumberOfMessagesMoved: 12,
            ApproximateNumberOfMessagesToMove: 12,
          }),
        ],
      });

    const { done, events } = redrive({ maxPerSecond: 25 });
    const result = await done;

    expect(sqsMock).toHaveReceivedCommandExactlyOnceWith(StartMessageMoveTaskCommand, {
      SourceArn: queues.deadLetterQueueArn,
      // Not the default "back to the source queue": SQS does not know the source of messages
      // the consumer dead-lettered itself.
      DestinationArn: queues.queueArn,
      MaxNumberOfMessagesPerSecond: 25,
    });
    expect(result).toMatchObject({ strategy: 'message-move-task', status: 'completed', moved: 12 });
    expect(events).toContainEqual({ type: 'move-task-started', maxPerSecond: 25 });
    expect(events).toContainEqual({
      type: 'move-task-progress',
      status: 'RUNNING',
      moved: 3,
      total: 12,
    });
    expect(sqsMock).not.toHaveReceivedCommand(ReceiveMessageCommand);
  });

  it('does not mistake an earlier, finished task for the one it started', async () => {
    const earlier = task({
      Status: 'COMPLETED',
      StartedTimestamp: 500,
      ApproximateNumberOfMessagesMoved: 99,
    });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-2' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [earlier] })
      // The new task is not listed yet.
      .resolvesOnce({ Results: [earlier] })
      .resolves({
        Results: [
          task({
            Status: 'COMPLETED',
            StartedTimestamp: 2_000,
            ApproximateNumberOfMessagesMoved: 4,
          }),
          earlier,
        ],
      });

    const result = await redrive().done;

    expect(result.moved).toBe(4);
    expect(sqsMock).toHaveReceivedCommandTimes(ListMessageMoveTasksCommand, 3);
  });

  it('follows a task that is already running instead of starting a second one', async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [
          task({
            TaskHandle: 'someone-elses',
            Status: 'RUNNING',
            StartedTimestamp: 1_000,
            MaxNumberOfMessagesPerSecond: 10,
            ApproximateNumberOfMessagesMoved: 1,
            ApproximateNumberOfMessagesToMove: 5,
          }),
        ],
      })
      .resolves({
        Results: [
          task({
            Status: 'COMPLETED',
            StartedTimestamp: 1_000,
            ApproximateNumberOfMessagesMoved: 5,
          }),
        ],
      });

    const { done, events } = redrive();
    const result = await done;

    expect(sqsMock).not.toHaveReceivedCommand(StartMessageMoveTaskCommand);
    expect(events[0]).toEqual({ type: 'move-task-already-running', maxPerSecond: 10 });
    expect(result).toMatchObject({ status: 'completed', moved: 5 });
  });

  it('cancels its task when aborted and reports how far it got', async () => {
    const controller = new AbortController();
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-3' });
    const running = task({
      TaskHandle: 'task-3',
      Status: 'RUNNING',
      StartedTimestamp: 1_000,
      ApproximateNumberOfMessagesMoved: 2,
      ApproximateNumberOfMessagesToMove: 50,
    });
    let cancelled = false;
    // Without a cancel, the task would run forever.
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .callsFake(() => ({
        Results: [cancelled ? { ...running, TaskHandle: undefined, Status: 'CANCELLED' } : running],
      }));
    sqsMock.on(CancelMessageMoveTaskCommand).callsFake(() => {
      cancelled = true;
      return { ApproximateNumberOfMessagesMoved: 2 };
    });

    const { done } = redrive({
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'move-task-progress') controller.abort();
      },
    });
    const result = await done;

    expect(sqsMock).toHaveReceivedCommandExactlyOnceWith(CancelMessageMoveTaskCommand, {
      TaskHandle: 'task-3',
    });
    expect(result).toMatchObject({ status: 'cancelled', moved: 2 });
  });

  it('reports a FAILED task with its reason and the messages it did not move', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-4' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolves({
        Results: [
          task({
            Status: 'FAILED',
            StartedTimestamp: 1_000,
            FailureReason: 'AWS.SimpleQueueService.NonExistentQueue',
            ApproximateNumberOfMessagesMoved: 3,
            ApproximateNumberOfMessagesToMove: 10,
          }),
        ],
      });

    const result = await redrive().done;

    expect(result).toMatchObject({
      status: 'failed',
      moved: 3,
      failed: 7,
      taskFailureReason: 'AWS.SimpleQueueService.NonExistentQueue',
    });
  });

  // moto answers the move-task actions with an HTML 404 page; other emulators name them unknown.
  describe.each([
    [
      'an HTML page the SDK cannot parse (moto)',
      Object.assign(
        new SyntaxError(
          'Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
        ),
        { $metadata: { httpStatusCode: 404 } },
      ),
    ],
    [
      'UnknownOperationException',
      new SQSServiceException({
        name: 'UnknownOperationException',
        $fault: 'client',
        $metadata: {},
        message: 'Unknown operation',
      }),
    ],
    [
      'InvalidAction',
      new SQSServiceException({
        name: 'InvalidAction',
        $fault: 'client',
        $metadata: {},
        message: 'The action ListMessageMoveTasks is not valid for this endpoint.',
      }),
    ],
  ])('when the endpoint answers the move-task actions with %s', (_, error) => {
    it('falls back to the receive-send-delete loop and says so', async () => {
      sqsMock.on(ListMessageMoveTasksCommand).rejects(error);
      sqsMock
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [deadLetter('a', 'workos_503'), deadLetter('b')] })
        .resolves({ Messages: [] });
      acceptEveryBatch();

      const { done, events } = redrive();
      const result = await done;

      expect(sqsMock).not.toHaveReceivedCommand(StartMessageMoveTaskCommand);
      expect(events).toContainEqual(expect.objectContaining({ type: 'move-task-unavailable' }));
      expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
        QueueUrl: queues.queueUrl,
      });
      expect(result).toMatchObject({
        strategy: 'receive-send-delete',
        status: 'completed',
        moved: 2,
      });
    });
  });

  it('does not fall back on other errors: access denied is reported, not worked around', async () => {
    sqsMock.on(ListMessageMoveTasksCommand).rejects(
      new SQSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: {},
        message: 'not authorized to perform sqs:ListMessageMoveTasks',
      }),
    );

    await expect(redrive().done).rejects.toThrow(/not authorized/);
    expect(sqsMock).not.toHaveReceivedCommand(ReceiveMessageCommand);
  });
});

describe('redriveDeadLetters with a reason: receive-send-delete loop', () => {
  it('never starts a move task, which would move every reason', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [] });

    await redrive({ reason: 'workos_503' }).done;

    expect(sqsMock).not.toHaveReceivedCommand(ListMessageMoveTasksCommand);
    expect(sqsMock).not.toHaveReceivedCommand(StartMessageMoveTaskCommand);
  });

  it('sends matching bodies without FailureReason, keeping other attributes', async () => {
    const traced: Message = {
      ...deadLetter('a', 'workos_503'),
      MessageAttributes: {
        FailureReason: { DataType: 'String', StringValue: 'workos_503' },
        TraceId: { DataType: 'String', StringValue: 'trace-1' },
      },
    };
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [traced, deadLetter('b', 'workos_503')] })
      .resolves({ Messages: [] });
    acceptEveryBatch();

    await redrive({ reason: 'workos_503' }).done;

    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: queues.queueUrl,
      Entries: [
        {
          Id: '0',
          MessageBody: traced.Body,
          MessageAttributes: { TraceId: { DataType: 'String', StringValue: 'trace-1' } },
        },
        { Id: '1', MessageBody: deadLetter('b').Body },
      ],
    });
  });

  it('deletes only messages whose send succeeded and counts the rest as failed', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          deadLetter('a', 'workos_503'),
          deadLetter('b', 'workos_503'),
          deadLetter('c', 'workos_503'),
        ],
      })
      .resolves({ Messages: [] });
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [
        { Id: '0', MessageId: 'n0', MD5OfMessageBody: '' },
        { Id: '2', MessageId: 'n2', MD5OfMessageBody: '' },
      ],
      Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }],
    });
    // The delete of c fails after its copy was sent: still in the DLQ, so not moved.
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }],
    });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});

    const result = await redrive({ reason: 'workos_503' }).done;

    expect(sqsMock).toHaveReceivedCommandExactlyOnceWith(DeleteMessageBatchCommand, {
      QueueUrl: queues.deadLetterQueueUrl,
      Entries: [
        { Id: '0', ReceiptHandle: 'receipt-a' },
        { Id: '1', ReceiptHandle: 'receipt-c' },
      ],
    });
    expect(result).toMatchObject({ moved: 1, failed: 2 });
    // What stayed on the DLQ is made visible again at the end, not left hidden.
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      QueueUrl: queues.deadLetterQueueUrl,
      Entries: [
        { Id: '0', ReceiptHandle: 'receipt-b', VisibilityTimeout: 0 },
        { Id: '1', ReceiptHandle: 'receipt-c', VisibilityTimeout: 0 },
      ],
    });
  });

  it('ends when receives bring back only messages it has already examined', async () => {
    // A DLQ of one skipped message whose visibility keeps running out: receives never come back
    // empty, so only remembering what it has seen lets the run end.
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [deadLetter('x', 'other_reason')] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});

    const result = await redrive({ reason: 'workos_503' }).done;

    expect(result).toMatchObject({ moved: 0, skipped: 1, byReason: { other_reason: 1 } });
    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 3);
  });

  it.each(['none', 'unknown'])(
    'selects messages without FailureReason (moved by SQS after maxReceiveCount) with --reason %s',
    async (reason) => {
      sqsMock
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [deadLetter('a', 'workos_503'), deadLetter('b')] })
        .resolves({ Messages: [] });
      acceptEveryBatch();

      const result = await redrive({ reason }).done;

      expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
        Entries: [{ Id: '0', MessageBody: deadLetter('b').Body }],
      });
      expect(result).toMatchObject({ moved: 1, skipped: 1, byReason: { workos_503: 1, none: 1 } });
    },
  );

  it.each([0, 501, 2.5])('refuses maxPerSecond %s', async (maxPerSecond) => {
    await expect(redrive({ maxPerSecond }).done).rejects.toThrow(RangeError);
  });
});
