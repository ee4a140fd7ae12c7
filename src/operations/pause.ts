import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * Waits `ms`, but returns at once when the signal aborts, so the caller can wind down cleanly.
 * Returns false when the signal ended (or prevented) the wait.
 */
export async function pauseUnlessAborted(
  ms: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleepFor(ms, undefined, signal ? { signal } : {});
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') return false;
    throw error;
  }
}
