import { describe, expect, it } from 'vitest';
import {
  KeyedRateLimiter,
  rateLimitHeaders,
  SlidingWindowRateLimiter,
} from '../src/rate-limiter.ts';

function admittedAt(limiter: SlidingWindowRateLimiter, times: number[]): boolean[] {
  return times.map((time) => limiter.tryAcquire(time).allowed);
}

describe('SlidingWindowRateLimiter', () => {
  it('never refuses a client pacing itself just under the limit, across window boundaries', () => {
    const limiter = new SlidingWindowRateLimiter({ requests: 5, windowMs: 1_000 });
    // One request every 201 ms: never more than 5 in any 1,000 ms.
    const times = Array.from({ length: 50 }, (_, index) => index * 201);
    expect(admittedAt(limiter, times).every(Boolean)).toBe(true);
  });

  it('refuses a burst over the limit even when it straddles a fixed-window boundary', () => {
    const limiter = new SlidingWindowRateLimiter({ requests: 5, windowMs: 1_000 });
    // A fixed window would reset at 1,000 ms and admit all ten; a sliding one must not.
    const times = [995, 996, 997, 998, 999, 1_000, 1_001, 1_002, 1_003, 1_004];
    expect(admittedAt(limiter, times)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('frees a slot exactly one window after the oldest admitted request', () => {
    const limiter = new SlidingWindowRateLimiter({ requests: 2, windowMs: 1_000 });
    expect(admittedAt(limiter, [0, 100, 999, 1_000, 1_050, 1_100])).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it('does not count refused requests, so hammering through a 429 does not extend the wait', () => {
    const limiter = new SlidingWindowRateLimiter({ requests: 1, windowMs: 1_000 });
    limiter.tryAcquire(0);
    for (let time = 1; time < 1_000; time += 10) limiter.tryAcquire(time);
    expect(limiter.tryAcquire(1_000).allowed).toBe(true);
  });

  it.each([
    { now: 10, expected: 3 },
    { now: 2_500, expected: 1 },
    { now: 2_999.5, expected: 1 },
  ])(
    'answers Retry-After in whole seconds, rounded up and at least 1 (now=$now)',
    ({ now, expected }) => {
      const limiter = new SlidingWindowRateLimiter({ requests: 1, windowMs: 3_000 });
      limiter.tryAcquire(0);
      const decision = limiter.tryAcquire(now);
      expect(decision.allowed).toBe(false);
      if (decision.allowed) return;
      expect(decision.retryAfterSeconds).toBe(expected);
    },
  );

  it('reports limit, remaining and reset in the X-RateLimit headers', () => {
    const limiter = new SlidingWindowRateLimiter({ requests: 3, windowMs: 10_000 });
    limiter.tryAcquire(0);
    expect(rateLimitHeaders(limiter.tryAcquire(1_000))).toEqual({
      'X-RateLimit-Limit': '3',
      'X-RateLimit-Remaining': '1',
      // The request at 0 leaves the window at 10,000 ms: 9 s after now.
      'X-RateLimit-Reset': '9',
    });
  });

  it('forgets every admitted request on reset', () => {
    const limiter = new SlidingWindowRateLimiter({ requests: 1, windowMs: 10_000 });
    limiter.tryAcquire(0);
    limiter.reset();
    expect(limiter.tryAcquire(1).allowed).toBe(true);
  });

  it.each([
    { requests: 0, windowMs: 1_000 },
    { requests: 1.5, windowMs: 1_000 },
    { requests: 5, windowMs: 0 },
  ])('rejects a nonsensical limit %o', (limit) => {
    expect(() => new SlidingWindowRateLimiter(limit)).toThrow(RangeError);
  });
});

describe('KeyedRateLimiter', () => {
  it('keeps one window per key, so one email at its limit does not hold back another', () => {
    const limiter = new KeyedRateLimiter({ requests: 3, windowMs: 60_000 });
    const sends = (key: string, times: number[]) =>
      times.map((time) => limiter.tryAcquire(key, time).allowed);
    expect(sends('a@example.test', [0, 1, 2, 3])).toEqual([true, true, true, false]);
    expect(sends('b@example.test', [4])).toEqual([true]);
    expect(limiter.tryAcquire('a@example.test', 5)).toMatchObject({
      allowed: false,
      retryAfterSeconds: 60,
    });
    expect(sends('a@example.test', [60_001])).toEqual([true]);
  });

  it('still limits a key after sweeping thousands of idle ones', () => {
    const limiter = new KeyedRateLimiter({ requests: 1, windowMs: 1_000 });
    expect(limiter.tryAcquire('busy', 0).allowed).toBe(true);
    for (let index = 0; index < 10_000; index += 1) limiter.tryAcquire(`idle-${index}`, 500);
    expect(limiter.tryAcquire('busy', 900).allowed).toBe(false);
  });

  it('forgets every window on reset', () => {
    const limiter = new KeyedRateLimiter({ requests: 1, windowMs: 60_000 });
    limiter.tryAcquire('a', 0);
    limiter.reset();
    expect(limiter.tryAcquire('a', 1).allowed).toBe(true);
  });

  it('rejects a nonsensical limit up front', () => {
    expect(() => new KeyedRateLimiter({ requests: 0, windowMs: 1_000 })).toThrow(RangeError);
  });
});
