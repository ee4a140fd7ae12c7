import { createGunzip } from 'node:zlib';

/**
 * The export's gzip stream is damaged (truncated, corrupt, or followed by data that is not
 * gzip). The records before the damage have been yielded; `afterLine` is the last one. Retrying
 * reads the same bytes, so the file must be exported or uploaded again.
 */
export class CorruptExportError extends Error {
  readonly afterLine: number;

  constructor(afterLine: number, options: { cause: unknown }) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `The export is not a complete gzip file: decompression failed after line ${afterLine} (${detail}). Export or upload it again.`,
      options,
    );
    this.name = 'CorruptExportError';
    this.afterLine = afterLine;
  }
}

/** Turns a failure of the gzip stream into the error the splitter reports for a damaged file. */
export function corruptionOf(error: unknown, afterLine: number): unknown {
  return error instanceof GzipStreamError
    ? new CorruptExportError(afterLine, { cause: error.cause })
    : error;
}

const gzipMagic = [0x1f, 0x8b] as const;

/** A failure of the gzip stream itself, as opposed to one of the source it reads from. */
export class GzipStreamError extends Error {
  constructor(cause: unknown) {
    super('gzip stream failed', { cause });
    this.name = 'GzipStreamError';
  }
}

function asBuffer(chunk: Uint8Array): Buffer {
  // A view, not a copy: S3 and fs already hand out Buffers, and other Uint8Arrays are wrapped.
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}

/**
 * The export's bytes, decompressed when they start with gzip's magic bytes. Compression is
 * recognised from the content, not the name: Auth0 serves its NDJSON export gzip-compressed
 * whatever the file is called. A damaged gzip stream yields what inflated before the damage,
 * then rejects with a `GzipStreamError`; a failure of the source itself passes through as it is.
 */
export async function* decompressedChunks(
  input: AsyncIterable<Uint8Array>,
): AsyncGenerator<Buffer> {
  const source = input[Symbol.asyncIterator]();
  let sourceDone = false;
  try {
    // Enough chunks to see two bytes: a source may hand them out one at a time.
    const head: Buffer[] = [];
    let headBytes = 0;
    while (headBytes < gzipMagic.length) {
      const next = await source.next();
      if (next.done) {
        sourceDone = true;
        break;
      }
      const chunk = asBuffer(next.value);
      head.push(chunk);
      headBytes += chunk.length;
    }
    const firstBytes = Buffer.concat(head, Math.min(headBytes, gzipMagic.length));
    const rest = remainingChunks(source, () => {
      sourceDone = true;
    });
    if (firstBytes[0] === gzipMagic[0] && firstBytes[1] === gzipMagic[1]) {
      yield* gunzipped(head, sourceDone ? undefined : rest);
    } else {
      yield* head;
      if (!sourceDone) yield* rest;
    }
  } finally {
    // The consumer stopped early, or something failed: let the source release its socket or
    // file. Not awaited: a source waiting on a stalled socket would hold the caller up with it.
    if (!sourceDone) source.return?.()?.catch(() => undefined);
  }
}

async function* remainingChunks(
  source: AsyncIterator<Uint8Array>,
  onDone: () => void,
): AsyncGenerator<Buffer> {
  for (;;) {
    const next = await source.next();
    if (next.done) {
      onDone();
      return;
    }
    yield asBuffer(next.value);
  }
}

/**
 * Compressed bytes are handed to zlib at most this many at a time. What one write inflates to is
 * held until the reader takes it, so this bounds memory even for a file built to inflate at
 * deflate's maximum of 1032:1 (16 MiB); an Auth0 export inflates about 11:1.
 */
const maxCompressedWriteBytes = 16 * 1024;

/**
 * zlib's output buffer. 64 KiB rather than the default 16 KiB: a quarter of the callbacks, and the
 * line reader ran 30-60% faster on gzip; the cost is the most a corruption can hide (below).
 */
const inflatedChunkBytes = 64 * 1024;

/**
 * Inflated bytes zlib may run ahead of the reader. Enough for zlib (on the thread pool) to keep
 * working while the reader (on the main thread) parses: the two then use both cores.
 */
const inflateAheadBytes = 1024 * 1024;

/**
 * Inflates a gzip stream (several concatenated members included) as the reader asks for it.
 *
 * Not `for await` over the gunzip stream: its iterator drops what zlib has inflated but not yet
 * handed out as soon as the stream fails, so the good lines just before a truncation would be
 * lost. Here every inflated chunk is taken as it comes ('data') into a queue the reader drains,
 * and back-pressure comes from writing the next compressed piece only while that queue holds
 * less than `inflateAheadBytes`.
 *
 * zlib reports an error instead of the output of the call that failed, so up to one output
 * buffer (64 KiB) just before a corruption is not seen; a truncation loses nothing.
 */
async function* gunzipped(
  head: Buffer[],
  rest: AsyncIterable<Buffer> | undefined,
): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: inflatedChunkBytes });
  let inflated: Buffer[] = [];
  let inflatedBytes = 0;
  let failure: unknown;
  let closed = false;
  let stopped = false;
  // Wakes the writer when the reader has taken inflated data, and the reader when there is some.
  const readerTook = new Signal();
  const moreInflated = new Signal();
  let wakeWrite: (() => void) | undefined;

  gunzip.on('data', (chunk: Buffer) => {
    inflated.push(chunk);
    inflatedBytes += chunk.length;
    moreInflated.notify();
  });
  gunzip.on('error', (error) => {
    failure ??= error;
  });
  // 'close' follows both the end and an error: whatever is awaited must not wait any longer.
  gunzip.on('close', () => {
    closed = true;
    wakeWrite?.();
  });

  function write(piece: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (closed) {
        resolve();
        return;
      }
      wakeWrite = resolve;
      gunzip.write(piece, () => resolve());
    });
  }

  function end(): Promise<void> {
    return new Promise((resolve) => {
      if (closed) {
        resolve();
        return;
      }
      wakeWrite = resolve;
      gunzip.end();
    });
  }

  async function writeAll(): Promise<void> {
    for await (const chunk of concatenated(head, rest)) {
      for (let offset = 0; offset < chunk.length; offset += maxCompressedWriteBytes) {
        while (inflatedBytes >= inflateAheadBytes && !stopped) await readerTook.wait();
        if (stopped || closed) return;
        await write(chunk.subarray(offset, offset + maxCompressedWriteBytes));
      }
      if (stopped || closed) return;
    }
    await end();
  }

  let writerDone = false;
  let sourceFailure: { error: unknown } | undefined;
  const writing = writeAll().then(
    () => {
      writerDone = true;
      moreInflated.notify();
    },
    (error: unknown) => {
      // The source failed (an S3 stream reset): passed on as it is, not as a gzip error.
      sourceFailure = { error };
      writerDone = true;
      moreInflated.notify();
    },
  );

  try {
    for (;;) {
      if (inflated.length > 0) {
        // Taken as a batch: chunks inflated while these are read join the next batch, in order.
        const batch = inflated;
        inflated = [];
        inflatedBytes = 0;
        readerTook.notify();
        yield* batch;
        continue;
      }
      if (writerDone) break;
      await moreInflated.wait();
    }
    if (sourceFailure !== undefined) throw sourceFailure.error;
    if (failure !== undefined) throw new GzipStreamError(failure);
  } finally {
    stopped = true;
    readerTook.notify();
    gunzip.destroy();
    // Not awaited: the writer may be waiting on a stalled source, and stops at its next step.
    // Its failures are already caught above.
    void writing;
  }
}

/** A wake-up for one waiter at a time: `wait` resolves at the next `notify`. */
class Signal {
  #waiter: PromiseWithResolvers<void> | undefined;

  wait(): Promise<void> {
    this.#waiter ??= Promise.withResolvers<void>();
    return this.#waiter.promise;
  }

  notify(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }
}

async function* concatenated(
  head: Buffer[],
  rest: AsyncIterable<Buffer> | undefined,
): AsyncGenerator<Buffer> {
  yield* head;
  if (rest !== undefined) yield* rest;
}
