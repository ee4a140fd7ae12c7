import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { PipelineLogger } from '../../src/logger.ts';
import type { ImportMessage } from '../../src/model/import-message.ts';
import {
  readExportRecordBatches,
  readExportRecords,
} from '../../src/sources/formats/export-records.ts';
import { readExportLines } from '../../src/sources/formats/ndjson-lines.ts';
import type { ExportRecord } from '../../src/sources/parsed-record.ts';
import { jobOfFiles, openFileOnDisk } from '../../src/split/job-source.ts';
import { type JobFile, planJoin } from '../../src/split/plan-split.ts';
import { runSplit } from '../../src/split/run-split.ts';
import type { SplitExportDependencies } from '../../src/split/split-export.ts';
import { CountingMessageSink } from './counting-message-sink.ts';
import { type MemoryPeaks, type MemorySampler, startMemorySampler } from './memory-sampler.ts';

/*
 * One splitter measurement, run in a child process of its own (see splitter-bench.ts) so that
 * its peak memory belongs to this size and this input alone, and a previous run's garbage or JIT
 * state cannot flatter or penalise it. Prints one JSON line: a SplitterRunResult.
 *
 * To profile a case, run this file by hand with `node --cpu-prof --expose-gc` and the request as
 * JSON, or pass `--cpu-prof DIR` to `npm run bench`.
 */

/**
 * What is measured:
 * - lines: the line reader alone;
 * - records: `readExportRecords` on NDJSON (the line reader and JSON.parse);
 * - production: the users export alone as the splitter Lambda runs it (`runSplit`: describe,
 *   plan with its planning read, split) into a counting sink;
 * - production-join: the same for the users and password exports as one job: the planning reads
 *   both (password index, user ids, emails), then each user is enqueued once with its hash;
 * - join-structures: not timed against the others; builds the password index and the
 *   duplicate-email planner from the two exports, as `planSplit` does, and reports their bytes.
 */
export type SplitterStage =
  | 'lines'
  | 'records'
  | 'production'
  | 'production-join'
  | 'join-structures';

export const splitterStages = [
  'lines',
  'records',
  'production',
  'production-join',
  'join-structures',
] as const satisfies SplitterStage[];

export interface SplitterRunRequest {
  stage: SplitterStage;
  /** The users export; for the join stages, then its password-hash export. */
  files: string[];
}

/** One phase of a production run: the describe step's reads, each planning read, each split pass. */
export interface SplitterPhase {
  name: string;
  ms: number;
  /** Sampled peaks within the phase. */
  peakRss: number;
  peakHeapUsed: number;
  peakArrayBuffers: number;
}

/**
 * Bytes of the join's structures (`bytesUsed()`), built as `planSplit` builds them: the password
 * index and the duplicate-email planner.
 */
export interface JoinStructures {
  /** Records of the users export. */
  users: number;
  /** Password records joined into their users. */
  passwordIds: number;
  /** The password index, with the users export's ids marked in it (no set of its own). */
  passwordIndexBytes: number;
  /** The duplicate-email planner's bytes at its fullest (it is let go once the plan is made). */
  plannerBytes: number;
  /** Heap and ArrayBuffers still held after a full GC once planned, during the split. */
  retainedForSplit: number;
  /** Emails shared by several records (none in the synthetic exports). */
  duplicatedEmails: number;
}

export interface SplitterRunResult {
  /** Lines the reader yielded (lines and records stages only). */
  lines?: number;
  /** Records read: the record reader's count, or the split's `read` (every file of the job). */
  records: number;
  /** Records the reader could not decode (records stage). */
  unreadable?: number;
  /** Messages enqueued: one per user, organization or membership. */
  enqueued: number;
  batches: number;
  /** Records settled by the splitter (rejected or merged): outcomes sent to the ledger. */
  settled: number;
  /** Password records joined into their user's message (settled by the consumer). */
  joined: number;
  elapsedMs: number;
  /** CPU time of the whole process, zlib's thread-pool work included. */
  cpuMs: number;
  /** CPU time of the main (JavaScript) thread alone: the part a faster parser would save. */
  mainThreadCpuMs: number;
  /** RSS once the modules are loaded, before reading starts: what the run adds is the rest. */
  baselineRss: number;
  memory: MemoryPeaks;
  phases?: SplitterPhase[];
  /**
   * Heap and ArrayBuffers the plan still held at the end of the split, after a full GC: what the
   * split keeps per user (the password index and user ids, the duplicate-email plan).
   */
  retainedBytes?: number;
  joinStructures?: JoinStructures;
}

const silentLogger: PipelineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The counting sink, noting the password records each user's message settles. */
class AccountingSink extends CountingMessageSink {
  joined = 0;

  // Not async: another promise per message would be measured.
  override enqueue(message: ImportMessage): Promise<void> {
    this.joined += message.joined?.length ?? 0;
    return super.enqueue(message);
  }
}

/** The ledger calls the splitter makes, answered at once: the bench measures the splitter. */
function countingLedger(): SplitExportDependencies['ledger'] & { outcomes: number } {
  return {
    outcomes: 0,
    async recordOutcome() {
      this.outcomes += 1;
      return 'recorded' as const;
    },
    checkpointSplit: async () => undefined,
    completeSplit: async () => undefined,
  };
}

export async function runSplitterMeasurement(
  request: SplitterRunRequest,
): Promise<SplitterRunResult> {
  const [usersFile] = request.files;
  if (usersFile === undefined) throw new Error('A splitter run needs a file');
  if (request.stage === 'join-structures') return measureJoinStructures(request.files);

  const retainedBefore = retainedAfterGc();
  const baselineRss = process.memoryUsage().rss;
  const sampler = startMemorySampler();
  const cpuBefore = process.cpuUsage();
  const threadCpuBefore = process.threadCpuUsage();
  const started = performance.now();
  let counted: Omit<
    SplitterRunResult,
    'elapsedMs' | 'cpuMs' | 'mainThreadCpuMs' | 'baselineRss' | 'memory'
  >;
  let phases: SplitterPhase[] | undefined;
  let heldPlan: unknown;
  if (request.stage === 'lines') {
    let lines = 0;
    for await (const _ of readExportLines(createReadStream(usersFile))) lines += 1;
    counted = { lines, records: 0, enqueued: 0, batches: 0, settled: 0, joined: 0 };
  } else if (request.stage === 'records') {
    let records = 0;
    let unreadable = 0;
    let lastLine = 0;
    for await (const record of readExportRecords(createReadStream(usersFile), {
      layout: 'ndjson',
    })) {
      records += 1;
      if (record.unreadable !== undefined) unreadable += 1;
      lastLine = record.line;
    }
    counted = {
      lines: lastLine,
      records,
      unreadable,
      enqueued: 0,
      batches: 0,
      settled: 0,
      joined: 0,
    };
  } else {
    const clock = new PhaseClock(sampler);
    const sink = new AccountingSink();
    const ledger = countingLedger();
    const files = request.stage === 'production-join' ? request.files : [usersFile];
    // The splitter's own composition, as the Lambda runs it. Each planning read opens its file,
    // and each pass is opened once: the phases are told apart for free, nothing wraps a record.
    // A pass may not read its file at all (the password export's, when planning kept what it
    // needs).
    const { passes, summary } = await runSplit(
      {
        jobId: 'bench',
        source: jobOfFiles(files, openFileOnDisk),
        onPhase: (phase) => clock.begin(phase),
      },
      { sink, ledger, logger: silentLogger },
    );
    phases = clock.end();
    heldPlan = passes;
    counted = {
      records: summary.read,
      enqueued: summary.enqueued,
      batches: sink.batches,
      settled: ledger.outcomes,
      joined: sink.joined,
    };
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const threadCpu = process.threadCpuUsage(threadCpuBefore);
  const memory = sampler.stop();
  // After the clock stops, while the passes (and the plan their decisions close over) are still
  // referenced, as the splitter holds them for the whole split.
  const retainedBytes = heldPlan === undefined ? undefined : retainedAfterGc() - retainedBefore;
  return {
    ...counted,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainThreadCpuMs: (threadCpu.user + threadCpu.system) / 1000,
    baselineRss,
    memory,
    ...(phases === undefined ? {} : { phases }),
    ...(retainedBytes === undefined ? {} : { retainedBytes }),
  };
}

/** Times consecutive phases and takes each one's memory peaks from the sampler. */
class PhaseClock {
  readonly #sampler: MemorySampler;
  readonly #phases: SplitterPhase[] = [];
  #current: { name: string; startedAt: number } | undefined;

  constructor(sampler: MemorySampler) {
    this.#sampler = sampler;
  }

  begin(name: string): void {
    this.#close();
    this.#current = { name, startedAt: performance.now() };
  }

  end(): SplitterPhase[] {
    this.#close();
    return this.#phases;
  }

  #close(): void {
    const current = this.#current;
    if (current === undefined) return;
    const peaks = this.#sampler.endPhase();
    this.#phases.push({
      name: current.name,
      ms: performance.now() - current.startedAt,
      peakRss: peaks.rss,
      peakHeapUsed: peaks.heapUsed,
      peakArrayBuffers: peaks.arrayBuffers,
    });
    this.#current = undefined;
  }
}

/**
 * Runs `planJoin`, the planning `planSplit` does for a users + passwords job, and reports the
 * bytes of the structures it builds and what it still holds once planned.
 */
async function measureJoinStructures(files: string[]): Promise<SplitterRunResult> {
  const [usersFile, passwordsFile] = files;
  if (usersFile === undefined || passwordsFile === undefined) {
    throw new Error('join-structures needs the users export and its password export');
  }
  let users = 0;
  async function* recordsOf(file: JobFile): AsyncGenerator<ExportRecord[]> {
    for await (const batch of readExportRecordBatches(createReadStream(file.sourceFile), {
      layout: 'ndjson',
    })) {
      if (file.kind === 'users') users += batch.length;
      yield batch;
    }
  }
  const before = retainedAfterGc();
  const baselineRss = process.memoryUsage().rss;
  const sampler = startMemorySampler();
  const started = performance.now();

  const plan = await planJoin(
    {
      jobId: 'join-structures',
      format: 'auth0',
      files: [
        { file: 0, sourceFile: usersFile, kind: 'users', layout: 'ndjson' },
        { file: 1, sourceFile: passwordsFile, kind: 'passwords', layout: 'ndjson' },
      ],
      options: {},
    },
    async (file) => recordsOf(file),
  );
  const passwords = plan.passwords;
  if (passwords === undefined) throw new Error('planJoin built no password index');
  const { passwordIndex: passwordIndexBytes, duplicateEmailPlanner: plannerBytes } =
    plan.bytesWhilePlanning;
  const retainedForSplit = retainedAfterGc() - before;
  const elapsedMs = performance.now() - started;
  const memory = sampler.stop();
  return {
    records: users + passwords.joinedPasswords,
    enqueued: 0,
    batches: 0,
    settled: 0,
    joined: 0,
    elapsedMs,
    cpuMs: 0,
    mainThreadCpuMs: 0,
    baselineRss,
    memory,
    joinStructures: {
      users,
      passwordIds: passwords.joinedPasswords,
      passwordIndexBytes,
      plannerBytes,
      retainedForSplit,
      duplicatedEmails: plan.duplicates.duplicatedEmails,
    },
  };
}

/**
 * Heap in use plus ArrayBuffers (where typed-array indexes live) after a full collection (the
 * child runs with --expose-gc), so what is measured is what is kept, not garbage awaiting
 * collection. Never called inside the timed work.
 */
function retainedAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

if (import.meta.main) {
  const request = JSON.parse(process.argv[2] ?? '{}') as SplitterRunRequest;
  const result = await runSplitterMeasurement(request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
