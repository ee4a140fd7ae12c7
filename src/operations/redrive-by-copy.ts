import {
  DeleteMessageBatchCommand,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { WritePacer } from '../import/write-pacer.ts';
import { failureReasonAttribute } from '../queue/queue-types.ts';
import { type DeadLetter, scanDeadLetters, selectsReason } from './dead-letter-scan.ts';
import { pauseUnlessAborted } from './pause.ts';
import type { RedriveOptions, RedriveResult } from './redrive.ts';

/**
 * Strategy 2 of a redrive: receive, send, delete. Slower than a move task, but it can leave
 * messages of other reasons behind, and it works where the endpoint has no move tasks.
 */

/**
 * Receives each DLQ message once, sends those of the wanted reason to the user queue at
 * `maxPerSecond` and deletes them from the DLQ; the others are left there (made visible again
 * when the run ends). Aborting stops after the batch in hand.
 */
export async function redriveByCopy(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, queueUrl, reason: wanted, signal, onProgress } = options;
  const pacer = new WritePacer({
    writesPerSecond: options.maxPerSecond,
    sleep: async (ms) => {
      await pauseUnlessAborted(ms, signal);
    },
  });
  const result: RedriveResult = {
    strategy: 'receive-send-delete',
    status: 'completed',
    moved: 0,
    skipped: 0,
    failed: 0,
    byReason: {},
  };

  await scanDeadLetters(options, async (batch) => {
    const leftOnQueue: DeadLetter[] = [];
    const toSend: DeadLetter[] = [];
    for (const deadLetter of batch) {
      result.byReason[deadLetter.reason] = (result.byReason[deadLetter.reason] ?? 0) + 1;
      if (!selectsReason(wanted, deadLetter.reason)) {
        result.skipped += 1;
        leftOnQueue.push(deadLetter);
        continue;
      }
      // Even spacing at maxPerSecond: the consumer then sees a steady stream, not a burst.
      if (!signal?.aborted) await pacer.acquire(Number.POSITIVE_INFINITY);
      if (signal?.aborted) leftOnQueue.push(deadLetter);
      else toSend.push(deadLetter);
    }
    if (toSend.length > 0) {
      const { moved, notMoved } = await moveBatch(
        sqs,
        options.deadLetterQueueUrl,
        queueUrl,
        toSend,
      );
      result.moved += moved;
      result.failed += notMoved.length;
      leftOnQueue.push(...notMoved);
    }
    onProgress?.({
      type: 'loop-progress',
      moved: result.moved,
      skipped: result.skipped,
      failed: result.failed,
    });
    return leftOnQueue;
  });

  if (signal?.aborted) result.status = 'cancelled';
  return result;
}

/**
 * Sends the batch to the user queue without its FailureReason (it is retried as a new import),
 * then deletes from the DLQ only the messages whose send succeeded. Returns the ones still on
 * the DLQ.
 */
async function moveBatch(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  queueUrl: string,
  batch: DeadLetter[],
): Promise<{ moved: number; notMoved: DeadLetter[] }> {
  const sent = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: batch.map((deadLetter, index) => ({
        Id: String(index),
        MessageBody: deadLetter.message.Body ?? '',
        ...withoutFailureReason(deadLetter.message.MessageAttributes),
      })),
    }),
  );
  // SendMessageBatch answers 200 when some entries fail: only listed successes were sent.
  const sentIds = new Set((sent.Successful ?? []).map((entry) => entry.Id));
  const notMoved = batch.filter((_, index) => !sentIds.has(String(index)));
  const sentLetters = batch.filter((_, index) => sentIds.has(String(index)));
  if (sentLetters.length === 0) return { moved: 0, notMoved };

  const deleted = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: deadLetterQueueUrl,
      Entries: sentLetters.map((deadLetter, index) => ({
        Id: String(index),
        ReceiptHandle: deadLetter.receiptHandle,
      })),
    }),
  );
  const deletedIds = new Set((deleted.Successful ?? []).map((entry) => entry.Id));
  let moved = 0;
  sentLetters.forEach((deadLetter, index) => {
    if (deletedIds.has(String(index))) moved += 1;
    else notMoved.push(deadLetter);
  });
  return { moved, notMoved };
}

function withoutFailureReason(attributes: Record<string, MessageAttributeValue> | undefined): {
  MessageAttributes?: Record<string, MessageAttributeValue>;
} {
  const kept = Object.entries(attributes ?? {}).filter(([name]) => name !== failureReasonAttribute);
  return kept.length > 0 ? { MessageAttributes: Object.fromEntries(kept) } : {};
}
