/**
 * Dead letters, queues and a redrive run for the unit tests of the redrive strategies, against
 * an aws-sdk-client-mock of SQS each test file creates.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandInput,
  type ListMessageMoveTasksResultEntry,
  type Message,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import {
  type RedriveEvent,
  type RedriveOptions,
  redriveDeadLetters,
} from '../../src/operations/redrive.ts';

export const queues = {
  deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/users-dlq',
  deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:users-dlq',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/users',
  queueArn: 'arn:aws:sqs:eu-west-1:123456789012:users',
};

export function redrive(overrides: Partial<RedriveOptions> = {}) {
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

export function task(entry: ListMessageMoveTasksResultEntry): ListMessageMoveTasksResultEntry {
  return { SourceArn: queues.deadLetterQueueArn, DestinationArn: queues.queueArn, ...entry };
}

export function deadLetter(id: string, reason?: string): Message {
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
export function acceptEveryBatch(sqsMock: AwsClientStub<SQSClient>): void {
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
