import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { WritePacer } from '../import/write-pacer.ts';
import { failureReasonAttribute } from '../queue/queue-types.ts';

/**
 * The reason recorded for a dead letter without a `FailureReason` attribute: SQS's redrive policy
 * moved it after `maxReceiveCount` receives (the consumer kept failing without deciding, or
 * crashed). `--reason none` and `--reason unknown` both select these.
 */
export const noFailureReason = 'none';
const noFailureReasonAliases: ReadonlySet<string> = new Set([noFailureReason, 'unknown']);

/** SQS refuses a message-move task faster than this. */
export const maxMoveTaskMessagesPerSecond = 500;

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
    const viaTask = await redriveWithMoveTask(options);
    if (!('unavailable' in viaTask)) return viaTask;
    options.onProgress?.({ type: 'move-task-unavailable', error: viaTask.unavailable });
  }
  return redriveByReceiving(options);
}

/** Whether a dead letter with `messageReason` is one the operator asked to move. */
export function selectsReason(wanted: string | undefined, messageReason: string): boolean {
  if (wanted === undefined) return true;
  if (noFailureReasonAliases.has(wanted)) return messageReason === noFailureReason;
  return messageReason === wanted;
}

// --- Strategy 1: SQS message-move task -------------------------------------------------------

const defaultPollIntervalMs = 2_000;

/** Error names with which SQS-compatible endpoints say they lack an action. */
const unknownActionErrorNames: ReadonlySet<string> = new Set([
  'UnknownOperation',
  'UnknownOperationException',
  'InvalidAction',
  'NotImplemented',
  'NotImplementedException',
]);

/**
 * moto answers the move-task actions with an HTML error page, which the SDK's JSON parser
 * rejects as a SyntaxError ("Deserialization error"); others name the action unknown.
 */
export function isMoveTaskUnsupported(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (unknownActionErrorNames.has(error.name)) return true;
  return error.name === 'SyntaxError' && /deserialization error/i.test(error.message);
}

async function redriveWithMoveTask(
  options: RedriveOptions,
): Promise<RedriveResult | { unavailable: string }> {
  const { sqs, deadLetterQueueArn, signal, onProgress } = options;
  const pollIntervalMs = options.pollIntervalMs ?? defaultPollIntervalMs;

  let earlierTasks: ListMessageMoveTasksResultEntry[];
  try {
    earlierTasks = await listMoveTasks(sqs, deadLetterQueueArn);
  } catch (error) {
    if (isMoveTaskUnsupported(error)) return { unavailable: errorSummary(error) };
    throw error;
  }

  // SQS allows one active task per queue; starting a second would fail, so follow the first.
  const running = earlierTasks.find((task) => task.Status === 'RUNNING');
  const ours: TaskIdentity = {
    startedAfter: latestStart(earlierTasks.filter((task) => task !== running)),
  };
  if (running) {
    ours.handle = running.TaskHandle;
    ours.startedTimestamp = running.StartedTimestamp;
    onProgress?.({
      type: 'move-task-already-running',
      maxPerSecond: running.MaxNumberOfMessagesPerSecond,
    });
  } else {
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: deadLetterQueueArn,
        DestinationArn: options.queueArn,
        MaxNumberOfMessagesPerSecond: options.maxPerSecond,
      }),
    );
    ours.handle = TaskHandle;
    onProgress?.({ type: 'move-task-started', maxPerSecond: options.maxPerSecond });
  }

  let cancelRequested = false;
  let lastReported: string | undefined;
  for (;;) {
    if (signal?.aborted && !cancelRequested && ours.handle) {
      cancelRequested = true;
      onProgress?.({ type: 'move-task-cancelling' });
      await cancelMoveTask(sqs, ours.handle);
    }
    const task = findTask(await listMoveTasks(sqs, deadLetterQueueArn), ours);
    if (task) {
      ours.startedTimestamp ??= task.StartedTimestamp;
      const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
      const total = task.ApproximateNumberOfMessagesToMove;
      const status = task.Status ?? 'UNKNOWN';
      const report = `${status}:${moved}:${total}`;
      if (report !== lastReported) {
        lastReported = report;
        onProgress?.({ type: 'move-task-progress', moved, total, status });
      }
      const result = (resultStatus: RedriveResult['status']): RedriveResult => ({
        strategy: 'message-move-task',
        status: resultStatus,
        moved,
        skipped: 0,
        failed: resultStatus === 'failed' ? Math.max(0, (total ?? moved) - moved) : 0,
        byReason: {},
        ...(task.FailureReason ? { taskFailureReason: task.FailureReason } : {}),
      });
      if (status === 'COMPLETED') return result('completed');
      if (status === 'CANCELLED') return result('cancelled');
      if (status === 'FAILED') return result('failed');
    }
    // Once aborted, the signal no longer cuts sleeps short, so polling for the end of the
    // cancelled task keeps its pace.
    await sleepUnlessAborted(pollIntervalMs, signal?.aborted ? undefined : signal);
  }
}

/**
 * How to recognise our task in ListMessageMoveTasks: by handle while it runs (SQS drops the
 * handle once it ends), then by start time. A task that ends before we first see it is the one
 * started after every task that existed before ours.
 */
interface TaskIdentity {
  handle?: string | undefined;
  startedTimestamp?: number | undefined;
  startedAfter: number;
}

function findTask(
  tasks: ListMessageMoveTasksResultEntry[],
  ours: TaskIdentity,
): ListMessageMoveTasksResultEntry | undefined {
  const known = tasks.find(
    (task) =>
      (ours.handle !== undefined && task.TaskHandle === ours.handle) ||
      (ours.startedTimestamp !== undefined && task.StartedTimestamp === ours.startedTimestamp),
  );
  if (known || ours.startedTimestamp !== undefined) return known;
  return tasks.find((task) => (task.StartedTimestamp ?? 0) > ours.startedAfter);
}

function latestStart(tasks: ListMessageMoveTasksResultEntry[]): number {
  return Math.max(Number.NEGATIVE_INFINITY, ...tasks.map((task) => task.StartedTimestamp ?? 0));
}

async function listMoveTasks(
  sqs: SQSClient,
  sourceArn: string,
): Promise<ListMessageMoveTasksResultEntry[]> {
  // Most recent first; 10 (the maximum) so an earlier task cannot hide ours.
  const { Results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
  );
  return Results;
}

async function cancelMoveTask(sqs: SQSClient, taskHandle: string): Promise<void> {
  try {
    await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle }));
  } catch (error) {
    // The task ended between the poll and the cancel; the next poll reports how.
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return;
    throw error;
  }
}

// --- Strategy 2: receive, send, delete ---------------------------------------------------------

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
interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  reason: string;
  message: Message;
}

async function redriveByReceiving(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, queueUrl, reason: wanted, signal, onProgress } = options;
  const pacer = new WritePacer({
    writesPerSecond: options.maxPerSecond,
    sleep: (ms) => sleepUnlessAborted(ms, signal),
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

// --- Dry run -----------------------------------------------------------------------------------

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

// --- Reading the DLQ ---------------------------------------------------------------------------

interface ScanOptions {
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
async function scanDeadLetters(
  { sqs, deadLetterQueueUrl, signal, receiveWaitSeconds, maxPerSecond }: ScanOptions,
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

// --- Helpers -----------------------------------------------------------------------------------

/** Sleeps, but returns at once when the signal aborts, so the caller can wind down cleanly. */
async function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return;
  try {
    await sleepFor(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (!(error instanceof Error && error.name === 'AbortError')) throw error;
  }
}

/** An error's name and first line: enough to diagnose, short enough for a notice. */
function errorSummary(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return `${error.name}: ${error.message.split('\n')[0] ?? ''}`;
}
