import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { serializeImportMessage, type UserMessage } from '../../../src/model/import-message.ts';
import { SqsImportMessageSink } from '../../../src/queue/sqs-import-message-sink.ts';
import { userMessageFactory } from '../../helpers/factories.ts';

const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/users';

type BatchAnswer = Pick<SendMessageBatchCommandOutput, 'Failed'>;
type Answer = (input: SendMessageBatchCommandInput, call: number) => Promise<BatchAnswer>;

/**
 * Stands in for the SQS client: records every SendMessageBatch input and how many calls were in
 * flight at once. By default every entry succeeds at once.
 */
class FakeSqs {
  readonly calls: SendMessageBatchCommandInput[] = [];
  inFlight = 0;
  maxInFlight = 0;
  answer: Answer = async () => ({ Failed: [] });

  async send(command: unknown): Promise<BatchAnswer> {
    if (!(command instanceof SendMessageBatchCommand)) throw new Error('unexpected command');
    this.calls.push(structuredClone(command.input));
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.answer(command.input, this.calls.length);
    } finally {
      this.inFlight -= 1;
    }
  }

  asClient(): SQSClient {
    return this as unknown as SQSClient;
  }

  sentBodies(): string[] {
    return this.calls.flatMap((call) =>
      (call.Entries ?? []).map((entry) => entry.MessageBody ?? ''),
    );
  }
}

function messages(count: number): UserMessage[] {
  return Array.from({ length: count }, (_, index) =>
    userMessageFactory(
      { sourceId: `auth0|${index}`, externalId: `auth0|${index}` },
      { line: index + 1 },
    ),
  );
}

/** Lets pending promise callbacks and I/O callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Tracks whether a promise has settled, without awaiting it. */
function watch(promise: Promise<unknown>): { settled: () => boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { settled: () => settled };
}

describe('Class: SqsImportMessageSink', () => {
  describe.each([
    { count: 1, batchSizes: [1] },
    { count: 10, batchSizes: [10] },
    { count: 11, batchSizes: [10, 1] },
    { count: 25, batchSizes: [10, 10, 5] },
    { count: 100, batchSizes: Array.from({ length: 10 }, () => 10) },
  ])('given $count messages', ({ count, batchSizes }) => {
    it('sends every message exactly once, in batches of at most 10', async () => {
      // Prepare
      const sqs = new FakeSqs();
      const sink = new SqsImportMessageSink({
        sqs: sqs.asClient(),
        queueUrl,
        maxBatchesInFlight: 3,
      });
      const sent = messages(count);

      // Act
      for (const message of sent) await sink.enqueue(message);
      await sink.flush();

      // Assess
      expect(sqs.calls.map((call) => call.Entries?.length)).toEqual(batchSizes);
      expect(sqs.sentBodies().sort()).toEqual(sent.map(serializeImportMessage).sort());
      for (const call of sqs.calls) {
        expect(call.QueueUrl).toBe(queueUrl);
        const ids = (call.Entries ?? []).map((entry) => entry.Id);
        expect(new Set(ids).size).toBe(ids.length);
      }
    });
  });

  it('sends nothing when flushed empty', async () => {
    // Prepare
    const sqs = new FakeSqs();
    const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl });

    // Act
    await sink.flush();

    // Assess
    expect(sqs.calls).toEqual([]);
  });

  it('holds fewer than 10 messages until flush', async () => {
    // Prepare
    const sqs = new FakeSqs();
    const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl });
    for (const message of messages(9)) await sink.enqueue(message);
    const callsBeforeFlush = sqs.calls.length;

    // Act
    await sink.flush();

    // Assess
    expect(callsBeforeFlush).toBe(0);
    expect(sqs.calls).toHaveLength(1);
  });

  it('resends only the entries SQS reported as failed without sender fault', async () => {
    // Prepare
    const sqs = new FakeSqs();
    sqs.answer = async (_input, call) =>
      call === 1
        ? {
            Failed: [
              { Id: '3', SenderFault: false, Code: 'InternalError' },
              { Id: '7', SenderFault: false, Code: 'ServiceUnavailable' },
            ],
          }
        : { Failed: [] };
    const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl, maxAttempts: 2 });
    const sent = messages(10);

    // Act
    for (const message of sent) await sink.enqueue(message);
    await sink.flush();

    // Assess
    expect(sqs.calls).toHaveLength(2);
    expect(sqs.calls[1]?.Entries).toEqual([
      { Id: '3', MessageBody: serializeImportMessage(sent[3] as UserMessage) },
      { Id: '7', MessageBody: serializeImportMessage(sent[7] as UserMessage) },
    ]);
  });

  it('rejects flush when SQS blames the sender, without resending', async () => {
    // Prepare
    const sqs = new FakeSqs();
    sqs.answer = async () => ({
      Failed: [
        { Id: '0', SenderFault: false, Code: 'InternalError' },
        { Id: '1', SenderFault: true, Code: 'InvalidParameterValue' },
      ],
    });
    const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl, maxAttempts: 5 });
    for (const message of messages(3)) await sink.enqueue(message);

    // Act
    const flushing = sink.flush();

    // Assess
    await expect(flushing).rejects.toThrow(/InvalidParameterValue/);
    expect(sqs.calls).toHaveLength(1);
  });

  it.each([{ maxAttempts: 1 }, { maxAttempts: 2 }])(
    'rejects flush once $maxAttempts attempt(s) still leave failed entries',
    async ({ maxAttempts }) => {
      // Prepare
      const sqs = new FakeSqs();
      sqs.answer = async () => ({
        Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }],
      });
      const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl, maxAttempts });
      for (const message of messages(2)) await sink.enqueue(message);

      // Act
      const flushing = sink.flush();

      // Assess
      await expect(flushing).rejects.toThrow(/InternalError/);
      expect(sqs.calls).toHaveLength(maxAttempts);
    },
  );

  it('rejects flush when the SDK call itself fails', async () => {
    // Prepare
    const sqs = new FakeSqs();
    sqs.answer = async () => {
      throw new Error('AccessDenied');
    };
    const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl });
    await sink.enqueue(userMessageFactory());

    // Act
    const flushing = sink.flush();

    // Assess
    await expect(flushing).rejects.toThrow('AccessDenied');
  });

  it('rejects enqueue once an earlier batch has failed', async () => {
    // Prepare
    const sqs = new FakeSqs();
    sqs.answer = async () => ({
      Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents' }],
    });
    const sink = new SqsImportMessageSink({
      sqs: sqs.asClient(),
      queueUrl,
      maxBatchesInFlight: 1,
    });
    const sent = messages(11);
    for (const message of sent.slice(0, 9)) await sink.enqueue(message);

    // Act: the 10th fills and sends a batch and waits for its slot; the batch fails
    const tenth = sink.enqueue(sent[9] as UserMessage);
    await expect(tenth).rejects.toThrow(/InvalidMessageContents/);
    const eleventh = sink.enqueue(sent[10] as UserMessage);

    // Assess
    await expect(eleventh).rejects.toThrow(/InvalidMessageContents/);
    expect(sqs.calls).toHaveLength(1);
  });

  it.each([{ maxBatchesInFlight: 1 }, { maxBatchesInFlight: 2 }, { maxBatchesInFlight: 4 }])(
    'never has more than $maxBatchesInFlight calls in flight',
    async ({ maxBatchesInFlight }) => {
      // Prepare
      const sqs = new FakeSqs();
      sqs.answer = async () => {
        await settle();
        return { Failed: [] };
      };
      const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl, maxBatchesInFlight });
      const sent = messages(95);

      // Act
      for (const message of sent) await sink.enqueue(message);
      await sink.flush();

      // Assess: the cap is reached (sends overlap) but never passed
      expect(sqs.maxInFlight).toBe(maxBatchesInFlight);
      expect(sqs.calls).toHaveLength(10);
      expect(sqs.sentBodies()).toHaveLength(95);
    },
  );

  it('holds enqueue back while every slot is busy, and lets it go when one frees', async () => {
    // Prepare
    const pendingSends: (() => void)[] = [];
    const sqs = new FakeSqs();
    sqs.answer = () =>
      new Promise<BatchAnswer>((resolve) => {
        pendingSends.push(() => resolve({ Failed: [] }));
      });
    const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl, maxBatchesInFlight: 2 });
    const sent = messages(21);
    for (const message of sent.slice(0, 19)) await sink.enqueue(message);

    // Act: the 20th message fills the second batch, which takes the last free slot
    const twentieth = watch(sink.enqueue(sent[19] as UserMessage));
    await settle();
    const settledWhileBusy = twentieth.settled();
    pendingSends[0]?.();
    await settle();
    const settledOnceFreed = twentieth.settled();

    // Assess
    expect(sqs.calls).toHaveLength(2);
    expect(settledWhileBusy).toBe(false);
    expect(settledOnceFreed).toBe(true);

    // Clean up: let the remaining sends finish so flush resolves
    await sink.enqueue(sent[20] as UserMessage);
    const flushing = sink.flush();
    await settle();
    for (const resolvePending of pendingSends.slice(1)) resolvePending();
    await flushing;
    expect(sqs.sentBodies()).toHaveLength(21);
  });

  it('does not resolve flush before every batch in flight is on the queue', async () => {
    // Prepare
    const pendingSends: (() => void)[] = [];
    const sqs = new FakeSqs();
    sqs.answer = () =>
      new Promise<BatchAnswer>((resolve) => {
        pendingSends.push(() => resolve({ Failed: [] }));
      });
    const sink = new SqsImportMessageSink({ sqs: sqs.asClient(), queueUrl, maxBatchesInFlight: 4 });
    for (const message of messages(15)) await sink.enqueue(message);

    // Act
    const flushing = watch(sink.flush());
    await settle();
    const settledBeforeSends = flushing.settled();
    for (const resolvePending of pendingSends) resolvePending();
    await settle();

    // Assess
    expect(pendingSends).toHaveLength(2);
    expect(settledBeforeSends).toBe(false);
    expect(flushing.settled()).toBe(true);
  });
});
