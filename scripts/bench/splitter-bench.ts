import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SplitterRunRequest, SplitterRunResult, SplitterStage } from './splitter-run.ts';
import type { ExportKind, SyntheticExport } from './synthetic-files.ts';

const execFileAsync = promisify(execFile);
const childScript = fileURLToPath(new URL('./splitter-run.ts', import.meta.url));

export interface SplitterCase {
  users: number;
  export: ExportKind;
  encoding: 'gzip' | 'plain';
  stage: SplitterStage;
  /** Bytes of the file as stored, and once decompressed. */
  fileBytes: number;
  uncompressedBytes: number;
}

export interface SplitterBenchResult {
  case: SplitterCase;
  /** Every repetition, in the order run. */
  runs: SplitterRunResult[];
  /** The median repetition by elapsed time: its rates are the ones reported. */
  median: SplitterRunResult;
  recordsPerSecond: number;
  /** Lines in the file (the split stages also report the last line they split). */
  lines: number;
  linesPerSecond: number;
  /** The fastest repetition: what the machine does when nothing else runs. */
  bestRecordsPerSecond: number;
  fileMegabytesPerSecond: number;
  uncompressedMegabytesPerSecond: number;
  /** The highest peak RSS over the repetitions. */
  peakRss: number;
  /** The duplicate-email plan's heap per distinct user (plan and production stages). */
  planHeapBytesPerUser?: number;
}

/** Which stages run on which export and encoding: what the report needs, and no more. */
export const splitterMatrix: ReadonlyArray<{
  export: ExportKind;
  encoding: 'gzip' | 'plain';
  stage: SplitterStage;
}> = [
  { export: 'users', encoding: 'gzip', stage: 'lines' },
  { export: 'users', encoding: 'gzip', stage: 'split' },
  { export: 'users', encoding: 'gzip', stage: 'plan' },
  { export: 'users', encoding: 'gzip', stage: 'production' },
  { export: 'users', encoding: 'plain', stage: 'lines' },
  { export: 'users', encoding: 'plain', stage: 'split' },
  { export: 'passwords', encoding: 'gzip', stage: 'production' },
];

/**
 * Measures one stage on one file `repeat` times, each in a fresh child process (its own peak
 * memory, its own JIT warm-up, as a Lambda invocation after a cold start would have), and
 * derives the rates from the median run.
 */
export async function runSplitterCase(
  file: SyntheticExport,
  encoding: SplitterCase['encoding'],
  stage: SplitterStage,
  repeat: number,
): Promise<SplitterBenchResult> {
  const request: SplitterRunRequest = {
    file: encoding === 'gzip' ? file.gzipPath : file.plainPath,
    stage,
  };
  const runs: SplitterRunResult[] = [];
  for (let index = 0; index < repeat; index += 1) runs.push(await runChild(request));
  const byTime = [...runs].sort((a, b) => a.elapsedMs - b.elapsedMs);
  const median = byTime[Math.floor((byTime.length - 1) / 2)] as SplitterRunResult;
  const fastest = byTime[0] as SplitterRunResult;
  const seconds = median.elapsedMs / 1000;
  const megabyte = 1_000_000;
  const benchCase: SplitterCase = {
    users: file.users,
    export: file.kind,
    encoding,
    stage,
    fileBytes: encoding === 'gzip' ? file.gzipBytes : file.plainBytes,
    uncompressedBytes: file.plainBytes,
  };
  const planHeap = median.planHeapBytes;
  // The plan reads every line but does not count them; the file's own count stands in.
  const lines = median.lines > 0 ? median.lines : file.lines;
  return {
    case: benchCase,
    runs,
    median,
    recordsPerSecond: median.records / seconds,
    lines,
    linesPerSecond: lines / seconds,
    bestRecordsPerSecond: fastest.records / (fastest.elapsedMs / 1000),
    fileMegabytesPerSecond: benchCase.fileBytes / megabyte / seconds,
    uncompressedMegabytesPerSecond: benchCase.uncompressedBytes / megabyte / seconds,
    peakRss: Math.max(...runs.map((run) => run.memory.maxRss)),
    ...(planHeap === undefined ? {} : { planHeapBytesPerUser: planHeap / file.lines }),
  };
}

async function runChild(request: SplitterRunRequest): Promise<SplitterRunResult> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', '--expose-gc', childScript, JSON.stringify(request)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SplitterRunResult;
}
