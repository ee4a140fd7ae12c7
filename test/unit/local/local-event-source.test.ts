import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { InProcessQueue } from '../../../src/local/in-process-queue.ts';
import { runLocalEventSource, type Sleep } from '../../../src/local/local-event-source.ts';
import type { PipelineLogger } from '../../../src/logger.ts';
import type { BatchResult } from '../../../src/queue/queue-types.ts';

/**
 * A queue on a hand-moved clock, and a sleep that moves that clock instead of waiting: time in
 * these tests passes only when the event source chooses to sleep, and each sleep is recorded.
 */
function simulatedTime(queueOptions: { visibilityTimeoutSeconds?: number } = {}) {
  let current = 1_000_000;
  const now = () => current;
  const sleeps: number[] = [];
  const sleep: Sleep = async (milliseconds) => {
    sleeps.push(milliseconds);
    // Yield to the event loop as a real timer would, so handlers awaiting I/O can progress.
    await nextMacrotask();
    current += milliseconds;
  };
  const deadLetterQueue = new InProcessQueue({ name: 'users-dlq', now });
  const queue = new InProcessQueue({
    name: 'users',
    visibilityTimeoutSeconds: queueOptions.visibilityTimeoutSeconds ?? 2,
    maxReceiveCount: 3,
    deadLetterQueue,
    now,
  });
  return {
    queue,
    deadLetterQueue,
    sleeps,
    sleep,
    advanceMilliseconds(milliseconds: number) {
      current += milliseconds;
    },
  };
}

const silentLogger: PipelineLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

function recordingLogger() {
  const warnings: string[] = [];
  const logger: PipelineLogger = {
    ...silentLogger,
    warn(message) {
      warnings.push(String(message));
    },
  };
  return { logger, warnings };
}

const succeedAll = async (): Promise<BatchResult> => ({ failedMessageIds: [] });

/** A sleep that never ends on its own: any progress must come from another wake-up. */
const sleepUntilAborted: Sleep = (_milliseconds, signal) =>
  new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
  });

describe('runLocalEventSource batch results', () => {
  it('deletes the messages not reported as failed and redelivers the failed ones', async () => {
    const { queue, sleep } = simulatedTime();
    const [, failingId] = queue.sendBatch([{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    const deliveries: Array<{ body: string; receiveCount: number }> = [];

    const result = await runLocalEventSource({
      queue,
      maxConcurrency: 2,
      sleep,
      logger: silentLogger,
      async handleBatch(messages) {
        for (const { body, receiveCount } of messages) deliveries.push({ body, receiveCount });
        const failing = messages.filter(
          (message) => message.messageId === failingId && message.receiveCount === 1,
        );
        return { failedMessageIds: failing.map((message) => message.messageId) };
      },
    });

    expect(deliveries).toEqual([
      { body: 'a', receiveCount: 1 },
      { body: 'b', receiveCount: 1 },
      { body: 'c', receiveCount: 1 },
      { body: 'b', receiveCount: 2 },
    ]);
    expect(result).toEqual({ batches: 2, messagesReceived: 4, messagesDeleted: 3 });
    expect(queue.isEmpty()).toBe(true);
  });

  it('retries the whole batch when the handler throws', async () => {
    const { queue, sleep } = simulatedTime();
    queue.sendBatch([{ body: 'a' }, { body: 'b' }]);
    const { logger, warnings } = recordingLogger();
    const receiveCounts: number[][] = [];

    const result = await runLocalEventSource({
      queue,
      maxConcurrency: 2,
      sleep,
      logger,
      async handleBatch(messages) {
        receiveCounts.push(messages.map((message) => message.receiveCount));
        if (receiveCounts.length === 1) throw new Error('WorkOS unreachable');
        return { failedMessageIds: [] };
      },
    });

    expect(receiveCounts).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(result).toEqual({ batches: 2, messagesReceived: 4, messagesDeleted: 2 });
    expect(warnings).toHaveLength(1);
  });

  it('retries the whole batch when the result names a message that is not in it, as Lambda does', async () => {
    const { queue, sleep } = simulatedTime();
    queue.sendBatch([{ body: 'a' }, { body: 'b' }]);
    let calls = 0;

    const result = await runLocalEventSource({
      queue,
      maxConcurrency: 2,
      sleep,
      logger: silentLogger,
      async handleBatch() {
        calls += 1;
        return { failedMessageIds: calls === 1 ? ['not-in-this-batch'] : [] };
      },
    });

    expect(result).toEqual({ batches: 2, messagesReceived: 4, messagesDeleted: 2 });
  });

  it('leaves a message that keeps failing to the queue redrive, which moves it to the dead-letter queue after maxReceiveCount', async () => {
    const { queue, deadLetterQueue, sleep } = simulatedTime();
    const poisonId = queue.send('poison', { attributes: { JobId: 'job-1' } });
    queue.send('fine');
    const poisonReceiveCounts: number[] = [];

    const result = await runLocalEventSource({
      queue,
      maxConcurrency: 2,
      sleep,
      logger: silentLogger,
      async handleBatch(messages) {
        const poison = messages.filter((message) => message.messageId === poisonId);
        for (const message of poison) poisonReceiveCounts.push(message.receiveCount);
        return { failedMessageIds: poison.map((message) => message.messageId) };
      },
    });

    expect(poisonReceiveCounts).toEqual([1, 2, 3]);
    expect(result.messagesDeleted).toBe(1);
    expect(queue.isEmpty()).toBe(true);
    expect(deadLetterQueue.drain()).toEqual([
      { messageId: poisonId, body: 'poison', attributes: { JobId: 'job-1' }, receiveCount: 3 },
    ]);
  });

  it('receives batches of at most batchSize messages', async () => {
    const { queue, sleep } = simulatedTime();
    for (let index = 0; index < 25; index += 1) queue.send(`m${index}`);
    const batchSizes: number[] = [];

    await runLocalEventSource({
      queue,
      batchSize: 10,
      maxConcurrency: 1,
      sleep,
      logger: silentLogger,
      async handleBatch(messages) {
        batchSizes.push(messages.length);
        return { failedMessageIds: [] };
      },
    });

    expect(batchSizes).toEqual([10, 10, 5]);
  });
});

describe('runLocalEventSource concurrency', () => {
  it.each([1, 3, 5])(
    'never has more than %i batches in flight, and reaches that many',
    async (maxConcurrency) => {
      const { queue, sleep } = simulatedTime({ visibilityTimeoutSeconds: 60 });
      for (let index = 0; index < 40; index += 1) queue.send(`m${index}`);
      let inFlight = 0;
      let mostInFlight = 0;

      const result = await runLocalEventSource({
        queue,
        batchSize: 2,
        maxConcurrency,
        sleep,
        logger: silentLogger,
        async handleBatch() {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          // Hold the batch across a turn of the event loop, so batches would overlap if allowed to.
          await nextMacrotask();
          inFlight -= 1;
          return { failedMessageIds: [] };
        },
      });

      expect(mostInFlight).toBe(maxConcurrency);
      expect(result).toEqual({ batches: 20, messagesReceived: 40, messagesDeleted: 40 });
    },
  );
});

describe('runLocalEventSource waiting and termination', () => {
  it('returns at once when the queue is empty and the producer is finished, without sleeping', async () => {
    const { queue, sleep, sleeps } = simulatedTime();

    const result = await runLocalEventSource({
      queue,
      handleBatch: succeedAll,
      maxConcurrency: 2,
      sleep,
      logger: silentLogger,
    });

    expect(result).toEqual({ batches: 0, messagesReceived: 0, messagesDeleted: 0 });
    expect(sleeps).toEqual([]);
  });

  it('keeps polling an empty queue until the producer says it is finished', async () => {
    const { queue, sleeps } = simulatedTime();
    let producerFinished = false;
    // The producer sends its only message during the event source's second idle sleep.
    const sleep: Sleep = async (milliseconds) => {
      sleeps.push(milliseconds);
      await nextMacrotask();
      if (sleeps.length === 2) {
        queue.send('late');
        producerFinished = true;
      }
    };
    const bodies: string[] = [];

    await runLocalEventSource({
      queue,
      maxConcurrency: 2,
      sleep,
      isFinished: () => producerFinished,
      logger: silentLogger,
      async handleBatch(messages) {
        bodies.push(...messages.map((message) => message.body));
        return { failedMessageIds: [] };
      },
    });

    expect(bodies).toEqual(['late']);
    // Idle sleeps are capped so a finished producer is noticed within a second.
    expect(sleeps.slice(0, 2)).toEqual([1000, 1000]);
  });

  it('sleeps until a delayed message becomes visible, in capped steps, instead of spinning', async () => {
    const { queue, sleep, sleeps, advanceMilliseconds } = simulatedTime();
    const sentAt = queue.now();
    queue.send('delayed', { delaySeconds: 3 });
    // Start 700 ms into the delay, so the last step is shorter than the cap.
    advanceMilliseconds(700);
    const receipts: Array<{ at: number; sleepsBefore: number[] }> = [];

    await runLocalEventSource({
      queue,
      maxConcurrency: 2,
      sleep,
      logger: silentLogger,
      async handleBatch() {
        receipts.push({ at: queue.now(), sleepsBefore: [...sleeps] });
        return { failedMessageIds: [] };
      },
    });

    expect(receipts).toEqual([{ at: sentAt + 3000, sleepsBefore: [1000, 1000, 300] }]);
  });

  it('wakes from its idle sleep when a message is sent', async () => {
    const { queue } = simulatedTime();
    let producerFinished = false;
    const bodies: string[] = [];

    const run = runLocalEventSource({
      queue,
      maxConcurrency: 2,
      sleep: sleepUntilAborted,
      isFinished: () => producerFinished,
      logger: silentLogger,
      async handleBatch(messages) {
        bodies.push(...messages.map((message) => message.body));
        return { failedMessageIds: [] };
      },
    });
    await nextMacrotask();
    producerFinished = true;
    queue.send('arrived');

    // Without the arrival wake-up the sleep never ends and this times out.
    await expect(run).resolves.toEqual({ batches: 1, messagesReceived: 1, messagesDeleted: 1 });
    expect(bodies).toEqual(['arrived']);
  });

  it('stops taking batches when aborted, and returns once the batch in flight is done', async () => {
    const { queue, sleep } = simulatedTime();
    for (let index = 0; index < 5; index += 1) queue.send(`m${index}`);
    const controller = new AbortController();

    const result = await runLocalEventSource({
      queue,
      batchSize: 1,
      maxConcurrency: 1,
      sleep,
      signal: controller.signal,
      logger: silentLogger,
      async handleBatch() {
        controller.abort();
        await nextMacrotask();
        return { failedMessageIds: [] };
      },
    });

    expect(result).toEqual({ batches: 1, messagesReceived: 1, messagesDeleted: 1 });
    expect(queue.stats()).toMatchObject({ visible: 4, inFlight: 0 });
  });

  it('wakes from a real sleep on arrival and leaves no timer behind', async () => {
    const queue = new InProcessQueue({ name: 'users' });
    let producerFinished = false;
    const timersBefore = activeTimerCount();
    const startedAt = performance.now();

    const run = runLocalEventSource({
      queue,
      maxConcurrency: 2,
      isFinished: () => producerFinished,
      logger: silentLogger,
      handleBatch: succeedAll,
    });
    await nextMacrotask();
    // The event source is now asleep on its idle timer.
    expect(activeTimerCount()).toBe(timersBefore + 1);
    producerFinished = true;
    queue.send('arrived');
    const result = await run;

    expect(result.messagesDeleted).toBe(1);
    // Woken by the send, not by the 1 s idle timer.
    expect(performance.now() - startedAt).toBeLessThan(500);
    expect(activeTimerCount()).toBe(timersBefore);
  });
});

function activeTimerCount(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

describe('runLocalEventSource — a producer that sends nothing', () => {
  it('returns as soon as `finished` settles, not at the end of its idle sleep', async () => {
    const { queue } = simulatedTime();
    let producerFinished = false;
    const finished = Promise.withResolvers<void>();
    // A sleep that never ends on its own: only the `finished` wake-up can end the run.
    const sleep: Sleep = (_milliseconds, signal) =>
      new Promise((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));

    const running = runLocalEventSource({
      queue,
      maxConcurrency: 2,
      handleBatch: async () => ({ failedMessageIds: [] }),
      isFinished: () => producerFinished,
      finished: finished.promise,
      sleep,
    });
    await nextMacrotask();
    producerFinished = true;
    finished.resolve();

    await expect(running).resolves.toEqual({ batches: 0, messagesReceived: 0, messagesDeleted: 0 });
  });

  it('still waits for its batches, without spinning, once `finished` has settled', async () => {
    const { queue, sleep } = simulatedTime();
    queue.sendBatch([{ body: 'a' }, { body: 'b' }]);
    const finished = Promise.resolve();

    // The handler needs the event loop (a macrotask): a loop spinning on the settled promise
    // would starve it, and the run would never end.
    const result = await runLocalEventSource({
      queue,
      batchSize: 1,
      maxConcurrency: 1,
      handleBatch: async () => {
        await nextMacrotask();
        return { failedMessageIds: [] };
      },
      isFinished: () => true,
      finished,
      sleep,
    });

    expect(result).toEqual({ batches: 2, messagesReceived: 2, messagesDeleted: 2 });
  });
});
