import {
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  SQSServiceException,
  StartMessageMoveTaskCommand,
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

describe('redriveDeadLetters without a reason, where the endpoint has no message-move tasks', () => {
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
      acceptEveryBatch(sqsMock);

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

describe('redriveDeadLetters: choosing the strategy', () => {
  it('never starts a move task, which would move every reason', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [] });

    await redrive({ reason: 'workos_503' }).done;

    expect(sqsMock).not.toHaveReceivedCommand(ListMessageMoveTasksCommand);
    expect(sqsMock).not.toHaveReceivedCommand(StartMessageMoveTaskCommand);
  });

  it.each([0, 501, 2.5])('refuses maxPerSecond %s', async (maxPerSecond) => {
    await expect(redrive({ maxPerSecond }).done).rejects.toThrow(RangeError);
  });
});
