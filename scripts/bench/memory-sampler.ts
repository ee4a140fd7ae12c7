/** Peaks of `process.memoryUsage()` over a run, in bytes. */
export interface MemoryPeaks {
  /** The kernel's high-water mark for the whole process (getrusage maxrss): exact, never sampled. */
  maxRss: number;
  /** Sampled peaks: a spike shorter than the interval can be missed. */
  sampledRss: number;
  heapUsed: number;
  /** Heap V8 has reserved: grows with the young generation V8 sizes to the allocation rate. */
  heapTotal: number;
  /**
   * Buffers and other memory outside the JS heap (read chunks, inflated chunks, zlib's window,
   * typed arrays), including buffers already dropped that the GC has not yet freed.
   */
  external: number;
  /** The part of `external` that is ArrayBuffers: typed-array indexes live here. */
  arrayBuffers: number;
  samples: number;
}

/** Sampled peaks of one phase of a run (between two `endPhase` calls). */
export interface PhasePeaks {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

export interface MemorySampler {
  /** Takes a sample now and returns the peaks since the previous phase ended. */
  endPhase(): PhasePeaks;
  stop(): MemoryPeaks;
}

/**
 * Samples memory on an interval. The timer is unref'd and the sampler does no allocation of its
 * own beyond one object per sample, so it barely moves what it measures: every 50 ms, because
 * `process.memoryUsage()` walks the heap (at 10 ms it took 1% of a splitter run). A busy event
 * loop delays samples; the kernel's maxRSS covers what sampling misses.
 */
export function startMemorySampler(intervalMs = 50): MemorySampler {
  const peaks = {
    sampledRss: 0,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    arrayBuffers: 0,
    samples: 0,
  };
  let phase: PhasePeaks = { rss: 0, heapUsed: 0, arrayBuffers: 0 };
  function sample(): void {
    const usage = process.memoryUsage();
    peaks.sampledRss = Math.max(peaks.sampledRss, usage.rss);
    peaks.heapUsed = Math.max(peaks.heapUsed, usage.heapUsed);
    peaks.heapTotal = Math.max(peaks.heapTotal, usage.heapTotal);
    peaks.external = Math.max(peaks.external, usage.external);
    peaks.arrayBuffers = Math.max(peaks.arrayBuffers, usage.arrayBuffers);
    peaks.samples += 1;
    phase.rss = Math.max(phase.rss, usage.rss);
    phase.heapUsed = Math.max(phase.heapUsed, usage.heapUsed);
    phase.arrayBuffers = Math.max(phase.arrayBuffers, usage.arrayBuffers);
  }
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    endPhase() {
      sample();
      const ended = phase;
      phase = { rss: 0, heapUsed: 0, arrayBuffers: 0 };
      return ended;
    },
    stop() {
      clearInterval(timer);
      sample();
      // resourceUsage reports maxRSS in kilobytes.
      return { maxRss: process.resourceUsage().maxRSS * 1024, ...peaks };
    },
  };
}
