/** Where a `BatchIterator` takes its items from, a batch at a time. */
export interface BatchSource<T> {
  /** The next batch from the source: never empty; `undefined` at the end. */
  readBatch(): Promise<T[] | undefined>;
  /** Lets the source go when the caller stops early. */
  release(): Promise<void>;
}

const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * An async iterator over items read in batches: `nextBatch` gives the next batch (never empty)
 * or `undefined` at the end, and `next` hands the current batch out item by item, so `next`
 * costs a promise per batch, not per item. The NDJSON readers hand out a chunk's lines (or
 * records) this way; the CSV and JSON-array readers, whose records may span chunks, come one
 * record at a time.
 *
 * An iterator object rather than an async generator: a generator costs several microtask turns
 * per `yield`. Like any iterator driven by `for await`, it expects one call at a time.
 */
export class BatchIterator<T> implements AsyncIterableIterator<T> {
  readonly #source: BatchSource<T>;
  /** The last batch, while `next()` hands it out item by item. */
  #batch: T[] = [];
  #handedOut = 0;

  constructor(source: BatchSource<T>) {
    this.#source = source;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.#handedOut >= this.#batch.length) {
      const batch = await this.#source.readBatch();
      if (batch === undefined) return finished;
      this.#batch = batch;
      this.#handedOut = 0;
    }
    const item = this.#batch[this.#handedOut++] as T;
    return { done: false, value: item };
  }

  /** What is left of the batch `next` was handing out, else the next batch. */
  async nextBatch(): Promise<T[] | undefined> {
    if (this.#handedOut < this.#batch.length) {
      const rest = this.#batch.slice(this.#handedOut);
      this.#batch = [];
      this.#handedOut = 0;
      return rest;
    }
    return this.#source.readBatch();
  }

  async return(): Promise<IteratorResult<T>> {
    this.#batch = [];
    await this.#source.release();
    return finished;
  }
}
