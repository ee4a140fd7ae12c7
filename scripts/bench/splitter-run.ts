import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { splitExport } from '../../lambdas/splitter/split-export.ts';
import type { PipelineLogger } from '../../src/logger.ts';
import {
  type DuplicateEmailPlan,
  planDuplicateEmails,
} from '../../src/pipeline/duplicate-emails.ts';
import { CountingUserMessageSink } from '../../src/queue/counting-user-message-sink.ts';
import { exportFormats } from '../../src/sources/export-formats.ts';
import { readExportLines } from '../../src/sources/export-lines.ts';
import type { LineParser } from '../../src/sources/parsed-record.ts';
import { type MemoryPeaks, startMemorySampler } from './memory-sampler.ts';
import { passwordJoinStage } from './password-join.ts';

/*
 * One splitter measurement, run in a child process of its own (see splitter-bench.ts) so that
 * its peak memory belongs to this size and this input alone, and a previous run's garbage or JIT
 * state cannot flatter or penalise it. Prints one JSON line: a SplitterRunResult.
 */

/**
 * What is measured:
 * - lines: the line reader alone;
 * - split: `splitExport` (parse, validate, serialize, batch) behind the reader;
 * - plan: `planDuplicateEmails`, the splitter's first read (its per-user memory);
 * - production: plan, then split with the plan, as the splitter Lambda runs them.
 */
export type SplitterStage = 'lines' | 'split' | 'plan' | 'production';

export interface SplitterRunRequest {
  file: string;
  stage: SplitterStage;
  /** For an in-splitter join (`passwordJoinStage.buildJoin`): the password export to join. */
  passwordFile?: string;
}

export interface SplitterRunResult {
  lines: number;
  /** Records read and enqueued (the stages that split). */
  records: number;
  enqueued: number;
  batches: number;
  elapsedMs: number;
  /** CPU time of the whole process, zlib's thread-pool work included. */
  cpuMs: number;
  /** CPU time of the main (JavaScript) thread alone: the part a faster parser would save. */
  mainThreadCpuMs: number;
  /** RSS once the modules are loaded, before reading starts: what the run adds is the rest. */
  baselineRss: number;
  memory: MemoryPeaks;
  /** Heap the duplicate-email plan keeps for the whole split (after a full GC). */
  planHeapBytes?: number;
  duplicatedEmails?: number;
  join?: { buildMs: number; heapBytes: number };
}

const silentLogger: PipelineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The ledger calls the splitter makes, answered at once: the bench measures the splitter. */
const noOpLedger = {
  recordOutcome: async () => 'recorded' as const,
  checkpointSplit: async () => undefined,
  completeSplit: async () => undefined,
};

export async function runSplitterMeasurement(
  request: SplitterRunRequest,
): Promise<SplitterRunResult> {
  let parseLine: LineParser = exportFormats.auth0();
  let joinFigures: SplitterRunResult['join'];
  if (request.passwordFile !== undefined && passwordJoinStage?.buildJoin !== undefined) {
    const heapBefore = heapAfterGc();
    const started = performance.now();
    parseLine = await passwordJoinStage.buildJoin(request.passwordFile);
    joinFigures = { buildMs: performance.now() - started, heapBytes: heapAfterGc() - heapBefore };
  }
  const linesOf = () => readExportLines(createReadStream(request.file));

  const baselineRss = process.memoryUsage().rss;
  const heapBefore = heapAfterGc();
  const sampler = startMemorySampler();
  const cpuBefore = process.cpuUsage();
  const threadCpuBefore = process.threadCpuUsage();
  const started = performance.now();
  let lines = 0;
  let summary = { read: 0, enqueued: 0 };
  let duplicates: DuplicateEmailPlan | undefined;
  const sink = new CountingUserMessageSink();
  if (request.stage === 'lines') {
    for await (const _ of linesOf()) lines += 1;
  } else {
    if (request.stage === 'plan' || request.stage === 'production') {
      duplicates = await planDuplicateEmails(linesOf(), parseLine);
    }
    if (request.stage !== 'plan') {
      // No counting wrapper around the lines: another async iterator per line would be measured.
      const split = await splitExport(
        {
          jobId: 'bench',
          sourceFile: request.file,
          lines: linesOf(),
          parseLine,
          ...(duplicates === undefined ? {} : { duplicates }),
        },
        { sink, ledger: noOpLedger, logger: silentLogger },
      );
      summary = { read: split.read, enqueued: split.enqueued };
      lines = split.throughLine;
    }
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const threadCpu = process.threadCpuUsage(threadCpuBefore);
  const memory = sampler.stop();
  // After the clock stops, while the plan is still referenced (it is read just below), as the
  // splitter holds it for the whole split.
  const planHeapBytes = duplicates === undefined ? undefined : heapAfterGc() - heapBefore;
  return {
    lines,
    records: summary.read,
    enqueued: summary.enqueued,
    batches: sink.batches,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainThreadCpuMs: (threadCpu.user + threadCpu.system) / 1000,
    baselineRss,
    memory,
    ...(duplicates === undefined
      ? {}
      : { planHeapBytes, duplicatedEmails: duplicates.duplicatedEmails }),
    ...(joinFigures === undefined ? {} : { join: joinFigures }),
  };
}

/**
 * Heap in use after a full collection (the child runs with --expose-gc), so what is measured is
 * what is kept, not garbage awaiting collection. Never called inside the timed work.
 */
function heapAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

if (import.meta.main) {
  const request = JSON.parse(process.argv[2] ?? '{}') as SplitterRunRequest;
  const result = await runSplitterMeasurement(request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
