import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { serializeImportMessage } from '../../../src/model/import-message.ts';
import {
  maxReceivesExceededReason,
  redriveReasonFor,
  sourceIdOf,
  summarizeDeadLetters,
} from '../../../src/operations/dead-letter-summary.ts';
import { userMessageFactory } from '../../helpers/factories.ts';

const sqsMock = mockClient(SQSClient);
const deadLetterQueueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/users-dlq';

beforeEach(() => {
  sqsMock.reset();
});

function deadLetter(id: string, sourceId: string, reason?: string): Message {
  return {
    MessageId: id,
    ReceiptHandle: `receipt-${id}`,
    Body: serializeImportMessage(
      userMessageFactory({
        sourceId,
        externalId: sourceId,
        email: `${id}@example.com`,
        passwordHash: `$2b$10$${id}`.padEnd(60, 'x'),
      }),
    ),
    ...(reason
      ? { MessageAttributes: { FailureReason: { DataType: 'String', StringValue: reason } } }
      : {}),
  };
}

describe('sourceIdOf()', () => {
  it.each([
    [
      'a user message',
      serializeImportMessage(userMessageFactory({ sourceId: 'auth0|42' })),
      'auth0|42',
    ],
    ['a body that is not JSON', 'not json', undefined],
    ['JSON without a user', JSON.stringify({ email: 'a@example.com' }), undefined],
    ['a user without a source id', JSON.stringify({ user: { email: 'a@example.com' } }), undefined],
    ['no body', undefined, undefined],
  ])('reads %s', (_, body, expected) => {
    expect(sourceIdOf(body)).toBe(expected);
  });

  it('makes control characters harmless on a terminal', () => {
    const body = JSON.stringify({ user: { sourceId: 'auth0|1\u001b[2J\u0007' } });

    expect(sourceIdOf(body)).toBe('auth0|1?[2J?');
  });

  it('cuts an over-long source id', () => {
    const sourceId = sourceIdOf(JSON.stringify({ user: { sourceId: 'x'.repeat(500) } }));

    expect(sourceId).toHaveLength(100);
    expect(sourceId?.endsWith('…')).toBe(true);
  });
});

describe('summarizeDeadLetters()', () => {
  it('groups by FailureReason, names those without one max_receives_exceeded, and keeps 3 examples', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          deadLetter('m1', 'auth0|c', 'workos_503'),
          deadLetter('m2', 'auth0|a', 'workos_503'),
          deadLetter('m3', 'auth0|d', 'workos_503'),
          deadLetter('m4', 'auth0|b', 'workos_503'),
          deadLetter('m5', 'auth0|x'),
          deadLetter('m6', 'auth0|y', 'email_belongs_to_other_user'),
        ],
      })
      .resolves({ Messages: [] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    const summary = await summarizeDeadLetters({
      sqs: new SQSClient({ region: 'eu-west-1' }),
      deadLetterQueueUrl,
      receiveWaitSeconds: 0,
    });

    expect(summary).toEqual({
      total: 6,
      partial: false,
      reasons: [
        { reason: 'workos_503', messages: 4, exampleSourceIds: ['auth0|a', 'auth0|c', 'auth0|d'] },
        { reason: 'email_belongs_to_other_user', messages: 1, exampleSourceIds: ['auth0|y'] },
        { reason: maxReceivesExceededReason, messages: 1, exampleSourceIds: ['auth0|x'] },
      ],
    });
    expect(JSON.stringify(summary)).not.toMatch(/@example\.com|\$2b\$/);
  });

  it('removes nothing and makes every message it read visible again', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [deadLetter('m1', 'auth0|1', 'workos_503')] })
      .resolves({ Messages: [] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    await summarizeDeadLetters({
      sqs: new SQSClient({ region: 'eu-west-1' }),
      deadLetterQueueUrl,
      receiveWaitSeconds: 0,
    });

    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageCommand);
    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageBatchCommand);
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      QueueUrl: deadLetterQueueUrl,
      Entries: [{ Id: '0', ReceiptHandle: 'receipt-m1', VisibilityTimeout: 0 }],
    });
  });
});

describe('redriveReasonFor()', () => {
  it('selects the messages SQS moved with redrive --reason none', () => {
    expect(redriveReasonFor(maxReceivesExceededReason)).toBe('none');
    expect(redriveReasonFor('workos_503')).toBe('workos_503');
  });
});
