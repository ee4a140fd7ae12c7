import { describe, expect, it } from 'vitest';
import { WritePacer } from '../../../src/import/write-pacer.ts';
import { fakeTime } from '../../helpers/fake-time.ts';

describe('Class: WritePacer', () => {
  describe('Method: acquire()', () => {
    it('grants the first write at once, without sleeping', async () => {
      // Prepare
      const time = fakeTime();
      const pacer = new WritePacer({ writesPerSecond: 10, now: time.now, sleep: time.sleep });

      // Act
      const decision = await pacer.acquire(1_000);

      // Assess
      expect(decision).toEqual({ granted: true });
      expect(time.sleeps).toEqual([]);
    });

    it.each([
      { writesPerSecond: 10, intervalMs: 100 },
      { writesPerSecond: 4, intervalMs: 250 },
      { writesPerSecond: 0.5, intervalMs: 2_000 },
    ])(
      'spaces writes evenly, one every $intervalMs ms at $writesPerSecond per second',
      async ({ writesPerSecond, intervalMs }) => {
        // Prepare
        const time = fakeTime(0);
        const pacer = new WritePacer({ writesPerSecond, now: time.now, sleep: time.sleep });

        // Act
        const grantedAt: number[] = [];
        for (let write = 0; write < 5; write += 1) {
          const decision = await pacer.acquire(60_000);
          expect(decision.granted).toBe(true);
          grantedAt.push(time.now());
        }

        // Assess
        expect(grantedAt).toEqual([0, 1, 2, 3, 4].map((slot) => slot * intervalMs));
      },
    );

    it('hands out slots in order to callers that ask at the same moment', async () => {
      // Prepare
      const time = fakeTime(0);
      const pacer = new WritePacer({ writesPerSecond: 10, now: time.now, sleep: time.sleep });

      // Act
      const decisions = await Promise.all([
        pacer.acquire(1_000),
        pacer.acquire(1_000),
        pacer.acquire(1_000),
      ]);

      // Assess
      expect(decisions).toEqual([{ granted: true }, { granted: true }, { granted: true }]);
      expect(time.sleeps).toEqual([100, 200]);
    });

    it('does not let idle time build up into a burst', async () => {
      // Prepare
      const time = fakeTime(0);
      const pacer = new WritePacer({ writesPerSecond: 10, now: time.now, sleep: time.sleep });
      await pacer.acquire(1_000);
      time.advance(60_000);

      // Act
      await pacer.acquire(1_000);
      await pacer.acquire(1_000);
      await pacer.acquire(1_000);

      // Assess
      expect(time.sleeps).toEqual([100, 100]);
    });

    it('grants a slot exactly maxWaitMs away', async () => {
      // Prepare
      const time = fakeTime();
      const pacer = new WritePacer({ writesPerSecond: 1, now: time.now, sleep: time.sleep });
      await pacer.acquire(0);

      // Act
      const decision = await pacer.acquire(1_000);

      // Assess
      expect(decision).toEqual({ granted: true });
      expect(time.sleeps).toEqual([1_000]);
    });

    it('defers without waiting when the next slot is further away than maxWaitMs', async () => {
      // Prepare
      const time = fakeTime();
      const pacer = new WritePacer({ writesPerSecond: 1, now: time.now, sleep: time.sleep });
      await pacer.acquire(0);
      const before = time.now();

      // Act
      const decision = await pacer.acquire(999);

      // Assess
      expect(decision).toEqual({ granted: false, retryAfterSeconds: 1 });
      expect(time.sleeps).toEqual([]);
      expect(time.now()).toBe(before);
    });

    it('does not consume a slot when it defers', async () => {
      // Prepare
      const time = fakeTime();
      const pacer = new WritePacer({ writesPerSecond: 1, now: time.now, sleep: time.sleep });
      await pacer.acquire(0);
      await pacer.acquire(10);
      await pacer.acquire(10);

      // Act
      const decision = await pacer.acquire(5_000);

      // Assess: the deferred callers left the slot one interval away, not three
      expect(decision).toEqual({ granted: true });
      expect(time.sleeps).toEqual([1_000]);
    });

    it.each([
      { waitMs: 100, retryAfterSeconds: 1 },
      { waitMs: 1_000, retryAfterSeconds: 1 },
      { waitMs: 1_001, retryAfterSeconds: 2 },
      { waitMs: 2_500, retryAfterSeconds: 3 },
    ])(
      'asks a deferred caller to come back after $retryAfterSeconds s when the slot is $waitMs ms away',
      async ({ waitMs, retryAfterSeconds }) => {
        // Prepare
        const time = fakeTime();
        const pacer = new WritePacer({ writesPerSecond: 1, now: time.now, sleep: time.sleep });
        pacer.pauseFor(waitMs / 1_000);

        // Act
        const decision = await pacer.acquire(0);

        // Assess
        expect(decision).toEqual({ granted: false, retryAfterSeconds });
      },
    );
  });

  describe('Method: pauseFor()', () => {
    it('holds every write until the pause is over, then resumes the even spacing', async () => {
      // Prepare
      const time = fakeTime(0);
      const pacer = new WritePacer({ writesPerSecond: 10, now: time.now, sleep: time.sleep });
      await pacer.acquire(0);

      // Act
      pacer.pauseFor(5);
      await pacer.acquire(10_000);
      const firstAfterPause = time.now();
      await pacer.acquire(10_000);
      const secondAfterPause = time.now();

      // Assess
      expect(firstAfterPause).toBe(5_000);
      expect(secondAfterPause).toBe(5_100);
    });

    it('makes callers that cannot wait out the pause defer with the pause length', async () => {
      // Prepare
      const time = fakeTime();
      const pacer = new WritePacer({ writesPerSecond: 10, now: time.now, sleep: time.sleep });

      // Act
      pacer.pauseFor(30);
      const decision = await pacer.acquire(20_000);

      // Assess
      expect(decision).toEqual({ granted: false, retryAfterSeconds: 30 });
    });

    it('never brings forward a slot already further away than the pause', async () => {
      // Prepare
      const time = fakeTime(0);
      const pacer = new WritePacer({ writesPerSecond: 1, now: time.now, sleep: time.sleep });
      const backlog = [pacer.acquire(10_000), pacer.acquire(10_000), pacer.acquire(10_000)];

      // Act
      pacer.pauseFor(1);
      const decision = await pacer.acquire(0);
      await Promise.all(backlog);

      // Assess: three slots (0, 1 s, 2 s) are taken; the next is at 3 s, not at the 1 s pause end
      expect(decision).toEqual({ granted: false, retryAfterSeconds: 3 });
    });
  });

  describe('Constructor', () => {
    it.each([{ writesPerSecond: 0 }, { writesPerSecond: -5 }, { writesPerSecond: Number.NaN }])(
      'refuses a rate of $writesPerSecond writes per second',
      ({ writesPerSecond }) => {
        // Act
        const creating = () => new WritePacer({ writesPerSecond });

        // Assess
        expect(creating).toThrow(RangeError);
      },
    );
  });
});
