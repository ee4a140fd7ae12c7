import { isFinalStatus, type MigrationLedger } from '../ledger/migration-ledger.ts';
import { type ImportMessage, recordPosition } from '../model/import-message.ts';
import type { RecordOutcome } from '../model/outcome.ts';
import type { ImportMessageSink } from '../queue/queue-types.ts';

type SplitLedger = Pick<MigrationLedger, 'recordOutcome' | 'checkpointSplit' | 'completeSplit'>;

type PendingCheckpoint =
  | { kind: 'checkpoint'; progress: Parameters<MigrationLedger['checkpointSplit']>[1] }
  | { kind: 'complete'; progress: Parameters<MigrationLedger['completeSplit']>[1] };

/**
 * Split checkpoints that mean "settled" in local mode. On AWS a checkpoint follows the sink's
 * flush: the messages are then in SQS, which keeps them. Local mode's queue is in memory and
 * dies with the process, so a checkpoint written at once would let a resumed run skip records
 * that were enqueued but never imported. Here a checkpoint (and the split's completion) reaches
 * the ledger only once every record enqueued up to it has an outcome; until then it waits.
 * A resumed split therefore starts after the last record known settled, and reads again only
 * the records after it, whose outcomes (if any) make the consumer skip them ('final').
 */
export class SettledCheckpoints {
  readonly #ledger: MigrationLedger;
  readonly #jobs = new Map<string, JobCheckpoints>();
  /** Ledger writes in the order they were decided. */
  #writes: Promise<void> = Promise.resolve();

  constructor(ledger: MigrationLedger) {
    this.#ledger = ledger;
  }

  /** The splitter's sink: remembers each record it enqueues until the record has an outcome. */
  sink(inner: ImportMessageSink): ImportMessageSink {
    return {
      enqueue: async (message: ImportMessage) => {
        const { jobId } = message.origin;
        const position = recordPosition(message.origin);
        const earlier = await this.#ledger.outcomeOf(jobId, position);
        // An outcome from an earlier run: the consumer will find it final and skip the record.
        if (earlier === undefined || !isFinalStatus(earlier.status)) {
          this.#job(jobId).outstanding.add(position);
        }
        await inner.enqueue(message);
      },
      flush: () => inner.flush(),
    };
  }

  /** The splitter's ledger: checkpoints and completion wait for the records they cover. */
  splitLedger(): SplitLedger {
    return {
      recordOutcome: (outcome) => this.#ledger.recordOutcome(outcome),
      checkpointSplit: async (jobId, progress) => {
        this.#job(jobId).pending.push({ kind: 'checkpoint', progress });
        await this.#advance(jobId);
      },
      completeSplit: async (jobId, progress) => {
        this.#job(jobId).pending.push({ kind: 'complete', progress });
        await this.#advance(jobId);
      },
    };
  }

  /** The consumer's ledger: an outcome settles its record and may let a checkpoint through. */
  consumerLedger(): MigrationLedger {
    const ledger = this.#ledger;
    return new Proxy(ledger, {
      get: (target, property) => {
        if (property === 'recordOutcome') {
          return async (outcome: RecordOutcome) => {
            const result = await target.recordOutcome(outcome);
            await this.#settle(outcome);
            return result;
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Records of `jobId` enqueued by this run that have no outcome yet. */
  unsettled(jobId: string): number {
    return this.#jobs.get(jobId)?.outstanding.size ?? 0;
  }

  /** Waits for the ledger writes decided so far. */
  async settledWrites(): Promise<void> {
    await this.#writes;
  }

  async #settle(outcome: RecordOutcome): Promise<void> {
    const { jobId } = outcome.origin;
    const job = this.#jobs.get(jobId);
    if (job?.outstanding.delete(recordPosition(outcome.origin))) await this.#advance(jobId);
  }

  /** Writes the furthest waiting checkpoint whose records have all settled. */
  #advance(jobId: string): Promise<void> {
    const job = this.#job(jobId);
    const lowest = job.outstanding.lowest();
    let ready: PendingCheckpoint | undefined;
    while (job.pending.length > 0) {
      const next = job.pending[0] as PendingCheckpoint;
      const covered =
        next.kind === 'complete'
          ? lowest === undefined
          : lowest === undefined || next.progress.throughLine < lowest;
      if (!covered) break;
      ready = job.pending.shift();
    }
    if (ready === undefined) return this.#writes;
    const write = ready;
    this.#writes = this.#writes.then(() =>
      write.kind === 'complete'
        ? this.#ledger.completeSplit(jobId, write.progress)
        : this.#ledger.checkpointSplit(jobId, write.progress),
    );
    return this.#writes;
  }

  #job(jobId: string): JobCheckpoints {
    let job = this.#jobs.get(jobId);
    if (job === undefined) {
      job = { outstanding: new PositionSet(), pending: [] };
      this.#jobs.set(jobId, job);
    }
    return job;
  }
}

interface JobCheckpoints {
  outstanding: PositionSet;
  /** In the order the split reached them: ascending positions. */
  pending: PendingCheckpoint[];
}

/** A set of positions that knows its lowest one (a min-heap with lazy deletion). */
class PositionSet {
  readonly #members = new Set<number>();
  readonly #heap: number[] = [];

  get size(): number {
    return this.#members.size;
  }

  add(position: number): void {
    if (this.#members.has(position)) return;
    this.#members.add(position);
    const heap = this.#heap;
    heap.push(position);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if ((heap[parent] as number) <= position) break;
      heap[index] = heap[parent] as number;
      index = parent;
    }
    heap[index] = position;
  }

  delete(position: number): boolean {
    return this.#members.delete(position);
  }

  lowest(): number | undefined {
    while (this.#heap.length > 0 && !this.#members.has(this.#heap[0] as number)) this.#pop();
    return this.#heap[0];
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[index] = heap[child] as number;
      index = child;
    }
    heap[index] = last;
  }
}
