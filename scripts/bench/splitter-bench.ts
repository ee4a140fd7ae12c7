import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type {
  JoinStructures,
  SplitterRunRequest,
  SplitterRunResult,
  SplitterStage,
} from './splitter-run.ts';
import type { SyntheticExport } from './synthetic-files.ts';

const execFileAsync = promisify(execFile);
const childScript = fileURLToPath(new URL('./splitter-run.ts', import.meta.url));

/** The stages timed against each other (join-structures is measured once, apart). */
export type TimedStage = Exclude<SplitterStage, 'join-structures'>;

/** The synthetic exports of one size: the users export and its password-hash export. */
export interface SplitterInputs {
  users: SyntheticExport;
  passwords: SyntheticExport;
}

export interface SplitterCase {
  users: number;
  /** What the stage reads: the users export, or it and its password export as one job. */
  export: 'users' | 'users + passwords';
  encoding: 'gzip' | 'plain';
  stage: TimedStage;
  /** Bytes of the files as stored, and once decompressed. */
  fileBytes: number;
  uncompressedBytes: number;
  /** Lines of the files read; in these exports every line is a record. */
  lines: number;
  /** Lines of the users export: the people of the job. */
  userLines: number;
}

export interface SplitterBenchResult {
  case: SplitterCase;
  /** Every repetition, in the order run. */
  runs: SplitterRunResult[];
  /** The median repetition by elapsed time: its rates are the ones reported. */
  median: SplitterRunResult;
  /** Records (the line reader: lines) per second, every file of the job counted. */
  recordsPerSecond: number;
  /** The fastest repetition: what the machine does when nothing else runs. */
  bestRecordsPerSecond: number;
  /** Users of the users export per second (production stages). */
  usersPerSecond: number;
  fileMegabytesPerSecond: number;
  uncompressedMegabytesPerSecond: number;
  /** The highest peak RSS over the repetitions. */
  peakRss: number;
  /**
   * Lines or records a repetition did not account for: read but neither enqueued, settled nor
   * joined into another, or never read. 0 unless the splitter (or the bench) has a bug.
   */
  unaccounted: number;
  /** What the plan still held at the end of the split, per user (production stages). */
  retainedBytesPerUser?: number;
}

/** The join's structures for one size, built apart from the timed stages. */
export interface JoinStructuresResult {
  users: number;
  run: SplitterRunResult;
  structures: JoinStructures;
}

/** Which stages run on which encoding: what the report needs, and no more. */
export const splitterMatrix: ReadonlyArray<{ encoding: 'gzip' | 'plain'; stage: TimedStage }> = [
  { encoding: 'gzip', stage: 'lines' },
  { encoding: 'gzip', stage: 'records' },
  { encoding: 'gzip', stage: 'production' },
  { encoding: 'gzip', stage: 'production-join' },
  { encoding: 'plain', stage: 'lines' },
  { encoding: 'plain', stage: 'records' },
  { encoding: 'plain', stage: 'production' },
  { encoding: 'plain', stage: 'production-join' },
];

export interface ChildOptions {
  /** The bundled child (`bundleSplitterRun`); the TypeScript sources when absent. */
  bundle?: string;
  /** Extra Node flags for the child (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
}

/** lib/node-function.ts's banner: ESM bundles of CommonJS packages still find `require`. */
const createRequireBanner =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

/**
 * Bundles the child into `directory` as lib/node-function.ts bundles the Lambdas (ESM, node24,
 * minified, with source maps, run with --enable-source-maps): what the splitter Lambda loads.
 * Run from the sources instead, Node's type stripping and a compiled copy of each file add about
 * 25 MB to RSS before the first byte is read, which the Lambda never pays.
 */
export async function bundleSplitterRun(directory: string): Promise<string> {
  const outfile = join(directory, 'splitter-run.mjs');
  await build({
    entryPoints: [childScript],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    banner: { js: createRequireBanner },
    minify: true,
    sourcemap: true,
    // As deployed: the runtime's AWS SDK, not a bundled copy (the splitter run loads none).
    external: ['@aws-sdk/*'],
    logLevel: 'error',
  });
  return outfile;
}

const pathOf = (file: SyntheticExport, encoding: SplitterCase['encoding']) =>
  encoding === 'gzip' ? file.gzipPath : file.plainPath;

/**
 * Measures one stage on one size `repeat` times, each in a fresh child process (its own peak
 * memory, its own JIT warm-up, as a Lambda invocation after a cold start would have), and
 * derives the rates from the median run.
 */
export async function runSplitterCase(
  inputs: SplitterInputs,
  encoding: SplitterCase['encoding'],
  stage: TimedStage,
  repeat: number,
  options: ChildOptions = {},
): Promise<SplitterBenchResult> {
  const files = stage === 'production-join' ? [inputs.users, inputs.passwords] : [inputs.users];
  const request: SplitterRunRequest = {
    stage,
    files: files.map((file) => pathOf(file, encoding)),
  };
  const runs: SplitterRunResult[] = [];
  for (let index = 0; index < repeat; index += 1) runs.push(await runChild(request, options));
  const byTime = [...runs].sort((a, b) => a.elapsedMs - b.elapsedMs);
  const median = byTime[Math.floor((byTime.length - 1) / 2)] as SplitterRunResult;
  const fastest = byTime[0] as SplitterRunResult;
  const seconds = median.elapsedMs / 1000;
  const megabyte = 1_000_000;
  const sum = (of: (file: SyntheticExport) => number) =>
    files.reduce((total, file) => total + of(file), 0);
  const benchCase: SplitterCase = {
    users: inputs.users.users,
    export: stage === 'production-join' ? 'users + passwords' : 'users',
    encoding,
    stage,
    fileBytes: sum((file) => (encoding === 'gzip' ? file.gzipBytes : file.plainBytes)),
    uncompressedBytes: sum((file) => file.plainBytes),
    lines: sum((file) => file.lines),
    userLines: inputs.users.lines,
  };
  const counted = (run: SplitterRunResult) => (stage === 'lines' ? (run.lines ?? 0) : run.records);
  const retained = median.retainedBytes;
  return {
    case: benchCase,
    runs,
    median,
    recordsPerSecond: counted(median) / seconds,
    bestRecordsPerSecond: counted(fastest) / (fastest.elapsedMs / 1000),
    usersPerSecond: benchCase.userLines / seconds,
    fileMegabytesPerSecond: benchCase.fileBytes / megabyte / seconds,
    uncompressedMegabytesPerSecond: benchCase.uncompressedBytes / megabyte / seconds,
    peakRss: Math.max(...runs.map((run) => run.memory.maxRss)),
    unaccounted: Math.max(...runs.map((run) => unaccountedIn(run, stage, benchCase.lines))),
    ...(retained === undefined ? {} : { retainedBytesPerUser: retained / benchCase.userLines }),
  };
}

/** Lines never read, plus records read that ended nowhere (production: enqueued, settled or joined). */
function unaccountedIn(run: SplitterRunResult, stage: TimedStage, lines: number): number {
  switch (stage) {
    case 'lines':
      return Math.abs(lines - (run.lines ?? 0));
    case 'records':
      return Math.abs(lines - run.records);
    case 'production':
    case 'production-join':
      return (
        Math.abs(lines - run.records) +
        Math.abs(run.records - (run.enqueued + run.settled + run.joined))
      );
  }
}

/** Builds the join's structures for one size in a child process of its own (gzip input). */
export async function measureJoinStructures(
  inputs: SplitterInputs,
  options: ChildOptions = {},
): Promise<JoinStructuresResult> {
  const run = await runChild(
    { stage: 'join-structures', files: [inputs.users.gzipPath, inputs.passwords.gzipPath] },
    options,
  );
  if (run.joinStructures === undefined) throw new Error('join-structures run reported nothing');
  return { users: inputs.users.users, run, structures: run.joinStructures };
}

async function runChild(
  request: SplitterRunRequest,
  options: ChildOptions = {},
): Promise<SplitterRunResult> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      '--expose-gc',
      ...(options.bundle === undefined ? [] : ['--enable-source-maps']),
      ...(options.nodeFlags ?? []),
      options.bundle ?? childScript,
      JSON.stringify(request),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SplitterRunResult;
}
