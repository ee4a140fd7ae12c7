import { setTimeout as sleepFor } from 'node:timers/promises';

export interface WritePacerOptions {
  /** Writes per second this pacer may start. */
  writesPerSecond: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The outcome of asking for a write slot. */
export type PacingDecision = { granted: true } | { granted: false; retryAfterSeconds: number };

/**
 * Spaces WorkOS writes evenly at a target rate, and stops them all for the `Retry-After` of a
 * 429. Slots are handed out in order of request, one every 1/rate seconds, with no bursts: WorkOS
 * counts writes in a window, so an even stream at the target rate never trips it.
 *
 * On AWS each consumer instance gets rate / maxConcurrency, so the instances together stay under
 * the environment's rate whatever WorkOS's latency. In local mode one pacer serves every worker.
 */
export class WritePacer {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #nextSlotAt = 0;

  constructor({
    writesPerSecond,
    now = Date.now,
    sleep = (ms) => sleepFor(ms),
  }: WritePacerOptions) {
    if (!(writesPerSecond > 0)) throw new RangeError('writesPerSecond must be positive');
    this.#intervalMs = 1000 / writesPerSecond;
    this.#now = now;
    this.#sleep = sleep;
  }

  /**
   * Waits for the next write slot. When that slot is further away than `maxWaitMs` (after a long
   * Retry-After, or with a deep backlog of callers) it does not wait: the caller should put the
   * record back on the queue for `retryAfterSeconds` instead of holding a Lambda open.
   */
  async acquire(maxWaitMs: number): Promise<PacingDecision> {
    const now = this.#now();
    const slot = Math.max(now, this.#nextSlotAt);
    const waitMs = slot - now;
    if (waitMs > maxWaitMs) {
      return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    this.#nextSlotAt = slot + this.#intervalMs;
    if (waitMs > 0) await this.#sleep(waitMs);
    return { granted: true };
  }

  /** WorkOS answered 429: no write starts before `seconds` from now. */
  pauseFor(seconds: number): void {
    this.#nextSlotAt = Math.max(this.#nextSlotAt, this.#now() + seconds * 1000);
  }
}
