import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
// Registers the toHaveReceivedCommand* matchers (and their types) for this file.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { acceptEveryBatch, deadLetter, queues, redrive } from '../../helpers/sqs-dead-letters.ts';

const sqsMock = mockClient(SQSClient);

beforeEach(() => {
  sqsMock.reset();
});

describe('redriveDeadLetters with a reason: receive-send-delete loop', () => {
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
    acceptEveryBatch(sqsMock);

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
      acceptEveryBatch(sqsMock);

      const result = await redrive({ reason }).done;

      expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
        Entries: [{ Id: '0', MessageBody: deadLetter('b').Body }],
      });
      expect(result).toMatchObject({ moved: 1, skipped: 1, byReason: { workos_503: 1, none: 1 } });
    },
  );
});
