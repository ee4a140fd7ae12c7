import { describe, expect, it } from 'vitest';
import {
  InProcessQueue,
  type InProcessQueueOptions,
  inProcessImportMessageSink,
  inProcessQueueControl,
  type SendOptions,
} from '../../../src/local/in-process-queue.ts';
import { type UserMessage, userMessageSchema } from '../../../src/model/import-message.ts';
import { failureReasonAttribute } from '../../../src/queue/queue-types.ts';

/** A clock the test moves by hand, so visibility and delays need no sleeping. */
function fakeClock(start = 1_000_000) {
  let current = start;
  return {
    now: () => current,
    advanceSeconds(seconds: number) {
      current += seconds * 1000;
    },
    advanceMilliseconds(milliseconds: number) {
      current += milliseconds;
    },
  };
}

function queueWithClock(options: Partial<InProcessQueueOptions> = {}) {
  const clock = fakeClock();
  const queue = new InProcessQueue({ name: 'users', now: clock.now, ...options });
  return { clock, queue };
}

function withDeadLetterQueue(maxReceiveCount: number) {
  const clock = fakeClock();
  const deadLetterQueue = new InProcessQueue({ name: 'users-dlq', now: clock.now });
  const queue = new InProcessQueue({
    name: 'users',
    visibilityTimeoutSeconds: 10,
    maxReceiveCount,
    deadLetterQueue,
    now: clock.now,
  });
  return { clock, queue, deadLetterQueue };
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

const sampleUserMessage: UserMessage = {
  version: 1,
  origin: { jobId: 'job-1', sourceFile: 'users.json', line: 7 },
  user: {
    sourceId: 'auth0|abc',
    externalId: 'auth0|abc',
    email: 'someone@example.com',
    emailVerified: true,
    source: 'auth0',
  },
  deferrals: 0,
};

describe('InProcessQueue visibility', () => {
  it('hides a received message for the visibility timeout, then redelivers it with a higher receive count and a new handle', () => {
    const { clock, queue } = queueWithClock({ visibilityTimeoutSeconds: 30 });
    const messageId = queue.send('hello');

    const first = only(queue.receive(10));
    expect(first).toMatchObject({ messageId, body: 'hello', receiveCount: 1 });
    expect(queue.receive(10)).toEqual([]);

    clock.advanceSeconds(29);
    expect(queue.receive(10)).toEqual([]);

    clock.advanceSeconds(1);
    const second = only(queue.receive(10));
    expect(second).toMatchObject({ messageId, receiveCount: 2 });
    expect(second.receiptHandle).not.toBe(first.receiptHandle);
  });

  it('uses the visibility timeout given to receive instead of the queue default', () => {
    const { clock, queue } = queueWithClock({ visibilityTimeoutSeconds: 30 });
    queue.send('hello');
    only(queue.receive(1, 5));

    clock.advanceSeconds(5);
    expect(only(queue.receive(1)).receiveCount).toBe(2);
  });

  it('returns at most maxMessages, oldest first, and only visible ones', () => {
    const { queue } = queueWithClock();
    for (const body of ['a', 'b', 'c']) queue.send(body);

    expect(queue.receive(2).map((message) => message.body)).toEqual(['a', 'b']);
    expect(queue.receive(10).map((message) => message.body)).toEqual(['c']);
    expect(queue.receive(10)).toEqual([]);
  });
});

describe('InProcessQueue receipt handles', () => {
  it('deletes a message with its current handle, and only once', () => {
    const { queue } = queueWithClock();
    queue.send('hello');
    const message = only(queue.receive(1));

    expect(queue.delete(message.receiptHandle)).toBe(true);
    expect(queue.isEmpty()).toBe(true);
    expect(queue.delete(message.receiptHandle)).toBe(false);
  });

  it('rejects a stale handle after redelivery: it neither deletes nor changes the message', () => {
    const { clock, queue } = queueWithClock({ visibilityTimeoutSeconds: 10 });
    queue.send('hello');
    const stale = only(queue.receive(1));
    clock.advanceSeconds(10);
    const current = only(queue.receive(1));

    expect(queue.delete(stale.receiptHandle)).toBe(false);
    expect(() => queue.changeVisibility(stale.receiptHandle, 0)).toThrow(
      expect.objectContaining({ name: 'ReceiptHandleIsInvalid' }),
    );
    expect(queue.stats()).toMatchObject({ inFlight: 1, total: 1 });

    expect(queue.delete(current.receiptHandle)).toBe(true);
    expect(queue.isEmpty()).toBe(true);
  });

  it('still deletes with the latest handle after the visibility timeout ends but before anyone receives it again', () => {
    const { clock, queue } = queueWithClock({ visibilityTimeoutSeconds: 10 });
    queue.send('hello');
    const message = only(queue.receive(1));
    clock.advanceSeconds(11);

    expect(queue.delete(message.receiptHandle)).toBe(true);
    expect(queue.receive(10)).toEqual([]);
  });
});

describe('InProcessQueue delay and changeVisibility', () => {
  it('keeps a delayed message hidden until its delay passes, counting it as delayed', () => {
    const { clock, queue } = queueWithClock();
    queue.send('later', { delaySeconds: 5 });

    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 1, total: 1 });
    expect(queue.isEmpty()).toBe(false);
    expect(queue.nextVisibleAt()).toBe(clock.now() + 5000);
    clock.advanceMilliseconds(4999);
    expect(queue.receive(10)).toEqual([]);

    clock.advanceMilliseconds(1);
    expect(only(queue.receive(10))).toMatchObject({ body: 'later', receiveCount: 1 });
  });

  it('extends the visibility timeout of an in-flight message', () => {
    const { clock, queue } = queueWithClock({ visibilityTimeoutSeconds: 10 });
    queue.send('hello');
    const message = only(queue.receive(1));
    queue.changeVisibility(message.receiptHandle, 60);

    clock.advanceSeconds(59);
    expect(queue.receive(1)).toEqual([]);
    clock.advanceSeconds(1);
    expect(only(queue.receive(1)).receiveCount).toBe(2);
  });

  it('makes an in-flight message receivable at once with a visibility of 0', () => {
    const { queue } = queueWithClock({ visibilityTimeoutSeconds: 30 });
    queue.send('hello');
    const message = only(queue.receive(1));
    queue.changeVisibility(message.receiptHandle, 0);

    expect(queue.stats()).toMatchObject({ visible: 1, inFlight: 0 });
    expect(only(queue.receive(1)).receiveCount).toBe(2);
  });

  it.each([-1, 43_201, 1.5])('refuses a visibility timeout of %s seconds', (seconds) => {
    const { queue } = queueWithClock();
    queue.send('hello');
    const message = only(queue.receive(1));

    expect(() => queue.changeVisibility(message.receiptHandle, seconds)).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
  });

  it('reports the soonest hidden message as nextVisibleAt, ignoring deleted ones', () => {
    const { clock, queue } = queueWithClock({ visibilityTimeoutSeconds: 20 });
    const start = clock.now();
    expect(queue.nextVisibleAt()).toBeUndefined();

    queue.send('in 7 s', { delaySeconds: 7 });
    queue.send('received');
    const received = only(queue.receive(10));
    expect(queue.nextVisibleAt()).toBe(start + 7000);

    queue.send('in 3 s', { delaySeconds: 3 });
    expect(queue.nextVisibleAt()).toBe(start + 3000);
    clock.advanceSeconds(3);
    only(queue.receive(10));
    // What remains hidden: 'in 7 s' (at 7 s), 'received' (at 20 s), 'in 3 s' (now in flight, at 23 s).
    expect(queue.nextVisibleAt()).toBe(start + 7000);
    clock.advanceSeconds(4);
    only(queue.receive(10));
    expect(queue.nextVisibleAt()).toBe(start + 20_000);

    queue.delete(received.receiptHandle);
    expect(queue.nextVisibleAt()).toBe(start + 23_000);
  });

  it('makes hidden messages visible in the order their time comes, whatever order they were sent in', () => {
    const { clock, queue } = queueWithClock();
    const delays = [9, 2, 14, 5, 1, 12, 7, 3, 11, 6, 4, 13, 8, 10, 15];
    for (const delaySeconds of delays) queue.send(String(delaySeconds), { delaySeconds });

    const order: number[] = [];
    for (let second = 1; second <= 15; second += 1) {
      clock.advanceSeconds(1);
      for (const message of queue.receive(10)) order.push(Number(message.body));
    }
    expect(order).toEqual([...delays].sort((a, b) => a - b));
  });
});

describe('InProcessQueue redrive to the dead-letter queue', () => {
  it('moves a message to the dead-letter queue on the receive after maxReceiveCount, keeping id, body and attributes', () => {
    const { clock, queue, deadLetterQueue } = withDeadLetterQueue(3);
    const messageId = queue.send('poison', { attributes: { JobId: 'job-1' } });

    for (const expectedCount of [1, 2, 3]) {
      expect(only(queue.receive(10)).receiveCount).toBe(expectedCount);
      clock.advanceSeconds(10);
    }
    expect(deadLetterQueue.isEmpty()).toBe(true);

    expect(queue.receive(10)).toEqual([]);
    expect(queue.isEmpty()).toBe(true);
    expect(deadLetterQueue.drain()).toEqual([
      { messageId, body: 'poison', attributes: { JobId: 'job-1' }, receiveCount: 3 },
    ]);
  });

  it('still delivers the other messages of a receive that redrives one', () => {
    const { clock, queue, deadLetterQueue } = withDeadLetterQueue(1);
    queue.send('poison');
    only(queue.receive(10));
    clock.advanceSeconds(10);
    queue.send('fresh');

    expect(only(queue.receive(10)).body).toBe('fresh');
    expect(deadLetterQueue.stats().visible).toBe(1);
  });

  it('refuses maxReceiveCount without a dead-letter queue, as a RedrivePolicy needs both', () => {
    expect(() => new InProcessQueue({ name: 'users', maxReceiveCount: 3 })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
  });
});

describe('InProcessQueue request limits', () => {
  it('sends a batch of 10 and returns the message ids in order', () => {
    const { queue } = queueWithClock();
    const ids = queue.sendBatch(Array.from({ length: 10 }, (_, index) => ({ body: `m${index}` })));

    expect(ids).toHaveLength(10);
    expect(queue.receive(10).map((message) => message.messageId)).toEqual(ids);
  });

  it('refuses a batch of 11 like TooManyEntriesInBatchRequest, sending none of it', () => {
    const { queue } = queueWithClock();
    const entries = Array.from({ length: 11 }, (_, index) => ({ body: `m${index}` }));

    expect(() => queue.sendBatch(entries)).toThrow(
      expect.objectContaining({ name: 'TooManyEntriesInBatchRequest' }),
    );
    expect(queue.isEmpty()).toBe(true);
  });

  it('refuses an empty batch and a batch with one invalid entry, sending none of it', () => {
    const { queue } = queueWithClock();

    expect(() => queue.sendBatch([])).toThrow(
      expect.objectContaining({ name: 'EmptyBatchRequest' }),
    );
    expect(() => queue.sendBatch([{ body: 'ok' }, { body: 'late', delaySeconds: 901 }])).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
    expect(queue.isEmpty()).toBe(true);
  });

  it('refuses a batch whose bodies total more than 1 MiB', () => {
    const { queue } = queueWithClock();
    const halfMebibyte = 'x'.repeat(512 * 1024);

    expect(() =>
      queue.sendBatch([{ body: halfMebibyte }, { body: halfMebibyte }, { body: 'x' }]),
    ).toThrow(expect.objectContaining({ name: 'BatchRequestTooLong' }));
  });

  const tooManyAttributes = Object.fromEntries(
    Array.from({ length: 11 }, (_, index) => [`Attribute${index}`, 'value']),
  );
  it.each<[string, string, SendOptions, string]>([
    ['an empty body', '', {}, 'MissingParameter'],
    ['a body over 1 MiB', 'x'.repeat(1_048_577), {}, 'MessageTooLong'],
    ['a character SQS rejects', 'bell\u0007', {}, 'InvalidMessageContents'],
    ['a delay over 900 s', 'hello', { delaySeconds: 901 }, 'InvalidParameterValue'],
    ['a fractional delay', 'hello', { delaySeconds: 1.5 }, 'InvalidParameterValue'],
    [
      'more than 10 attributes',
      'hello',
      { attributes: tooManyAttributes },
      'InvalidParameterValue',
    ],
  ])('refuses a message with %s', (_case, body, options, code) => {
    const { queue } = queueWithClock();

    expect(() => queue.send(body, options)).toThrow(expect.objectContaining({ name: code }));
    expect(queue.isEmpty()).toBe(true);
  });

  it('accepts a body of exactly 1 MiB', () => {
    const { queue } = queueWithClock();
    queue.send('x'.repeat(1_048_576));
    expect(queue.stats().total).toBe(1);
  });

  it.each([0, 11, 2.5])('refuses to receive %s messages at once', (maxMessages) => {
    const { queue } = queueWithClock();
    expect(() => queue.receive(maxMessages)).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
  });
});

describe('InProcessQueue stats, drain and arrival', () => {
  it('counts visible, in-flight and delayed messages', () => {
    const { queue } = queueWithClock();
    queue.sendBatch([{ body: 'a' }, { body: 'b' }, { body: 'c' }, { body: 'd', delaySeconds: 60 }]);
    queue.receive(2);

    expect(queue.stats()).toEqual({ visible: 1, inFlight: 2, delayed: 1, total: 4 });
  });

  it('drains every message with its attributes, in send order, and leaves old handles useless', () => {
    const { queue } = queueWithClock();
    queue.send('a', { attributes: { Kind: 'first' } });
    queue.send('b', { delaySeconds: 30 });
    const inFlight = only(queue.receive(1));

    const drained = queue.drain();
    expect(drained.map(({ body, attributes }) => ({ body, attributes }))).toEqual([
      { body: 'a', attributes: { Kind: 'first' } },
      { body: 'b', attributes: {} },
    ]);
    expect(queue.isEmpty()).toBe(true);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 0, total: 0 });
    expect(queue.nextVisibleAt()).toBeUndefined();
    expect(queue.delete(inFlight.receiptHandle)).toBe(false);
  });

  it('resolves waitForArrival on the next send, and on a visibility change', async () => {
    const { queue } = queueWithClock();
    let arrivals = 0;
    const countArrival = () => {
      arrivals += 1;
    };

    const firstWait = queue.waitForArrival().then(countArrival);
    await Promise.resolve();
    expect(arrivals).toBe(0);
    queue.send('hello');
    await firstWait;
    expect(arrivals).toBe(1);

    const message = only(queue.receive(1));
    const secondWait = queue.waitForArrival().then(countArrival);
    queue.changeVisibility(message.receiptHandle, 0);
    await secondWait;
    expect(arrivals).toBe(2);
  });
});

describe('inProcessImportMessageSink', () => {
  it('puts each user message on the queue as its serialized form', async () => {
    const { queue } = queueWithClock();
    const sink = inProcessImportMessageSink(queue);

    await sink.enqueue(sampleUserMessage);
    await sink.flush();

    const message = only(queue.receive(10));
    expect(userMessageSchema.parse(JSON.parse(message.body))).toEqual({
      ...sampleUserMessage,
      kind: 'user',
    });
  });

  it('rejects, rather than throws, when the queue refuses the message', async () => {
    const { queue } = queueWithClock();
    const sink = inProcessImportMessageSink(queue);
    const oversized = {
      ...sampleUserMessage,
      user: { ...sampleUserMessage.user, firstName: 'x'.repeat(1_048_576) },
    };

    await expect(sink.enqueue(oversized)).rejects.toMatchObject({ name: 'MessageTooLong' });
  });
});

describe('inProcessQueueControl', () => {
  it('requeue sends a fresh copy that becomes visible after the delay with a receive count starting over', async () => {
    const { clock, queue, deadLetterQueue } = withDeadLetterQueue(5);
    const control = inProcessQueueControl(queue, deadLetterQueue);

    await control.requeue('copy', 4);
    expect(queue.receive(10)).toEqual([]);
    clock.advanceSeconds(4);
    expect(only(queue.receive(10))).toMatchObject({ body: 'copy', receiveCount: 1 });
  });

  it('retryLater leaves the message on the queue, to be received again after the delay', async () => {
    const { clock, queue, deadLetterQueue } = withDeadLetterQueue(5);
    const control = inProcessQueueControl(queue, deadLetterQueue);
    queue.send('hello');
    const message = only(queue.receive(1));

    await control.retryLater(message, 25);
    clock.advanceSeconds(24);
    expect(queue.receive(1)).toEqual([]);
    clock.advanceSeconds(1);
    expect(only(queue.receive(1))).toMatchObject({ body: 'hello', receiveCount: 2 });
  });

  it('deadLetter sends the body to the dead-letter queue with the failure reason attribute', async () => {
    const { queue, deadLetterQueue } = withDeadLetterQueue(5);
    const control = inProcessQueueControl(queue, deadLetterQueue);
    queue.send('bad user');
    const message = only(queue.receive(1));

    await control.deadLetter(message, 'invalid_email');

    expect(deadLetterQueue.drain()).toEqual([
      expect.objectContaining({
        body: 'bad user',
        attributes: { [failureReasonAttribute]: 'invalid_email' },
      }),
    ]);
    // The caller acknowledges the original; until then it is still in flight on the main queue.
    expect(queue.stats()).toMatchObject({ inFlight: 1 });
  });
});
