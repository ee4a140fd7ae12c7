import { type EndToEndResult, workOsWritesPerSecond } from './end-to-end-bench.ts';
import type { MachineDescription } from './machine.ts';
import type { SplitterBenchResult } from './splitter-bench.ts';

export interface BenchReport {
  startedAt: string;
  command: string;
  machine: MachineDescription;
  /** Runs per splitter measurement. */
  repeat: number;
  /** A smoke run checks that every stage works; its sizes are too small for the targets. */
  smoke: boolean;
  splitter: SplitterBenchResult[];
  join: { status: 'not_yet_implemented' } | { status: 'measured'; name: string };
  endToEnd: EndToEndResult[];
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | 'not measured';
}

export const smokeNote =
  'Smoke run: every stage ran, every record and user was accounted for; the sizes are too small for the figures to say anything about the targets.';

const mb = (bytes: number) => (bytes / 1_000_000).toFixed(1);
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = (value: number) => value.toFixed(1);
const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;
/** A share of the limit as a percentage, or as a multiple once it is past it (ceiling runs). */
const ofLimit = (fraction: number) =>
  fraction > 1.5 ? `${fraction.toFixed(1)}×` : percent(fraction);

const stageNames = {
  lines: 'line reader',
  split: 'split',
  plan: 'dedupe plan',
  production: 'plan + split',
} as const;

/** A Markdown table: readable as-is in a terminal, rendered on GitHub. */
function table(header: string[], rows: string[][]): string {
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

export function splitterTable(results: SplitterBenchResult[]): string {
  return table(
    [
      'users',
      'export',
      'input',
      'stage',
      'records/s',
      'best records/s',
      'lines/s',
      'file MB/s',
      'NDJSON MB/s',
      'time s',
      'CPU %',
      'main-thread µs/line',
      'peak RSS MB',
      'RSS at start MB',
      'peak heap MB',
      'plan heap B/user',
    ],
    results.map((result) => {
      const { case: c, median } = result;
      const splits = c.stage === 'split' || c.stage === 'production';
      return [
        int.format(c.users),
        c.export,
        `${c.encoding} ${mb(c.fileBytes)} MB`,
        stageNames[c.stage],
        splits ? int.format(result.recordsPerSecond) : '-',
        splits ? int.format(result.bestRecordsPerSecond) : '-',
        int.format(result.linesPerSecond),
        one(result.fileMegabytesPerSecond),
        one(result.uncompressedMegabytesPerSecond),
        (median.elapsedMs / 1000).toFixed(2),
        int.format((100 * median.cpuMs) / median.elapsedMs),
        ((1000 * median.mainThreadCpuMs) / result.lines).toFixed(2),
        mb(result.peakRss),
        mb(median.baselineRss),
        mb(median.memory.heapUsed),
        result.planHeapBytesPerUser === undefined ? '-' : int.format(result.planHeapBytesPerUser),
      ];
    }),
  );
}

export function joinTable(
  join: BenchReport['join'],
  splitter: SplitterBenchResult[],
  endToEnd: EndToEndResult[],
): string {
  if (join.status === 'not_yet_implemented') {
    return table(['stage', 'status'], [['users/passwords join', 'not yet implemented']]);
  }
  const rows: string[][] = [];
  for (const result of splitter.filter((r) => r.case.export === 'passwords')) {
    rows.push([
      `split the password export (${int.format(result.case.users)} users, ${result.case.encoding}, ${stageNames[result.case.stage]})`,
      `${int.format(result.recordsPerSecond)} records/s, ${(result.median.elapsedMs / 1000).toFixed(2)} s, peak RSS ${mb(result.peakRss)} MB`,
    ]);
  }
  for (const result of endToEnd.filter((r) => r.case.name.includes('passwords'))) {
    const { emulator } = result;
    rows.push([
      `end to end, users + passwords (${int.format(result.case.users)} users)`,
      `${(emulator.writes / result.case.users).toFixed(2)} writes and ${(emulator.reads / result.case.users).toFixed(2)} reads per user; ${one(result.wallMs / 1000)} s against ${one((result.idealMs ?? 0) / 1000)} s ideal`,
    ]);
  }
  return [`Join: ${join.name}.`, '', table(['measure', 'figure'], rows)].join('\n');
}

export function endToEndTable(results: EndToEndResult[]): string {
  return table(
    [
      'run',
      'emulator',
      'users',
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
      'failed',
    ],
    results.map((result) => {
      const { emulator, counts } = result;
      const calls = emulator.writes + emulator.reads;
      const { users } = result.case;
      return [
        result.case.name,
        result.case.emulator,
        int.format(users),
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
        int.format(counts.failed + result.unaccounted),
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

/** The targets, checked against what this run measured. */
export function checkTargets(
  splitter: SplitterBenchResult[],
  endToEnd: EndToEndResult[],
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const gzipUsers = splitter.filter((r) => r.case.export === 'users' && r.case.encoding === 'gzip');
  for (const stage of ['split', 'production'] as const) {
    const largest = gzipUsers.filter((r) => r.case.stage === stage).at(-1);
    checks.push({
      target: `splitter (${stageNames[stage]}) on gzip NDJSON ≥ 150,000 records/s`,
      measured:
        largest === undefined
          ? '-'
          : `${int.format(largest.recordsPerSecond)} records/s median, ${int.format(largest.bestRecordsPerSecond)} best, at ${int.format(largest.case.users)} users`,
      met: largest === undefined ? 'not measured' : largest.recordsPerSecond >= 150_000,
    });
  }
  for (const stage of ['split', 'production'] as const) {
    const million = gzipUsers.find((r) => r.case.stage === stage && r.case.users >= 1_000_000);
    checks.push({
      target: `splitter (${stageNames[stage]}) peak RSS < 200 MB for 1M users`,
      measured: million === undefined ? '-' : `${mb(million.peakRss)} MB`,
      met: million === undefined ? 'not measured' : million.peakRss < 200_000_000,
    });
    const runs = gzipUsers.filter((r) => r.case.stage === stage);
    const sizes = runs.map((r) => r.case.users);
    if (runs.length >= 2) {
      checks.push({
        target: `splitter (${stageNames[stage]}) peak RSS does not grow with file size`,
        measured: runs.map((r) => `${mb(r.peakRss)} MB at ${int.format(r.case.users)}`).join(', '),
        // Within 25 MB: JIT, GC timing and chunk sizes move RSS a little whatever the size.
        met:
          new Set(sizes).size < 2
            ? 'not measured'
            : Math.max(...runs.map((r) => r.peakRss)) - Math.min(...runs.map((r) => r.peakRss)) <
              25_000_000,
      });
    }
  }
  for (const result of endToEnd.filter((r) => r.case.limits === 'workos')) {
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
      target: `pipeline ceiling, limits off (emulator ${result.case.emulator}): ≥ ${10 * workOsWritesPerSecond} users/s`,
      measured: `${one(result.writesPerSecondOverall)} users/s overall, ${one(result.writesPerSecondSustained)} sustained`,
      met: result.writesPerSecondOverall >= 10 * workOsWritesPerSecond,
    });
  }
  return checks;
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
    `Each row is the median of ${report.repeat} run(s), each in a fresh process reading a local file.`,
    'Stages: the line reader alone; `split` (parse, validate, serialize, batch into an in-memory',
    'counting sink, no-op ledger); the duplicate-email plan (a first full read); `plan + split` as',
    'the splitter Lambda runs them. MB are 10^6 bytes; "file MB/s" counts the file as stored,',
    '"NDJSON MB/s" its uncompressed size. CPU % above 100 is zlib inflating on a second core.',
    '',
    splitterTable(report.splitter),
    '',
    '## Users/passwords join',
    '',
    joinTable(report.join, report.splitter, report.endToEnd),
    '',
    '## End to end (local mode, WorkOS emulator)',
    '',
    '"sustained" is measured from the first accepted write to the last; "overall" over the wall',
    'time, start-up and tail included. Calls per user count every request the emulator saw,',
    'refused ones included, divided by the people in the export.',
    '',
    endToEndTable(report.endToEnd),
    '',
  ].join('\n');
}
