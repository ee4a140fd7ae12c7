import { type ImportMessage, serializeImportMessage } from '../../src/model/import-message.ts';
import type { ImportMessageSink } from '../../src/queue/queue-types.ts';

/** SQS accepts at most 10 entries per SendMessageBatch; batches are cut where SQS would cut them. */
const maxEntriesPerBatch = 10;

/**
 * A sink that keeps nothing: it serializes and batches every message the way the SQS sink does,
 * then counts it and lets it go. The benchmark puts it in place of SQS so that what it measures
 * is the splitter's own work (reading, parsing, validating, serializing, batching), and so that
 * its memory stays flat however many messages pass through.
 */
export class CountingMessageSink implements ImportMessageSink {
  /** Messages accepted. */
  messages = 0;
  /** Batches a SendMessageBatch-based sink would have sent. */
  batches = 0;
  /** Characters of serialized message bodies (UTF-16 code units: cheap to count, close to bytes). */
  bodyCharacters = 0;
  #inBatch = 0;

  async enqueue(message: ImportMessage): Promise<void> {
    const body = serializeImportMessage(message);
    this.messages += 1;
    this.bodyCharacters += body.length;
    this.#inBatch += 1;
    if (this.#inBatch === maxEntriesPerBatch) this.#closeBatch();
  }

  async flush(): Promise<void> {
    if (this.#inBatch > 0) this.#closeBatch();
  }

  #closeBatch(): void {
    this.batches += 1;
    this.#inBatch = 0;
  }
}
