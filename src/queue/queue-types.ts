import type { ImportMessage } from '../model/import-message.ts';

/**
 * Where the splitter puts user messages: SQS on AWS, the in-process queue in local mode, an
 * in-memory counter in the benchmark. Implementations batch and keep several sends in flight.
 */
export interface ImportMessageSink {
  /**
   * Accepts one message. Resolves once the sink can take another, so a fast reader waits for a
   * slow queue instead of buffering the whole export (back-pressure).
   */
  enqueue(message: ImportMessage): Promise<void>;
  /** Resolves when every accepted message is durably on the queue; rejects if any could not be. */
  flush(): Promise<void>;
}

/** A message as a consumer receives it, free of any AWS event type. */
export interface ReceivedMessage {
  messageId: string;
  body: string;
  /** How many times this message has been received, this delivery included (starts at 1). */
  receiveCount: number;
  receiptHandle: string;
}

/** What a consumer may do with a message besides acknowledging or failing it. */
export interface QueueControl {
  /**
   * Puts a fresh copy on the queue, visible after `delaySeconds`. The caller then acknowledges
   * the original, so the copy starts with a receive count of zero.
   */
  requeue(body: string, delaySeconds: number): Promise<void>;
  /** Leaves the message on the queue, to be received again after `delaySeconds`. */
  retryLater(message: ReceivedMessage, delaySeconds: number): Promise<void>;
  /** Sends the message to the dead-letter queue with a reason code; the caller then acknowledges it. */
  deadLetter(message: ReceivedMessage, reason: string): Promise<void>;
}

/** The name of the message attribute that carries the failure reason on a dead-lettered message. */
export const failureReasonAttribute = 'FailureReason';

/** The result of handling one batch: the ids of messages to leave on the queue. */
export interface BatchResult {
  failedMessageIds: string[];
}
