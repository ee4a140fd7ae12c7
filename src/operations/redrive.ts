import type { SQSClient } from '@aws-sdk/client-sqs';
import { redriveByCopy } from './redrive-by-copy.ts';
import { maxMoveTaskMessagesPerSecond, redriveByMoveTask } from './redrive-by-move-task.ts';

export interface RedriveOptions {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  /** The user queue: where redriven messages go, to be imported again. */
  queueUrl: string;
  queueArn: string;
  /**
   * Moves only the messages the consumer dead-lettered with this reason code (`none` selects
   * those SQS moved after maxReceiveCount). Without it, every message is moved, by an SQS
   * message-move task where the endpoint has one.
   */
  reason?: string;
  /** Whole messages per second, 1–500 (the move task's limit), paced so WorkOS is not flooded. */
  maxPerSecond: number;
  /** Aborting cancels the move task, or stops the loop after the batch in hand. */
  signal?: AbortSignal;
  onProgress?: (event: RedriveEvent) => void;
  /** @default 2000 */
  pollIntervalMs?: number;
  /** Long-poll wait of each receive; long polling asks every SQS server, so "empty" means empty. @default 1 */
  receiveWaitSeconds?: number;
}

/** What a redrive reports while it runs. Counts and reason codes only: never a message body. */
export type RedriveEvent =
  | { type: 'move-task-started'; maxPerSecond: number }
  | { type: 'move-task-already-running'; maxPerSecond: number | undefined }
  | { type: 'move-task-progress'; moved: number; total: number | undefined; status: string }
  | { type: 'move-task-cancelling' }
  /** The endpoint has no message-move tasks (moto, some emulators): the loop moves the messages. */
  | { type: 'move-task-unavailable'; error: string }
  | { type: 'loop-progress'; moved: number; skipped: number; failed: number };

export interface RedriveResult {
  strategy: 'message-move-task' | 'receive-send-delete';
  status: 'completed' | 'cancelled' | 'failed';
  /** Messages now on the user queue and gone from the DLQ (approximate for a move task). */
  moved: number;
  /** Messages with another reason, left on the DLQ. */
  skipped: number;
  /**
   * Messages that should have left the DLQ and did not: SQS refused the send, or the copy was sent
   * and the delete failed (a rerun sends it again; the consumer's upsert makes that harmless).
   */
  failed: number;
  /** Every DLQ message this run examined, by reason code. Empty for a move task, which does not say. */
  byReason: Record<string, number>;
  /** Why SQS failed the move task. */
  taskFailureReason?: string;
}

/**
 * Puts dead-lettered users back on the user queue, to be imported again.
 *
 * Without `reason`, an SQS message-move task does the work server-side. Its destination is always
 * the user queue: the consumer dead-letters some messages itself with SendMessage, so SQS does
 * not know their source queue and could not return them on its own. Endpoints without move tasks
 * get the receive-send-delete loop instead, which is also how messages of one reason are moved.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const { maxPerSecond } = options;
  if (
    !Number.isInteger(maxPerSecond) ||
    maxPerSecond < 1 ||
    maxPerSecond > maxMoveTaskMessagesPerSecond
  ) {
    throw new RangeError(
      `maxPerSecond must be a whole number from 1 to ${maxMoveTaskMessagesPerSecond}`,
    );
  }
  if (options.reason === undefined) {
    const viaTask = await redriveByMoveTask(options);
    if (!('unavailable' in viaTask)) return viaTask;
    options.onProgress?.({ type: 'move-task-unavailable', error: viaTask.unavailable });
  }
  return redriveByCopy(options);
}
