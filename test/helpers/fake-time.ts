/**
 * A clock that only moves when something sleeps on it (or the test says so). A sleep ends at the
 * time it was asked to, so concurrent sleeps overlap as real ones would.
 */
export function fakeTime(startMs = 1_000_000) {
  let nowMs = startMs;
  const sleeps: number[] = [];
  return {
    now: () => nowMs,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      const wakeAt = nowMs + ms;
      await Promise.resolve();
      nowMs = Math.max(nowMs, wakeAt);
    },
    advance: (ms: number) => {
      nowMs += ms;
    },
    sleeps,
    elapsedMs: () => nowMs - startMs,
  };
}
