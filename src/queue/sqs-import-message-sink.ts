import { setTimeout as sleep } from 'node:timers/promises';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type ImportMessage, serializeImportMessage } from '../model/import-message.ts';
import type { ImportMessageSink } from './queue-types.ts';

export interface SqsImportMessageSinkOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** SendMessageBatch calls in flight at once: round trips, not CPU, bound the splitter. */
  maxBatchesInFlight?: number;
  /** Attempts for entries SQS reports in `Failed[]` (a batch can partly fail with HTTP 200). */
  maxAttempts?: number;
}

/** SQS accepts at most 10 entries per SendMessageBatch. */
const maxEntriesPerBatch = 10;
/** ...and at most 1 MiB for the whole batch. */
const maxBatchBytes = 1024 * 1024;

/**
 * Sends user messages to SQS ten at a time, with several batches in flight. `enqueue` waits when
 * all slots are busy, which is what keeps the splitter's memory flat.
 */
export class SqsImportMessageSink implements ImportMessageSink {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;
  readonly #maxBatchesInFlight: number;
  readonly #maxAttempts: number;
  readonly #inFlight = new Set<Promise<void>>();
  #pending: string[] = [];
  #pendingBytes = 0;
  #failure: unknown;

  constructor({
    sqs,
    queueUrl,
    maxBatchesInFlight = 16,
    maxAttempts = 5,
  }: SqsImportMessageSinkOptions) {
    if (!(maxBatchesInFlight >= 1) || !(maxAttempts >= 1)) {
      throw new RangeError('maxBatchesInFlight and maxAttempts must be at least 1');
    }
    this.#sqs = sqs;
    this.#queueUrl = queueUrl;
    this.#maxBatchesInFlight = maxBatchesInFlight;
    this.#maxAttempts = maxAttempts;
  }

  async enqueue(message: ImportMessage): Promise<void> {
    this.#throwIfFailed();
    const body = serializeImportMessage(message);
    const bytes = Buffer.byteLength(body);
    // SQS refuses a batch over 1 MiB in total: send what is pending first if this would pass it.
    if (this.#pending.length > 0 && this.#pendingBytes + bytes > maxBatchBytes) this.#startBatch();
    this.#pending.push(body);
    this.#pendingBytes += bytes;
    if (this.#pending.length < maxEntriesPerBatch) return;
    this.#startBatch();
    while (this.#inFlight.size >= this.#maxBatchesInFlight) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
  }

  async flush(): Promise<void> {
    if (this.#pending.length > 0) this.#startBatch();
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
  }

  #startBatch(): void {
    const bodies = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const sending = this.#sendWithRetries(bodies).then(
      () => undefined,
      (error: unknown) => {
        this.#failure ??= error;
      },
    );
    const tracked = sending.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  async #sendWithRetries(bodies: string[]): Promise<void> {
    let entries: SendMessageBatchRequestEntry[] = bodies.map((body, index) => ({
      Id: String(index),
      MessageBody: body,
    }));
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.#sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: entries }),
      );
      const failedIds = new Set((result.Failed ?? []).map((failure) => failure.Id));
      if (failedIds.size === 0) return;
      const senderFault = (result.Failed ?? []).find((failure) => failure.SenderFault);
      if (senderFault !== undefined || attempt >= this.#maxAttempts) {
        throw new Error(
          `SQS did not accept ${failedIds.size} message(s) after ${attempt} attempt(s): ${
            senderFault?.Code ?? result.Failed?.[0]?.Code ?? 'unknown'
          }`,
        );
      }
      entries = entries.filter((entry) => failedIds.has(entry.Id));
      await sleep(100 * 2 ** attempt);
    }
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
