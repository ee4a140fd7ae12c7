import {
  CancelMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
// Registers the toHaveReceivedCommand* matchers (and their types) for this file.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { queues, redrive, task } from '../../helpers/sqs-dead-letters.ts';

const sqsMock = mockClient(SQSClient);

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
});
