import { defaultSnapshotReadsPerSecond } from '../../src/snapshot/take-workos-snapshot.ts';
import {
  type CutoverBenchResult,
  cutoverRuns,
  deltaWritesPerChange,
  lostInCutoverRun,
} from './cutover-bench.ts';
import { type EndToEndResult, workOsWritesPerSecond } from './end-to-end-bench.ts';
import type { MachineDescription } from './machine.ts';
import {
  type SnapshotBenchResult,
  type SnapshotIndexResult,
  type SnapshotListingResult,
  workOsReadsPerSecond,
} from './snapshot-bench.ts';
import type {
  JoinStructuresResult,
  SplitterBenchResult,
  SplitterCase,
  TimedStage,
} from './splitter-bench.ts';
import type { SplitterPhase } from './splitter-run.ts';

export interface BenchReport {
  startedAt: string;
  command: string;
  machine: MachineDescription;
  /** Runs per splitter measurement. */
  repeat: number;
  /** A smoke run checks that every stage works; its sizes are too small for the targets. */
  smoke: boolean;
  /**
   * How the splitter runs were started: bundled as the Lambda is deployed, or from the
   * TypeScript sources under Node's type stripping (about 25 MB more RSS at start).
   */
  splitterChild: 'bundle' | 'source';
  splitter: SplitterBenchResult[];
  joinStructures: JoinStructuresResult[];
  endToEnd: EndToEndResult[];
  snapshot: SnapshotBenchResult;
  /** The cutover stage, when run. */
  cutover?: CutoverBenchResult;
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | 'not measured';
}

export const smokeNote =
  'Smoke run: every stage ran, every record and user was accounted for; the sizes are too small for the figures to say anything about the targets.';

/** The size the splitter targets are set for. */
const targetUsers = 1_000_000;
const targetRecordsPerSecond = 150_000;
const targetPeakRss = 200_000_000;

const mb = (bytes: number) => (bytes / 1_000_000).toFixed(1);
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = (value: number) => value.toFixed(1);
const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;
/** A share of the limit as a percentage, or as a multiple once it is past it (ceiling runs). */
const ofLimit = (fraction: number) =>
  fraction > 1.5 ? `${fraction.toFixed(1)}×` : percent(fraction);

const stageNames: Record<TimedStage, string> = {
  lines: 'line reader',
  records: 'records (NDJSON)',
  production: 'production',
  'production-join': 'production + join',
};

const isProduction = (stage: TimedStage) => stage === 'production' || stage === 'production-join';

/** A Markdown table: readable as-is in a terminal, rendered on GitHub. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

/** Time spent before the first message: describing the job and its planning reads. */
function planningMs(phases: SplitterPhase[] | undefined): number | undefined {
  if (phases === undefined) return undefined;
  return phases
    .filter((phase) => phase.name === 'describe' || phase.name.startsWith('plan:'))
    .reduce((total, phase) => total + phase.ms, 0);
}

export function splitterTable(results: SplitterBenchResult[]): string {
  return table(
    [
      'users',
      'export',
      'input',
      'stage',
      'records/s',
      'best records/s',
      'users/s',
      'file MB/s',
      'NDJSON MB/s',
      'time s',
      'of which planning s',
      'CPU %',
      'main-thread µs/record',
      'peak RSS MB',
      'RSS at start MB',
      'peak heap MB',
      'plan held B/user',
    ],
    results.map((result) => {
      const { case: c, median } = result;
      const production = isProduction(c.stage);
      const planning = planningMs(median.phases);
      const counted = c.stage === 'lines' ? (median.lines ?? 0) : median.records;
      return [
        int.format(c.users),
        c.export,
        `${c.encoding} ${mb(c.fileBytes)} MB`,
        stageNames[c.stage],
        int.format(result.recordsPerSecond),
        int.format(result.bestRecordsPerSecond),
        production ? int.format(result.usersPerSecond) : '-',
        one(result.fileMegabytesPerSecond),
        one(result.uncompressedMegabytesPerSecond),
        (median.elapsedMs / 1000).toFixed(2),
        planning === undefined ? '-' : (planning / 1000).toFixed(2),
        int.format((100 * median.cpuMs) / median.elapsedMs),
        counted > 0 ? ((1000 * median.mainThreadCpuMs) / counted).toFixed(2) : '-',
        mb(result.peakRss),
        mb(median.baselineRss),
        mb(median.memory.heapUsed),
        // A GC can free a little more after than before: a negative reading is 0.
        result.retainedBytesPerUser === undefined
          ? '-'
          : int.format(Math.max(0, result.retainedBytesPerUser)),
      ];
    }),
  );
}

/** The join's structures per size, its phases, and what the join saves end to end. */
export function joinTable(
  structures: JoinStructuresResult[],
  splitter: SplitterBenchResult[],
  endToEnd: EndToEndResult[],
): string {
  const parts: string[] = [];
  if (structures.length > 0) {
    parts.push(
      'Structures the planning of a users + passwords job builds (`planJoin`, run on its own in',
      'a process of its own): the duplicate-email planner, while the users export is read, then',
      'the password index (every user of the users export, joined by its password record); the',
      '`bytesUsed()` of each at its fullest, per user of the users export. The planner is let go',
      'before the password export is read, so the peak is the larger of the two, not their sum.',
      '"held once planned" is heap and ArrayBuffers still reachable after a full GC. The',
      'production + join rows of the splitter table measure what the real plan holds after the',
      'split ("plan held B/user").',
      '',
      table(
        [
          'users',
          'PasswordIndex B/user',
          'DuplicateEmailPlanner B/user',
          'peak B/user',
          'held once planned B/user',
          'build s',
        ],
        structures.map(({ users, run, structures: s }) => {
          const per = (bytes: number) => int.format(bytes / s.users);
          return [
            int.format(users),
            per(s.passwordIndexBytes),
            per(s.plannerBytes),
            per(Math.max(s.passwordIndexBytes, s.plannerBytes)),
            per(s.retainedForSplit),
            (run.elapsedMs / 1000).toFixed(2),
          ];
        }),
      ),
      '',
    );
  }
  const joined = splitter.filter((r) => r.case.stage === 'production-join');
  if (joined.length > 0) {
    parts.push(
      'Where a production + join run spends its time (the median run): each read of a file is',
      'a phase; peaks are sampled every 50 ms within it.',
      '',
      table(
        [
          'users',
          'input',
          'phase',
          's',
          'share',
          'peak RSS MB',
          'peak heap MB',
          'peak ArrayBuffers MB',
        ],
        joined.flatMap(({ case: c, median }) =>
          (median.phases ?? []).map((phase) => [
            int.format(c.users),
            c.encoding,
            phase.name,
            (phase.ms / 1000).toFixed(2),
            percent(phase.ms / median.elapsedMs),
            mb(phase.peakRss),
            mb(phase.peakHeapUsed),
            mb(phase.peakArrayBuffers),
          ]),
        ),
      ),
      '',
    );
  }
  const withPasswords = endToEnd.filter((r) => r.case.jobs !== 'users');
  if (withPasswords.length > 0) {
    parts.push(
      'End to end with the password export: as one job (joined in the splitter) and as two jobs',
      'one after the other (the password export alone: each user looked up, then updated). Local',
      'mode splits the second job as soon as the first is split, so its records can reach the',
      'consumer before their user is created: a create refused as a duplicate, a lookup, then the',
      'update.',
      '',
      table(
        [
          'run',
          'users',
          'writes/user',
          'reads/user',
          'users created',
          'users updated',
          'writes refused (409, 429)',
          'wall s',
          'ideal s (1 write/user)',
        ],
        withPasswords.map((result) => [
          result.case.name,
          int.format(result.case.users),
          (result.emulator.writes / result.case.users).toFixed(2),
          (result.emulator.reads / result.case.users).toFixed(2),
          int.format(result.emulator.usersCreated),
          int.format(result.emulator.usersUpdated),
          int.format(
            result.emulator.writes - result.emulator.usersCreated - result.emulator.usersUpdated,
          ),
          one(result.wallMs / 1000),
          result.idealMs === undefined ? '-' : one(result.idealMs / 1000),
        ]),
      ),
    );
  }
  return parts.length === 0 ? 'Not measured.' : parts.join('\n');
}

/**
 * Records that failed or ended in no state, and people missing from WorkOS (or there twice):
 * 0 when the run accounted for everything.
 */
export function unaccountedInEndToEnd(result: EndToEndResult): number {
  const { counts } = result;
  const settled = Object.values(counts).reduce((total, count) => total + count, 0);
  return (
    counts.failed +
    Math.abs(result.unaccounted) +
    Math.abs(result.case.records - settled) +
    Math.abs(result.case.users - result.emulator.userCount)
  );
}

export function endToEndTable(results: EndToEndResult[]): string {
  return table(
    [
      'run',
      'emulator',
      'users',
      'records',
      'target/s',
      'concurrency',
      'wall s',
      'ideal s',
      'writes/s sustained',
      'writes/s overall',
      `sustained vs ${workOsWritesPerSecond}/s limit`,
      '429s',
      '% calls 429',
      'writes/user',
      'reads/user',
      'created',
      'updated',
      'unchanged',
      'rejected',
      'failed or lost',
      'users in WorkOS',
    ],
    results.map((result) => {
      const { emulator, counts } = result;
      const calls = emulator.writes + emulator.reads;
      const { users } = result.case;
      return [
        result.case.name,
        result.case.emulator,
        int.format(users),
        int.format(result.case.records),
        result.case.limits === 'workos' ? String(result.case.writesPerSecond) : 'unpaced',
        String(result.case.maxConcurrency),
        one(result.wallMs / 1000),
        result.idealMs === undefined ? '-' : one(result.idealMs / 1000),
        one(result.writesPerSecondSustained),
        one(result.writesPerSecondOverall),
        ofLimit(result.writesPerSecondSustained / workOsWritesPerSecond),
        int.format(emulator.rateLimited),
        calls > 0 ? percent(emulator.rateLimited / calls) : '-',
        (emulator.writes / users).toFixed(3),
        (emulator.reads / users).toFixed(3),
        int.format(counts.created),
        int.format(counts.updated),
        int.format(counts.unchanged),
        int.format(counts.rejected),
        int.format(unaccountedInEndToEnd(result)),
        int.format(emulator.userCount),
      ];
    }),
  );
}

export function targetsTable(targets: TargetCheck[]): string {
  return table(
    ['target', 'measured', 'met'],
    targets.map((check) => [
      check.target,
      check.measured,
      check.met === 'not measured' ? 'not measured' : check.met ? 'yes' : 'NO',
    ]),
  );
}

/** The production + join run on gzip at the target size, or why there is none. */
function joinAtTargetSize(
  splitter: SplitterBenchResult[],
): { result: SplitterBenchResult } | { missing: string } {
  const runs = splitter.filter(
    (r) => r.case.stage === 'production-join' && r.case.encoding === 'gzip',
  );
  const result = runs.find((r) => r.case.users >= targetUsers);
  if (result !== undefined) return { result };
  const largest = runs.at(-1);
  return {
    missing:
      largest === undefined
        ? 'not run'
        : `no ${int.format(targetUsers)}-user run (largest ${int.format(largest.case.users)})`,
  };
}

/** The wall time of a run against the listing bound, e.g. `1.23×`. */
const ofBound = (wallSeconds: number, boundSeconds: number | undefined) =>
  boundSeconds === undefined || boundSeconds === 0
    ? '-'
    : `${(wallSeconds / boundSeconds).toFixed(2)}×`;

/** Issue 16's acceptance: an unchanged re-run costs the listing and nothing else; a delta, its writes. */
function cutoverTargets(result: CutoverBenchResult | undefined): TargetCheck[] {
  const label = `cutover at WorkOS's limits, ${int.format(result?.users ?? 100_000)} users`;
  const targets = {
    writes: `${label}, unchanged re-run: 0 WorkOS writes, every valid user settled unchanged`,
    bound: `${label}, unchanged re-run: wall ≤ 2 × the listing bound (users / 100 / ${workOsReadsPerSecond} s)`,
    delta: `${label}, delta (1% changed, 1% new, 1% removed): 1.00 write per changed or new user`,
  };
  if (result === undefined) {
    return Object.values(targets).map((target) => ({
      target,
      measured: 'not run',
      met: 'not measured' as const,
    }));
  }
  const { unchanged, delta } = result;
  const bound = unchanged.listingBoundSeconds ?? 0;
  return [
    {
      target: targets.writes,
      measured: `${int.format(unchanged.calls.writes)} writes; ${int.format(
        unchanged.users.unchanged,
      )} of ${int.format(result.seeded)} users unchanged`,
      met: unchanged.calls.writes === 0 && unchanged.users.unchanged === result.seeded,
    },
    {
      target: targets.bound,
      measured: `${one(unchanged.wallSeconds)} s, ${ofBound(unchanged.wallSeconds, bound)} the ${one(
        bound,
      )} s bound`,
      met: unchanged.wallSeconds <= 2 * bound,
    },
    {
      target: targets.delta,
      measured: `${int.format(delta.calls.writes)} writes for ${int.format(
        result.changed + result.added,
      )} users: ${deltaWritesPerChange(result).toFixed(2)}`,
      met: delta.calls.writes === result.changed + result.added,
    },
  ];
}

/** The targets, checked against what this run measured. */
export function checkTargets(
  splitter: SplitterBenchResult[],
  endToEnd: EndToEndResult[],
  cutover?: CutoverBenchResult,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const join = joinAtTargetSize(splitter);
  const joinLabel = (c: SplitterCase | undefined) =>
    `splitter production + join (users + password export as one job) on gzip NDJSON at ${int.format(
      c?.users ?? targetUsers,
    )} users`;
  if ('result' in join) {
    const { result } = join;
    checks.push(
      {
        target: `${joinLabel(result.case)}: ≥ ${int.format(targetRecordsPerSecond)} records/s`,
        measured: `${int.format(result.recordsPerSecond)} records/s median (${int.format(
          result.bestRecordsPerSecond,
        )} best), ${int.format(result.usersPerSecond)} users/s`,
        met: result.recordsPerSecond >= targetRecordsPerSecond,
      },
      {
        target: `${joinLabel(result.case)}: peak RSS < ${mb(targetPeakRss)} MB`,
        measured: `${mb(result.peakRss)} MB (${mb(result.median.baselineRss)} MB at start)`,
        met: result.peakRss < targetPeakRss,
      },
    );
  } else {
    checks.push(
      {
        target: `${joinLabel(undefined)}: ≥ ${int.format(targetRecordsPerSecond)} records/s`,
        measured: join.missing,
        met: 'not measured',
      },
      {
        target: `${joinLabel(undefined)}: peak RSS < ${mb(targetPeakRss)} MB`,
        measured: join.missing,
        met: 'not measured',
      },
    );
  }
  const atLimit = endToEnd.filter((r) => r.case.limits === 'workos' && r.case.jobs !== 'two jobs');
  for (const result of atLimit) {
    const calls = result.emulator.writes + result.emulator.reads;
    checks.push({
      target: `end to end at the real limit (${result.case.name}): ≥ 95% of ${workOsWritesPerSecond}/s sustained, < 1% of calls 429`,
      measured: `${percent(result.writesPerSecondSustained / workOsWritesPerSecond)} of the limit, ${
        calls > 0 ? percent(result.emulator.rateLimited / calls) : '-'
      } 429`,
      met:
        result.writesPerSecondSustained >= 0.95 * workOsWritesPerSecond &&
        (calls === 0 || result.emulator.rateLimited / calls < 0.01),
    });
  }
  for (const result of atLimit) {
    checks.push({
      target: `end to end at the real limit (${result.case.name}): one WorkOS write per user`,
      measured: `${(result.emulator.writes / result.case.users).toFixed(2)} writes and ${(
        result.emulator.reads / result.case.users
      ).toFixed(2)} reads per user`,
      met: result.emulator.writes <= result.case.users * 1.01,
    });
  }
  for (const result of endToEnd.filter((r) => r.case.limits === 'off')) {
    checks.push({
      target: `pipeline ceiling, limits off (emulator ${result.case.emulator}): ≥ 10× the limit, ${10 * workOsWritesPerSecond} users/s`,
      measured: `${one(result.writesPerSecondOverall)} users/s overall, ${one(result.writesPerSecondSustained)} sustained`,
      met: result.writesPerSecondOverall >= 10 * workOsWritesPerSecond,
    });
  }
  checks.push(...cutoverTargets(cutover));
  return checks;
}

export function cutoverTable(result: CutoverBenchResult | undefined): string {
  if (result === undefined) return '(not run)';
  const changes = result.changed + result.added;
  return table(
    [
      'run',
      'records',
      'users listed',
      'pages',
      'wall s',
      `listing bound s (users/100/${workOsReadsPerSecond})`,
      'wall vs bound',
      `ideal s (bound + writes at ${result.writesPerSecond}/s)`,
      'WorkOS writes',
      'reads',
      '429s',
      'writes per changed or new user',
      'created',
      'updated',
      'unchanged',
      'rejected',
      'absent listed',
      'failed or lost',
    ],
    cutoverRuns(result).map((run) => [
      run.run,
      int.format(run.read),
      run.usersListed === undefined ? '-' : int.format(run.usersListed),
      int.format(run.pagesRead),
      one(run.wallSeconds),
      run.listingBoundSeconds === undefined ? '-' : one(run.listingBoundSeconds),
      ofBound(run.wallSeconds, run.listingBoundSeconds),
      run.idealSeconds === undefined ? '-' : one(run.idealSeconds),
      int.format(run.calls.writes),
      int.format(run.calls.reads),
      int.format(run.calls.rateLimited),
      run.run === 'delta' ? (run.calls.writes / Math.max(1, changes)).toFixed(2) : '-',
      int.format(run.users.created),
      int.format(run.users.updated),
      int.format(run.users.unchanged),
      int.format(run.users.rejected),
      int.format(run.absentListed),
      int.format(lostInCutoverRun(run)),
    ]),
  );
}

/** The cutover table with what it measured, and the users WorkOS held at the end. */
function cutoverSection(result: CutoverBenchResult | undefined): string[] {
  if (result === undefined) return ['Not run.'];
  return [
    `A bulk export of ${int.format(result.users)} users and its password export, imported as one`,
    "job through the pipeline with the emulator's limits off (the seed), so WorkOS holds each user",
    'with the metadata and digest the importer writes; its invalid records are rejected. Then, with',
    "WorkOS's limits on (500 writes and 1,000 reads per 10 s), each as a new job that lists WorkOS",
    `first (\`snapshot: 'take'\`, 100 users a page, ${defaultSnapshotReadsPerSecond} reads/s), at ${result.writesPerSecond} writes/s with`,
    `${result.maxConcurrency} batches in flight: the same files again (unchanged re-run), then a delta export`,
    `of the same users: ${int.format(result.changed)} renamed, ${int.format(result.added)} new, ${int.format(result.removed)} removed (listed as absent, not`,
    'deleted). Records count the lines of both files and the absent users listed; writes, reads',
    "and 429s are the calls each run made, the listing's included. The bound counts the users",
    'WorkOS held when listed. "failed or lost": records that failed, went unread or ended in no',
    'state: anything but 0 fails the run.',
    '',
    cutoverTable(result),
    '',
    `Users in WorkOS at the end: ${int.format(result.usersInWorkOs)} (expected ${int.format(
      result.expectedUsersInWorkOs,
    )}: the ${int.format(result.seeded)} seeded and the ${int.format(result.added)} new).`,
  ];
}

export function formatMarkdown(report: BenchReport): string {
  const { machine } = report;
  return [
    '# Benchmark',
    '',
    `Run ${report.startedAt} with \`${report.command}\`.`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores (${machine.availableParallelism} usable), ${(
      machine.memoryBytes / 2 ** 30
    ).toFixed(1)} GiB, Node ${machine.node}, ${machine.os} ${machine.arch}. Load average ${
      machine.loadAverage.atStart
    } at start, ${machine.loadAverage.atEnd ?? '?'} at end (above ${machine.cores}, the core count, other work competed for the CPU).`,
    '',
    '## Targets',
    '',
    ...(report.smoke ? [smokeNote, ''] : []),
    targetsTable(report.targets),
    '',
    '## Splitter',
    '',
    `Each row is the median of ${report.repeat} run(s), each in a fresh process reading local files,`,
    report.splitterChild === 'bundle'
      ? 'the splitter bundled as the Lambda is deployed (esbuild ESM, minified, source maps on).'
      : 'the splitter run from its TypeScript sources (type stripping: ~25 MB more RSS at start than the bundle).',
    'Stages: the line reader alone (its records/s are lines/s); `readExportRecords` on NDJSON',
    '(reader + JSON.parse); `production`, the users export as the splitter Lambda runs it',
    '(`runSplit`: describe, plan with its planning read, split; into an in-memory counting',
    'sink and a no-op ledger); `production + join`, the users export and its password export as',
    'one job the same way (records/s count the records of both files, users/s the users',
    'export\'s). "plan held B/user": heap and ArrayBuffers the plan still held after the split',
    '(full GC), per user. MB are 10^6 bytes; "file MB/s" counts the files as stored, "NDJSON',
    'MB/s" their uncompressed size. CPU % above 100 is zlib inflating on a second core.',
    '',
    splitterTable(report.splitter),
    '',
    '## Users/passwords join',
    '',
    joinTable(report.joinStructures, report.splitter, report.endToEnd),
    '',
    '## WorkOS snapshot',
    '',
    'The index (`src/snapshot/workos-snapshot.ts`) built from synthetic WorkOS users at each size:',
    'its typed arrays, per user, and the file `toBytes` writes; lookups after `fromBytes`. Then a',
    "listing of every user of the emulator through the SDK, 100 a page, with WorkOS's read limit",
    '(1,000 per 10 s) on; the bound is what that limit allows, users / 100 / 100 s.',
    '',
    snapshotIndexTable(report.snapshot.index),
    '',
    snapshotListingTable(report.snapshot.listing),
    '',
    '## End to end (local mode, WorkOS emulator)',
    '',
    '"sustained" is measured from the first accepted write to the last; "overall" over the wall',
    'time, start-up and tail included. Calls per user count every request the emulator saw,',
    'refused ones included, divided by the people in the exports; the ideal is one write per',
    'user at the target rate. "failed or lost" counts records that failed, ended in no state,',
    'and people missing from WorkOS: anything but 0 fails the run.',
    '',
    endToEndTable(report.endToEnd),
    '',
    '## Cutover (local mode, WorkOS emulator)',
    '',
    ...cutoverSection(report.cutover),
    '',
  ].join('\n');
}

export function snapshotIndexTable(results: SnapshotIndexResult[]): string {
  return table(
    ['users', 'index MB', 'bytes/user', 'file MB', 'build s', 'lookup µs'],
    results.map((result) => [
      String(result.users),
      (result.bytesUsed / 1e6).toFixed(2),
      result.bytesPerUser.toFixed(1),
      (result.serializedBytes / 1e6).toFixed(2),
      (result.buildMs / 1000).toFixed(2),
      result.lookupMicroseconds.toFixed(2),
    ]),
  );
}

export function snapshotListingTable(result: SnapshotListingResult | undefined): string {
  if (result === undefined) return '(not run)';
  return table(
    [
      'users',
      'target reads/s',
      'pages',
      'reads at WorkOS',
      '429s',
      'wall s',
      `bound s (users/100/${workOsReadsPerSecond})`,
      'wall vs bound',
      'users found',
    ],
    [
      [
        String(result.users),
        String(result.readsPerSecond),
        String(result.pagesRead),
        String(result.readsSeen),
        String(result.rateLimited),
        result.wallSeconds.toFixed(2),
        result.boundSeconds.toFixed(2),
        `${(result.wallSeconds / result.boundSeconds).toFixed(2)}x`,
        String(result.usersFound),
      ],
    ],
  );
}
