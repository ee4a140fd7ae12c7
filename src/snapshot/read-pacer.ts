import { setTimeout as sleepFor } from 'node:timers/promises';

export interface ReadPacerOptions {
  /** Reads per second this pacer may start. */
  readsPerSecond: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Spaces WorkOS reads evenly at a target rate, and holds them all for the `Retry-After` of a 429.
 * The import's `WritePacer` does the same for writes, but lives a layer above this one and can
 * turn a caller away; a listing has nothing better to do than wait, so this one always waits.
 */
export class ReadPacer {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #nextSlotAt = 0;

  constructor({ readsPerSecond, now = Date.now, sleep = (ms) => sleepFor(ms) }: ReadPacerOptions) {
    if (!(readsPerSecond > 0)) throw new RangeError('readsPerSecond must be positive');
    this.#intervalMs = 1000 / readsPerSecond;
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Waits for the next read slot: slots come one every 1/rate seconds, in order of request. */
  async acquire(): Promise<void> {
    const now = this.#now();
    const slot = Math.max(now, this.#nextSlotAt);
    this.#nextSlotAt = slot + this.#intervalMs;
    if (slot > now) await this.#sleep(slot - now);
  }

  /** WorkOS answered 429: no read starts before `seconds` from now. */
  pauseFor(seconds: number): void {
    this.#nextSlotAt = Math.max(this.#nextSlotAt, this.#now() + seconds * 1000);
  }
}
