import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { failureReasonAttribute } from '../queue/queue-types.ts';

/**
 * Reading the dead-letter queue without losing a message: each visible message is received once,
 * kept hidden while the rest are read, and what was not removed is made visible again at the end.
 * Both the redrive by copy and the counts (`dlq`, `redrive --dry-run`) read the DLQ this way.
 */

/**
 * The reason recorded for a dead letter without a `FailureReason` attribute: SQS's redrive policy
 * moved it after `maxReceiveCount` receives (the consumer kept failing without deciding, or
 * crashed). `--reason none` and `--reason unknown` both select these.
 */
export const noFailureReason = 'none';
const noFailureReasonAliases: ReadonlySet<string> = new Set([noFailureReason, 'unknown']);

/** Whether a dead letter with `messageReason` is one the operator asked to move. */
export function selectsReason(wanted: string | undefined, messageReason: string): boolean {
  if (wanted === undefined) return true;
  if (noFailureReasonAliases.has(wanted)) return messageReason === noFailureReason;
  return messageReason === wanted;
}

/**
 * Messages stay hidden this long after a receive. Those left on the DLQ (other reasons, failed
 * sends) are made visible again when the run ends; hiding them meanwhile is what lets a run reach
 * the messages behind them instead of receiving the same skipped ones over and over. If the
 * process dies, they reappear by themselves after this long.
 */
const holdVisibilitySeconds = 120;
const receiveBatchSize = 10;
const defaultReceiveWaitSeconds = 1;
/** Receives that bring nothing new before a run decides the DLQ has been read through. */
const idleReceivesBeforeDone = 2;

/** A received DLQ message, with its reason code read from the FailureReason attribute. */
export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  reason: string;
  message: Message;
}

export interface ScanDeadLettersOptions {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  signal?: AbortSignal;
  receiveWaitSeconds?: number;
  maxPerSecond?: number;
}

/**
 * Reads each visible DLQ message once and hands new ones to `handleBatch`, which returns those
 * it left on the queue. Those stay hidden until the scan ends, then are made visible at once.
 * Ends when receives twice bring nothing new (empty, or only messages seen before whose
 * visibility ran out during a long run), or when the signal aborts.
 */
export async function scanDeadLetters(
  { sqs, deadLetterQueueUrl, signal, receiveWaitSeconds, maxPerSecond }: ScanDeadLettersOptions,
  handleBatch: (batch: DeadLetter[]) => Promise<DeadLetter[]>,
): Promise<void> {
  // A batch waits up to batch/rate seconds for pacing before it is sent and deleted.
  const visibilityTimeout =
    holdVisibilitySeconds + (maxPerSecond ? Math.ceil(receiveBatchSize / maxPerSecond) : 0);
  const seen = new Set<string>();
  const leftOnQueue = new Map<string, string>();
  let idleReceives = 0;
  try {
    while (idleReceives < idleReceivesBeforeDone && !signal?.aborted) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MaxNumberOfMessages: receiveBatchSize,
          VisibilityTimeout: visibilityTimeout,
          WaitTimeSeconds: receiveWaitSeconds ?? defaultReceiveWaitSeconds,
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh: DeadLetter[] = [];
      for (const message of Messages) {
        const { MessageId, ReceiptHandle } = message;
        if (!MessageId || !ReceiptHandle) continue;
        if (seen.has(MessageId)) {
          // Back after its visibility ran out; this receive hid it again. Keep the new handle,
          // the only one SQS accepts for making it visible at the end.
          leftOnQueue.set(MessageId, ReceiptHandle);
          continue;
        }
        seen.add(MessageId);
        fresh.push({
          messageId: MessageId,
          receiptHandle: ReceiptHandle,
          reason: failureReasonOf(message),
          message,
        });
      }
      if (fresh.length === 0) {
        idleReceives += 1;
        continue;
      }
      idleReceives = 0;
      // If handling throws, which of the batch are still on the DLQ is unknown: release them all
      // (making a moved one visible just fails).
      let kept = fresh;
      try {
        kept = await handleBatch(fresh);
      } finally {
        for (const deadLetter of kept) {
          leftOnQueue.set(deadLetter.messageId, deadLetter.receiptHandle);
        }
      }
    }
  } finally {
    await makeVisible(sqs, deadLetterQueueUrl, [...leftOnQueue.values()]);
  }
}

function failureReasonOf(message: Message): string {
  const value = message.MessageAttributes?.[failureReasonAttribute]?.StringValue;
  return value ? value : noFailureReason;
}

/**
 * Best effort, so it never hides the error that ended a run: a message it misses becomes
 * visible by itself when its visibility timeout ends.
 */
async function makeVisible(
  sqs: SQSClient,
  queueUrl: string,
  receiptHandles: string[],
): Promise<void> {
  for (let start = 0; start < receiptHandles.length; start += receiveBatchSize) {
    const chunk = receiptHandles.slice(start, start + receiveBatchSize);
    try {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((receiptHandle, index) => ({
            Id: String(index),
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch {
      // See above: visibility runs out on its own.
    }
  }
}

export interface CountDeadLettersOptions {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  signal?: AbortSignal;
  receiveWaitSeconds?: number;
  /**
   * Sees each message as it is counted, e.g. to pick example source ids. The body holds
   * personal data and password hashes: never print or log it.
   */
  onDeadLetter?: (deadLetter: { reason: string; body: string | undefined }) => void;
}

export interface DeadLetterCounts {
  total: number;
  byReason: Record<string, number>;
  /** The count stopped early (aborted): the numbers cover part of the DLQ. */
  partial: boolean;
}

/**
 * Counts the DLQ's visible messages by reason without moving any. Each message is received once,
 * kept hidden while the rest are read, and made visible again at the end.
 */
export async function countDeadLetters(
  options: CountDeadLettersOptions,
): Promise<DeadLetterCounts> {
  const counts: DeadLetterCounts = { total: 0, byReason: {}, partial: false };
  await scanDeadLetters(options, async (batch) => {
    for (const { reason, message } of batch) {
      counts.total += 1;
      counts.byReason[reason] = (counts.byReason[reason] ?? 0) + 1;
      options.onDeadLetter?.({ reason, body: message.Body });
    }
    return batch;
  });
  counts.partial = options.signal?.aborted ?? false;
  return counts;
}
