import { randomUUID } from 'node:crypto';
import type { ImportMessage } from '../model/import-message.ts';
import { serializeImportMessage } from '../model/import-message.ts';
import type { ImportMessageSink, QueueControl, ReceivedMessage } from '../queue/queue-types.ts';
import { failureReasonAttribute } from '../queue/queue-types.ts';

/*
 * The queue local mode uses in place of SQS. It keeps the standard-queue semantics the pipeline
 * relies on (visibility timeout, receive counts, redrive to a dead-letter queue after
 * maxReceiveCount, delays, per-receive receipt handles) and the request limits SQS enforces, so
 * a consumer that works here does not meet a new failure on AWS. Time comes from an injected
 * clock so tests can move it instead of sleeping.
 */

/** SQS limits (reference §1.1). Checked here so local mode fails where SQS would. */
const maxBatchEntries = 10;
const maxReceiveMessages = 10;
const maxMessageBytes = 1_048_576;
const maxBatchBytes = 1_048_576;
const maxAttributesPerMessage = 10;
const maxDelaySeconds = 900;
const maxVisibilityTimeoutSeconds = 43_200;
const maxMaxReceiveCount = 1000;
/** The characters SQS accepts in a body; anything else is `InvalidMessageContents`. */
const invalidBodyCharacter = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * A request SQS would refuse. `name` is the SQS error code, as on the AWS SDK's exceptions, so
 * code that inspects `error.name` behaves the same against both.
 */
export class QueueRequestError extends Error {
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
  }
}

export interface SendOptions {
  /** 0–900 whole seconds before the message can be received. */
  delaySeconds?: number;
  /** Message attributes (at most 10); kept when the message is redriven to a dead-letter queue. */
  attributes?: Record<string, string>;
}

export interface SendBatchEntry extends SendOptions {
  body: string;
}

/** A received message plus its attributes (SQS returns them when asked; we always do). */
export interface InProcessReceivedMessage extends ReceivedMessage {
  attributes: Record<string, string>;
}

export interface DrainedMessage {
  messageId: string;
  body: string;
  attributes: Record<string, string>;
  /** Receives so far; a message redriven to a dead-letter queue keeps its count, as on SQS. */
  receiveCount: number;
}

export interface QueueStats {
  /** Receivable now (SQS ApproximateNumberOfMessages). */
  visible: number;
  /** Received and hidden by a visibility timeout (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  /** Sent with a delay that has not passed (ApproximateNumberOfMessagesDelayed). */
  delayed: number;
  total: number;
}

export interface InProcessQueueOptions {
  name: string;
  /** The queue's default visibility timeout, used when a receive does not set one. */
  visibilityTimeoutSeconds?: number;
  /** With `deadLetterQueue`: a receive beyond this count moves the message there instead. */
  maxReceiveCount?: number;
  deadLetterQueue?: InProcessQueue;
  /** Milliseconds since the epoch; injected so tests control time. */
  now?: () => number;
}

type MessageState = 'visible' | 'delayed' | 'inFlight';

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  receiveCount: number;
  state: MessageState;
  visibleAt: number;
  /** The only handle that may delete or change this message: the one from its latest receive. */
  receiptHandle: string | undefined;
  /** Bumped on every change of state, so stale entries in the hidden-message heap are skipped. */
  version: number;
}

interface HiddenEntry {
  visibleAt: number;
  version: number;
  message: StoredMessage;
}

export class InProcessQueue {
  readonly name: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number | undefined;
  readonly deadLetterQueue: InProcessQueue | undefined;
  readonly #now: () => number;

  /** Every message on the queue, in send order (what `drain` returns). */
  readonly #messages = new Map<string, StoredMessage>();
  /**
   * Receivable messages in the order they became visible. A Map gives O(1) removal and ordered
   * iteration, so a receive costs O(batch) however many messages are hidden.
   */
  readonly #visible = new Map<string, StoredMessage>();
  /** Delayed and in-flight messages, soonest visible first. Entries go stale instead of being removed. */
  readonly #hidden = new HiddenMessageHeap();
  readonly #byReceiptHandle = new Map<string, StoredMessage>();
  #inFlightCount = 0;
  #arrival: PromiseWithResolvers<void> | undefined;

  constructor(options: InProcessQueueOptions) {
    const { visibilityTimeoutSeconds = 30, maxReceiveCount, deadLetterQueue } = options;
    assertWholeNumberInRange(
      'VisibilityTimeout',
      visibilityTimeoutSeconds,
      0,
      maxVisibilityTimeoutSeconds,
    );
    // SQS's RedrivePolicy needs both a target and a count; one without the other is a mistake.
    if ((maxReceiveCount === undefined) !== (deadLetterQueue === undefined)) {
      throw new QueueRequestError(
        'InvalidParameterValue',
        'maxReceiveCount and deadLetterQueue must be given together',
      );
    }
    if (maxReceiveCount !== undefined) {
      assertWholeNumberInRange('maxReceiveCount', maxReceiveCount, 1, maxMaxReceiveCount);
    }
    this.name = options.name;
    this.visibilityTimeoutSeconds = visibilityTimeoutSeconds;
    this.maxReceiveCount = maxReceiveCount;
    this.deadLetterQueue = deadLetterQueue;
    this.#now = options.now ?? Date.now;
  }

  /** The queue's clock, so a poller can compute sleeps against the same time source. */
  now(): number {
    return this.#now();
  }

  /** Sends one message and returns its id. */
  send(body: string, options: SendOptions = {}): string {
    assertValidMessage(body, options);
    return this.#store(body, options);
  }

  /** Sends up to 10 messages at once; all are checked first, so either all are sent or none. */
  sendBatch(entries: readonly SendBatchEntry[]): string[] {
    if (entries.length === 0) {
      throw new QueueRequestError('EmptyBatchRequest', 'A batch needs at least one entry');
    }
    if (entries.length > maxBatchEntries) {
      throw new QueueRequestError(
        'TooManyEntriesInBatchRequest',
        `A batch holds at most ${maxBatchEntries} entries; got ${entries.length}`,
      );
    }
    let batchBytes = 0;
    for (const entry of entries) {
      assertValidMessage(entry.body, entry);
      batchBytes += Buffer.byteLength(entry.body, 'utf8');
    }
    if (batchBytes > maxBatchBytes) {
      throw new QueueRequestError(
        'BatchRequestTooLong',
        `A batch's bodies total at most ${maxBatchBytes} bytes; got ${batchBytes}`,
      );
    }
    return entries.map((entry) => this.#store(entry.body, entry));
  }

  /**
   * Receives up to `maxMessages` visible messages and hides each for the visibility timeout.
   * A message already received `maxReceiveCount` times moves to the dead-letter queue instead,
   * as SQS and moto do at receive time.
   */
  receive(
    maxMessages: number,
    visibilityTimeoutSeconds: number = this.visibilityTimeoutSeconds,
  ): InProcessReceivedMessage[] {
    assertWholeNumberInRange('MaxNumberOfMessages', maxMessages, 1, maxReceiveMessages);
    assertWholeNumberInRange(
      'VisibilityTimeout',
      visibilityTimeoutSeconds,
      0,
      maxVisibilityTimeoutSeconds,
    );
    const now = this.#promoteDueMessages();
    const received: InProcessReceivedMessage[] = [];
    // Deleting the entry being visited is safe during Map iteration.
    for (const message of this.#visible.values()) {
      if (received.length === maxMessages) break;
      this.#visible.delete(message.messageId);
      const { maxReceiveCount, deadLetterQueue } = this;
      if (
        maxReceiveCount !== undefined &&
        deadLetterQueue !== undefined &&
        message.receiveCount >= maxReceiveCount
      ) {
        this.#moveToDeadLetterQueue(message, deadLetterQueue);
        continue;
      }
      message.receiveCount += 1;
      // A fresh handle per receive: the previous one stops working, as on SQS.
      const receiptHandle = `${this.name}:${randomUUID()}`;
      this.#replaceReceiptHandle(message, receiptHandle);
      this.#hide(message, 'inFlight', now + visibilityTimeoutSeconds * 1000);
      received.push({
        messageId: message.messageId,
        body: message.body,
        receiveCount: message.receiveCount,
        receiptHandle,
        attributes: { ...message.attributes },
      });
    }
    return received;
  }

  /**
   * Deletes the message the handle came from. Returns false, deleting nothing, when the handle
   * is not the message's latest (it was received again since) or the message is gone: SQS
   * accepts such a request but does not delete a redelivered message with an old handle.
   */
  delete(receiptHandle: string): boolean {
    const message = this.#byReceiptHandle.get(receiptHandle);
    if (message === undefined) return false;
    this.#remove(message);
    return true;
  }

  /**
   * Hides the message for `seconds` from now (0 makes it receivable at once). Throws
   * `ReceiptHandleIsInvalid` for a handle that is not the message's latest, as SQS does.
   */
  changeVisibility(receiptHandle: string, seconds: number): void {
    assertWholeNumberInRange('VisibilityTimeout', seconds, 0, maxVisibilityTimeoutSeconds);
    const message = this.#byReceiptHandle.get(receiptHandle);
    if (message === undefined) {
      throw new QueueRequestError(
        'ReceiptHandleIsInvalid',
        `Receipt handle is not current on queue ${this.name}`,
      );
    }
    const now = this.#promoteDueMessages();
    this.#visible.delete(message.messageId);
    if (seconds === 0) {
      this.#makeVisible(message);
    } else {
      this.#hide(message, 'inFlight', now + seconds * 1000);
    }
    // A poller sleeping until the old visibleAt may now have something to receive sooner.
    this.#notifyArrival();
  }

  stats(): QueueStats {
    this.#promoteDueMessages();
    const total = this.#messages.size;
    const visible = this.#visible.size;
    const inFlight = this.#inFlightCount;
    return { visible, inFlight, delayed: total - visible - inFlight, total };
  }

  /** True when nothing is visible, delayed or in flight. */
  isEmpty(): boolean {
    return this.#messages.size === 0;
  }

  /** When the soonest hidden message becomes visible (clock milliseconds); undefined if none is hidden. */
  nextVisibleAt(): number | undefined {
    this.#promoteDueMessages();
    return this.#peekValidHidden()?.visibleAt;
  }

  /**
   * Resolves at the next send or visibility change: anything that may make a message receivable
   * sooner than `nextVisibleAt()` said. One promise is shared by all waiters until it resolves,
   * so a poller that races it against a timer does not pile up listeners.
   */
  waitForArrival(): Promise<void> {
    this.#arrival ??= Promise.withResolvers<void>();
    return this.#arrival.promise;
  }

  /** Removes and returns every message, whatever its state, in send order. */
  drain(): DrainedMessage[] {
    const drained = [...this.#messages.values()].map((message) => ({
      messageId: message.messageId,
      body: message.body,
      attributes: { ...message.attributes },
      receiveCount: message.receiveCount,
    }));
    this.#messages.clear();
    this.#visible.clear();
    this.#hidden.clear();
    // Handles given out before the drain must not reach a message any more.
    this.#byReceiptHandle.clear();
    this.#inFlightCount = 0;
    return drained;
  }

  #store(body: string, options: SendOptions): string {
    const messageId = randomUUID();
    this.#add(
      { messageId, body, attributes: { ...options.attributes }, receiveCount: 0 },
      options.delaySeconds ?? 0,
    );
    return messageId;
  }

  #add(fields: DrainedMessage, delaySeconds: number): void {
    const message: StoredMessage = {
      ...fields,
      state: 'visible',
      visibleAt: 0,
      receiptHandle: undefined,
      version: 0,
    };
    this.#messages.set(message.messageId, message);
    if (delaySeconds > 0) {
      this.#hide(message, 'delayed', this.#now() + delaySeconds * 1000);
    } else {
      this.#makeVisible(message);
    }
    this.#notifyArrival();
  }

  #moveToDeadLetterQueue(message: StoredMessage, deadLetterQueue: InProcessQueue): void {
    this.#remove(message);
    // SQS keeps the id, attributes and receive count of a message it redrives.
    deadLetterQueue.#add(
      {
        messageId: message.messageId,
        body: message.body,
        attributes: message.attributes,
        receiveCount: message.receiveCount,
      },
      0,
    );
  }

  #hide(message: StoredMessage, state: 'delayed' | 'inFlight', visibleAt: number): void {
    this.#setState(message, state);
    message.visibleAt = visibleAt;
    this.#hidden.push({ visibleAt, version: message.version, message });
  }

  #makeVisible(message: StoredMessage): void {
    this.#setState(message, 'visible');
    message.visibleAt = this.#now();
    this.#visible.set(message.messageId, message);
  }

  #setState(message: StoredMessage, state: MessageState): void {
    if (message.state === 'inFlight') this.#inFlightCount -= 1;
    if (state === 'inFlight') this.#inFlightCount += 1;
    message.state = state;
    message.version += 1;
  }

  #replaceReceiptHandle(message: StoredMessage, receiptHandle: string | undefined): void {
    if (message.receiptHandle !== undefined) this.#byReceiptHandle.delete(message.receiptHandle);
    message.receiptHandle = receiptHandle;
    if (receiptHandle !== undefined) this.#byReceiptHandle.set(receiptHandle, message);
  }

  #remove(message: StoredMessage): void {
    this.#messages.delete(message.messageId);
    this.#visible.delete(message.messageId);
    this.#replaceReceiptHandle(message, undefined);
    if (message.state === 'inFlight') this.#inFlightCount -= 1;
    // Any heap entry for it is now stale.
    message.version += 1;
  }

  /** Makes every hidden message whose time has come visible; returns the time it used. */
  #promoteDueMessages(): number {
    const now = this.#now();
    for (
      let entry = this.#peekValidHidden();
      entry !== undefined;
      entry = this.#peekValidHidden()
    ) {
      if (entry.visibleAt > now) break;
      this.#hidden.pop();
      this.#makeVisible(entry.message);
    }
    return now;
  }

  #peekValidHidden(): HiddenEntry | undefined {
    for (let entry = this.#hidden.peek(); entry !== undefined; entry = this.#hidden.peek()) {
      const { message } = entry;
      if (this.#messages.get(message.messageId) === message && message.version === entry.version) {
        return entry;
      }
      this.#hidden.pop();
    }
    return undefined;
  }

  #notifyArrival(): void {
    const arrival = this.#arrival;
    this.#arrival = undefined;
    arrival?.resolve();
  }
}

/** A binary min-heap on `visibleAt`: the soonest hidden message in O(log n). */
class HiddenMessageHeap {
  readonly #entries: HiddenEntry[] = [];

  clear(): void {
    this.#entries.length = 0;
  }

  peek(): HiddenEntry | undefined {
    return this.#entries[0];
  }

  push(entry: HiddenEntry): void {
    const entries = this.#entries;
    entries.push(entry);
    let index = entries.length - 1;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = entries[parentIndex] as HiddenEntry;
      if (parent.visibleAt <= entry.visibleAt) break;
      entries[index] = parent;
      index = parentIndex;
    }
    entries[index] = entry;
  }

  pop(): HiddenEntry | undefined {
    const entries = this.#entries;
    const top = entries[0];
    const last = entries.pop();
    if (top === undefined || last === undefined || entries.length === 0) return top;
    let index = 0;
    for (;;) {
      const leftIndex = 2 * index + 1;
      if (leftIndex >= entries.length) break;
      const rightIndex = leftIndex + 1;
      const left = entries[leftIndex] as HiddenEntry;
      const right = entries[rightIndex];
      const [childIndex, child] =
        right !== undefined && right.visibleAt < left.visibleAt
          ? [rightIndex, right]
          : [leftIndex, left];
      if (last.visibleAt <= child.visibleAt) break;
      entries[index] = child;
      index = childIndex;
    }
    entries[index] = last;
    return top;
  }
}

function assertWholeNumberInRange(parameter: string, value: number, min: number, max: number) {
  // SQS takes whole seconds and counts; a fraction here would be rejected there.
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new QueueRequestError(
      'InvalidParameterValue',
      `${parameter} must be a whole number from ${min} to ${max}; got ${value}`,
    );
  }
}

function assertValidMessage(body: string, options: SendOptions): void {
  if (body.length === 0) {
    throw new QueueRequestError('MissingParameter', 'A message body must not be empty');
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > maxMessageBytes) {
    throw new QueueRequestError(
      'MessageTooLong',
      `A message body holds at most ${maxMessageBytes} bytes; got ${bytes}`,
    );
  }
  if (invalidBodyCharacter.test(body)) {
    throw new QueueRequestError(
      'InvalidMessageContents',
      'A message body holds a character SQS does not accept',
    );
  }
  if (options.delaySeconds !== undefined) {
    assertWholeNumberInRange('DelaySeconds', options.delaySeconds, 0, maxDelaySeconds);
  }
  const attributeCount = Object.keys(options.attributes ?? {}).length;
  if (attributeCount > maxAttributesPerMessage) {
    throw new QueueRequestError(
      'InvalidParameterValue',
      `A message holds at most ${maxAttributesPerMessage} attributes; got ${attributeCount}`,
    );
  }
}

/**
 * The splitter's sink in local mode. A send to memory completes at once, so `enqueue` resolves
 * immediately and `flush` has nothing to wait for.
 */
export function inProcessImportMessageSink(queue: InProcessQueue): ImportMessageSink {
  return {
    async enqueue(message: ImportMessage) {
      queue.send(serializeImportMessage(message));
    },
    async flush() {},
  };
}

/** The consumer's queue operations in local mode, with the same meaning they have on SQS. */
export function inProcessQueueControl(
  queue: InProcessQueue,
  deadLetterQueue: InProcessQueue,
): QueueControl {
  return {
    async requeue(body: string, delaySeconds: number) {
      queue.send(body, { delaySeconds });
    },
    async retryLater(message: ReceivedMessage, delaySeconds: number) {
      queue.changeVisibility(message.receiptHandle, delaySeconds);
    },
    async deadLetter(message: ReceivedMessage, reason: string) {
      deadLetterQueue.send(message.body, { attributes: { [failureReasonAttribute]: reason } });
    },
  };
}
