/** A rate limit as WorkOS documents them: so many requests per window, per environment. */
export interface RateLimit {
  requests: number;
  windowMs: number;
}

/** WorkOS AuthKit limits per environment (reference C.1): reads 1,000 / 10 s, writes 500 / 10 s. */
export const workOsReadLimit: RateLimit = { requests: 1_000, windowMs: 10_000 };
export const workOsWriteLimit: RateLimit = { requests: 500, windowMs: 10_000 };

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
    if (!Number.isInteger(limit.requests) || limit.requests < 1) {
      throw new RangeError('Rate limit requests must be a positive integer');
    }
    if (!Number.isFinite(limit.windowMs) || limit.windowMs <= 0) {
      throw new RangeError('Rate limit windowMs must be a positive number');
    }
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

/** The `X-RateLimit-*` headers; `Reset` is seconds until the oldest counted request leaves. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(decision.resetSeconds),
  };
}
