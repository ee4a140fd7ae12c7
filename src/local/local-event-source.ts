import { failureReasonOf } from '../errors.ts';
import { type PipelineLogger, logger as sharedLogger } from '../logger.ts';
import type { BatchResult, ReceivedMessage } from '../queue/queue-types.ts';
import type { InProcessQueue } from './in-process-queue.ts';

/*
 * Local mode's stand-in for Lambda's SQS event source mapping with `maxConcurrency`: it polls
 * the in-process queue, keeps at most `maxConcurrency` batches in flight and applies the batch
 * result as Lambda does with ReportBatchItemFailures (reference §2.2). Failed messages are not
 * touched: they reappear when their visibility timeout ends and the queue's redrive policy, not
 * this loop, decides when they go to the dead-letter queue.
 */

/** The longest the poller sleeps at once, so it notices `isFinished()` and aborts promptly. */
const maxIdleSleepMilliseconds = 1000;

/**
 * Resolves after `milliseconds`, or as soon as `signal` aborts; never rejects. A replacement (a
 * test's simulated clock) must still yield to the event loop: one that resolves in a microtask
 * lets the poller loop without ever running the handlers it waits for.
 */
export type Sleep = (milliseconds: number, signal: AbortSignal) => Promise<void>;

export interface LocalEventSourceOptions {
  queue: InProcessQueue;
  handleBatch: (messages: ReceivedMessage[]) => Promise<BatchResult>;
  /** Messages per batch, 1–10 (an SQS receive returns at most 10). */
  batchSize?: number;
  /** Batches in flight at once, like the event source's MaximumConcurrency. */
  maxConcurrency: number;
  /** Hides received messages this long; the queue's own default when not given. */
  visibilityTimeoutSeconds?: number;
  /** False while a producer (the splitter) may still send: an empty queue is then not the end. */
  isFinished?: () => boolean;
  /** Settles when `isFinished()` turns true: wakes an idle poller at once instead of at its next sleep's end. */
  finished?: Promise<void>;
  /** Stops taking new batches; the batches in flight finish before the run returns. */
  signal?: AbortSignal;
  sleep?: Sleep;
  /** Defaults to the queue's clock, so sleeps are measured against the time that hides messages. */
  now?: () => number;
  logger?: PipelineLogger;
}

export interface LocalEventSourceResult {
  batches: number;
  messagesReceived: number;
  messagesDeleted: number;
}

/**
 * Polls `queue` until it is empty, no batch is in flight and `isFinished()` says no more
 * messages will come (or `signal` aborts). Sleeps, rather than spins, whenever it has nothing
 * to receive, and leaves no timer behind when it returns.
 */
export async function runLocalEventSource(
  options: LocalEventSourceOptions,
): Promise<LocalEventSourceResult> {
  const {
    queue,
    handleBatch,
    batchSize = 10,
    maxConcurrency,
    visibilityTimeoutSeconds = queue.visibilityTimeoutSeconds,
    isFinished = () => true,
    finished,
    signal,
    sleep = sleepUnlessAborted,
    now = () => queue.now(),
    logger = sharedLogger,
  } = options;
  // Lambda's own floor is 2; 1 is allowed here because a one-at-a-time local run is useful.
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new RangeError(`maxConcurrency must be a positive whole number; got ${maxConcurrency}`);
  }

  const result: LocalEventSourceResult = { batches: 0, messagesReceived: 0, messagesDeleted: 0 };
  let batchesInFlight = 0;
  // Resolved whenever a batch settles, then replaced: the loop's "capacity freed" wake-up.
  let batchSettled = Promise.withResolvers<void>();

  async function runBatch(messages: ReceivedMessage[]): Promise<void> {
    try {
      const deleteIds = await messageIdsToDelete(messages, handleBatch, logger);
      for (const message of messages) {
        if (deleteIds.has(message.messageId) && queue.delete(message.receiptHandle)) {
          result.messagesDeleted += 1;
        }
      }
    } finally {
      batchesInFlight -= 1;
      batchSettled.resolve();
    }
  }

  while (signal?.aborted !== true) {
    while (batchesInFlight < maxConcurrency) {
      const messages = queue.receive(batchSize, visibilityTimeoutSeconds);
      if (messages.length === 0) break;
      batchesInFlight += 1;
      result.batches += 1;
      result.messagesReceived += messages.length;
      void runBatch(messages);
    }
    if (batchesInFlight === 0 && queue.isEmpty() && isFinished()) break;

    // Nothing more can be started now: wait for a batch to settle, or, with capacity to spare,
    // for a message to arrive or the soonest hidden one to become visible.
    const wakeUps: Promise<void>[] = [];
    if (batchesInFlight > 0) wakeUps.push(batchSettled.promise);
    const sleepController = new AbortController();
    if (batchesInFlight < maxConcurrency) {
      wakeUps.push(queue.waitForArrival());
      const visibleAt = queue.nextVisibleAt();
      const untilVisible = visibleAt === undefined ? maxIdleSleepMilliseconds : visibleAt - now();
      // At least 1 ms so a clock that lags the queue's cannot turn this into a spin.
      wakeUps.push(sleep(clamp(untilVisible, 1, maxIdleSleepMilliseconds), sleepController.signal));
    }
    if (signal !== undefined) wakeUps.push(abortedPromise(signal, sleepController.signal));
    // Only while the producer runs: once settled it would wake the loop at once, every time.
    if (finished !== undefined && !isFinished()) wakeUps.push(finished);
    await Promise.race(wakeUps);
    // Clears the sleep timer and the abort listener of whichever wake-up did not fire.
    sleepController.abort();
    batchSettled = Promise.withResolvers<void>();
  }

  while (batchesInFlight > 0) {
    await batchSettled.promise;
    batchSettled = Promise.withResolvers<void>();
  }
  return result;
}

/**
 * Which messages of a batch to delete, read the way Lambda reads a partial batch response: the
 * ids not reported as failed, or none when the handler threw or reported an id that is not in
 * the batch (Lambda then retries the whole batch).
 */
async function messageIdsToDelete(
  messages: ReceivedMessage[],
  handleBatch: (messages: ReceivedMessage[]) => Promise<BatchResult>,
  logger: PipelineLogger,
): Promise<Set<string>> {
  const batchIds = new Set(messages.map((message) => message.messageId));
  let failedIds: Set<string>;
  try {
    const batchResult = await handleBatch(messages);
    failedIds = new Set(batchResult.failedMessageIds);
  } catch (error) {
    // Also reached when the handler resolves to something that is not a batch result.
    logger.warn('Batch handler failed; the whole batch will be redelivered', {
      messageCount: messages.length,
      reason: failureReasonOf(error),
      errorName: error instanceof Error ? error.name : typeof error,
    });
    return new Set();
  }
  const unknownCount = [...failedIds].filter((id) => !batchIds.has(id)).length;
  if (unknownCount > 0) {
    logger.warn(
      'Batch result names messages not in the batch; the whole batch will be redelivered',
      {
        messageCount: messages.length,
        unknownCount,
      },
    );
    return new Set();
  }
  return new Set([...batchIds].filter((id) => !failedIds.has(id)));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/** Resolves when `signal` aborts; `cleanup` aborting removes the listener without resolving. */
function abortedPromise(signal: AbortSignal, cleanup: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    function onAbort() {
      cleanup.removeEventListener('abort', stopListening);
      resolve();
    }
    function stopListening() {
      signal.removeEventListener('abort', onAbort);
    }
    signal.addEventListener('abort', onAbort, { once: true });
    cleanup.addEventListener('abort', stopListening, { once: true });
  });
}

/** The default sleep: a timer that is cleared on abort, so it never outlives the run. */
function sleepUnlessAborted(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(finish, milliseconds);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}
