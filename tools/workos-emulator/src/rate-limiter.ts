/** A rate limit as WorkOS documents them: so many requests per window, per environment. */
export interface RateLimit {
  requests: number;
  windowMs: number;
}

/** WorkOS AuthKit limits per environment (reference C.1): reads 1,000 / 10 s, writes 500 / 10 s. */
export const workOsReadLimit: RateLimit = { requests: 1_000, windowMs: 10_000 };
export const workOsWriteLimit: RateLimit = { requests: 500, windowMs: 10_000 };
/** WorkOS's general limit on every request, per API key (reference C.1): 6,000 / 60 s. */
export const workOsGeneralLimit: RateLimit = { requests: 6_000, windowMs: 60_000 };
/** Password reset sends, per email (reference C.1): 3 / 60 s. */
export const workOsPasswordResetLimit: RateLimit = { requests: 3, windowMs: 60_000 };

function assertValidRateLimit(limit: RateLimit): void {
  if (!Number.isInteger(limit.requests) || limit.requests < 1) {
    throw new RangeError('Rate limit requests must be a positive integer');
  }
  if (!Number.isFinite(limit.windowMs) || limit.windowMs <= 0) {
    throw new RangeError('Rate limit windowMs must be a positive number');
  }
}

export type RateLimitDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | {
      allowed: false;
      limit: number;
      remaining: 0;
      resetSeconds: number;
      retryAfterSeconds: number;
    };

/**
 * A sliding-log limiter: it remembers when each admitted request arrived and admits a new one
 * only while fewer than `requests` arrived in the last `windowMs`. Unlike fixed windows, a client
 * pacing itself just under the limit never sees a 429, and a burst over it always does. Refused
 * requests are not logged, so a client hammering through a 429 does not extend its own wait.
 * The log holds at most `requests` timestamps.
 */
export class SlidingWindowRateLimiter {
  readonly limit: RateLimit;
  #admittedAt: number[] = [];

  constructor(limit: RateLimit) {
    assertValidRateLimit(limit);
    this.limit = { ...limit };
  }

  /** Admits and records the request, or says how long until a slot frees. `now` is in ms. */
  tryAcquire(now: number): RateLimitDecision {
    this.#forgetOlderThanWindow(now);
    const { requests } = this.limit;
    if (this.#admittedAt.length < requests) {
      this.#admittedAt.push(now);
      return {
        allowed: true,
        limit: requests,
        remaining: requests - this.#admittedAt.length,
        resetSeconds: this.#secondsUntilOldestLeaves(now),
      };
    }
    const wait = this.#secondsUntilOldestLeaves(now);
    // Retry-After is whole seconds; rounding down would invite a retry that is refused again.
    const retryAfterSeconds = Math.max(1, wait);
    return {
      allowed: false,
      limit: requests,
      remaining: 0,
      resetSeconds: retryAfterSeconds,
      retryAfterSeconds,
    };
  }

  reset(): void {
    this.#admittedAt = [];
  }

  /** True when nothing admitted is still inside the window, so forgetting this limiter is safe. */
  isIdle(now: number): boolean {
    this.#forgetOlderThanWindow(now);
    return this.#admittedAt.length === 0;
  }

  #forgetOlderThanWindow(now: number): void {
    const windowStart = now - this.limit.windowMs;
    let expired = 0;
    while (expired < this.#admittedAt.length && (this.#admittedAt[expired] ?? now) <= windowStart) {
      expired += 1;
    }
    if (expired > 0) this.#admittedAt.splice(0, expired);
  }

  #secondsUntilOldestLeaves(now: number): number {
    const oldest = this.#admittedAt[0];
    if (oldest === undefined) return 0;
    return Math.ceil((oldest + this.limit.windowMs - now) / 1000);
  }
}

/**
 * One sliding window per key, for limits WorkOS counts per email or per user (password reset
 * sends: 3 per 60 s per email). Idle windows are swept now and then, so a long import that
 * touches every user once does not keep one limiter per user forever.
 */
export class KeyedRateLimiter {
  readonly limit: RateLimit;
  #byKey = new Map<string, SlidingWindowRateLimiter>();
  #acquiresSinceSweep = 0;

  constructor(limit: RateLimit) {
    assertValidRateLimit(limit);
    this.limit = { ...limit };
  }

  tryAcquire(key: string, now: number): RateLimitDecision {
    this.#acquiresSinceSweep += 1;
    if (this.#acquiresSinceSweep >= keyedSweepInterval) this.#sweep(now);
    let limiter = this.#byKey.get(key);
    if (limiter === undefined) {
      limiter = new SlidingWindowRateLimiter(this.limit);
      this.#byKey.set(key, limiter);
    }
    return limiter.tryAcquire(now);
  }

  reset(): void {
    this.#byKey.clear();
    this.#acquiresSinceSweep = 0;
  }

  #sweep(now: number): void {
    this.#acquiresSinceSweep = 0;
    for (const [key, limiter] of this.#byKey) {
      if (limiter.isIdle(now)) this.#byKey.delete(key);
    }
  }
}

const keyedSweepInterval = 10_000;

/** The `X-RateLimit-*` headers; `Reset` is seconds until the oldest counted request leaves. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(decision.resetSeconds),
  };
}
