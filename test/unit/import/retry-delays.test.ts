import { describe, expect, it } from 'vitest';
import { transientRetryDelaySeconds } from '../../../src/import/retry-policy.ts';

/** The middle of the jitter range: the delay before jitter. */
const noJitter = () => 0.5;
const lowestJitter = () => 0;
/** Math.random() never returns 1; this is as close as it gets. */
const highestJitter = () => 1 - Number.EPSILON;

describe('Function: transientRetryDelaySeconds()', () => {
  it.each([
    { receiveCount: 1, seconds: 5 },
    { receiveCount: 2, seconds: 10 },
    { receiveCount: 3, seconds: 20 },
    { receiveCount: 4, seconds: 40 },
    { receiveCount: 5, seconds: 80 },
    { receiveCount: 6, seconds: 160 },
  ])(
    'waits $seconds s after receive $receiveCount, doubling each time',
    ({ receiveCount, seconds }) => {
      // Act
      const delay = transientRetryDelaySeconds(receiveCount, noJitter);

      // Assess
      expect(delay).toBe(seconds);
    },
  );

  it.each([{ receiveCount: 7 }, { receiveCount: 20 }, { receiveCount: 5_000 }])(
    'caps the delay before jitter at 300 s after $receiveCount receives',
    ({ receiveCount }) => {
      // Act
      const delay = transientRetryDelaySeconds(receiveCount, noJitter);

      // Assess
      expect(delay).toBe(300);
    },
  );

  it.each([{ receiveCount: 0 }, { receiveCount: -1 }])(
    'treats a receive count of $receiveCount like a first receive',
    ({ receiveCount }) => {
      // Act
      const delay = transientRetryDelaySeconds(receiveCount, noJitter);

      // Assess
      expect(delay).toBe(5);
    },
  );

  it.each([
    { receiveCount: 1, lowest: 4, highest: 6 },
    { receiveCount: 3, lowest: 15, highest: 25 },
    { receiveCount: 6, lowest: 120, highest: 200 },
  ])(
    'spreads the delay after $receiveCount receives between $lowest s and $highest s',
    ({ receiveCount, lowest, highest }) => {
      // Act
      const shortest = transientRetryDelaySeconds(receiveCount, lowestJitter);
      const longest = transientRetryDelaySeconds(receiveCount, highestJitter);

      // Assess
      expect(shortest).toBe(lowest);
      expect(longest).toBe(highest);
    },
  );

  it('spreads records that failed together over different delays', () => {
    // Prepare
    const randoms = [0, 0.25, 0.5, 0.75, 0.99];

    // Act
    const delays = randoms.map((value) => transientRetryDelaySeconds(4, () => value));

    // Assess
    expect(new Set(delays).size).toBe(randoms.length);
  });

  it.each([{ receiveCount: 7 }, { receiveCount: 100 }])(
    'never waits more than the documented 5 min cap, even with the largest jitter, after $receiveCount receives',
    ({ receiveCount }) => {
      // Act
      const delay = transientRetryDelaySeconds(receiveCount, highestJitter);

      // Assess
      expect(delay).toBeLessThanOrEqual(300);
    },
  );

  it('waits at least 1 s whatever the jitter', () => {
    // Act
    const delay = transientRetryDelaySeconds(1, lowestJitter);

    // Assess
    expect(delay).toBeGreaterThanOrEqual(1);
  });
});
