import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticAuth0ExportLines } from '../synthetic-auth0-export.ts';
import { type EndToEndCase, type EndToEndResult, runEndToEnd } from './end-to-end-bench.ts';
import { currentLoadAverage, describeMachine } from './machine.ts';
import { passwordJoinStage } from './password-join.ts';
import {
  type BenchReport,
  checkTargets,
  endToEndTable,
  formatMarkdown,
  joinTable,
  smokeNote,
  splitterTable,
  targetsTable,
} from './report.ts';
import { runSplitterCase, type SplitterBenchResult, splitterMatrix } from './splitter-bench.ts';
import { type SyntheticExport, writeSyntheticExport } from './synthetic-files.ts';

/*
 * `npm run bench -- [--sizes 10000,100000,1000000] [--e2e-users 2000] [--out DIR] [--smoke]`
 *
 * Generates synthetic Auth0 exports in a temporary folder outside the repo (deleted at the end),
 * measures the splitter, the users/passwords join and the pipeline end to end, prints the tables
 * and writes them as Markdown and JSON to --out. A script, not a test: figures depend on the
 * machine and on what else runs on it (the load average is recorded with them).
 */

const usage = `Usage: npm run bench -- [options]
  --sizes N,N,...            users per synthetic export for the splitter (default 10000,100000,1000000)
  --repeat N                 runs per splitter measurement; the median is reported (default 3)
  --e2e-users N              users end to end at WorkOS's real limit (default 2000; 0 skips)
  --e2e-join-users N         users end to end with their password export too (default 600; 0 skips)
  --e2e-rate N               target writes/s at the real limit (default 45, the pipeline's default)
  --e2e-concurrency N        batches in flight at the real limit (default 4, the CLI's default)
  --ceiling-users N          users end to end with the emulator's limits off (default 20000; 0 skips)
  --ceiling-concurrency N    batches in flight for the ceiling runs (default 32)
  --out DIR                  where bench.md and bench.json go (default bench-results/)
  --smoke                    tiny sizes, one run each, for CI: well under 30 s
`;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' },
    repeat: { type: 'string' },
    'e2e-users': { type: 'string' },
    'e2e-join-users': { type: 'string' },
    'e2e-rate': { type: 'string' },
    'e2e-concurrency': { type: 'string' },
    'ceiling-users': { type: 'string' },
    'ceiling-concurrency': { type: 'string' },
    out: { type: 'string', default: 'bench-results' },
    smoke: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

function wholeNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`--${name} must be a whole number; got ${text}\n${usage}`);
    process.exit(2);
  }
  return value;
}

const smoke = values.smoke;
const sizes = (values.sizes ?? (smoke ? '2000' : '10000,100000,1000000'))
  .split(',')
  .map((size) => wholeNumber('sizes', size.trim(), 0))
  .filter((size) => size > 0);
const repeat = Math.max(1, wholeNumber('repeat', values.repeat, smoke ? 1 : 3));
const e2eUsers = wholeNumber('e2e-users', values['e2e-users'], smoke ? 90 : 2000);
const e2eJoinUsers = wholeNumber('e2e-join-users', values['e2e-join-users'], smoke ? 30 : 600);
const e2eRate = wholeNumber('e2e-rate', values['e2e-rate'], 45);
const e2eConcurrency = wholeNumber('e2e-concurrency', values['e2e-concurrency'], 4);
const ceilingUsers = wholeNumber('ceiling-users', values['ceiling-users'], smoke ? 300 : 20_000);
const ceilingConcurrency = wholeNumber('ceiling-concurrency', values['ceiling-concurrency'], 32);
const outDirectory = resolve(values.out);

/** Every 50th record is unimportable in a rotating way, so rejections are part of the cost. */
const invalidEvery = 50;
const splitterSeed = 'bench';

const say = (text: string) => process.stderr.write(`${text}\n`);
const startedAt = new Date().toISOString();
const machine = describeMachine();
const workDirectory = await mkdtemp(join(tmpdir(), 'workos-import-bench-'));

async function writeExports(users: number, seed: string, invalid: number) {
  const usersFile = await writeSyntheticExport(
    workDirectory,
    { kind: 'users', users, seed },
    syntheticAuth0ExportLines(users, { invalidEvery: invalid, seed }),
  );
  const passwordsFile =
    passwordJoinStage === undefined
      ? undefined
      : await writeSyntheticExport(
          workDirectory,
          { kind: 'passwords', users, seed },
          passwordJoinStage.passwordLines(users, seed),
        );
  return { usersFile, passwordsFile };
}

async function removeExports(...files: (SyntheticExport | undefined)[]): Promise<void> {
  // A million-user export is ~300 MB plain: none is kept past its measurements.
  await Promise.all(
    files.flatMap((file) => (file === undefined ? [] : [rm(file.gzipPath), rm(file.plainPath)])),
  );
}

try {
  const splitter: SplitterBenchResult[] = [];
  for (const users of sizes) {
    say(`generating ${users} users...`);
    const { usersFile, passwordsFile } = await writeExports(users, splitterSeed, invalidEvery);
    for (const { export: kind, encoding, stage } of splitterMatrix) {
      const file = kind === 'users' ? usersFile : passwordsFile;
      if (file === undefined) continue;
      say(`  ${kind} ${encoding} ${stage} (x${repeat})`);
      splitter.push(await runSplitterCase(file, encoding, stage, repeat));
    }
    await removeExports(usersFile, passwordsFile);
  }

  const endToEndCases: Array<Omit<EndToEndCase, 'files'> & { withPasswords: boolean }> = [];
  if (e2eUsers > 0) {
    endToEndCases.push({
      name: 'WorkOS limit',
      users: e2eUsers,
      withPasswords: false,
      limits: 'workos',
      emulator: 'in-process',
      writesPerSecond: e2eRate,
      maxConcurrency: e2eConcurrency,
    });
  }
  if (e2eJoinUsers > 0 && passwordJoinStage !== undefined) {
    endToEndCases.push({
      name: 'WorkOS limit, users + passwords',
      users: e2eJoinUsers,
      withPasswords: true,
      limits: 'workos',
      emulator: 'in-process',
      writesPerSecond: e2eRate,
      maxConcurrency: e2eConcurrency,
    });
  }
  if (ceilingUsers > 0) {
    for (const emulator of ['in-process', 'child-process'] as const) {
      endToEndCases.push({
        name: 'limits off',
        users: ceilingUsers,
        withPasswords: false,
        limits: 'off',
        emulator,
        // Far above anything reachable: the pacer never waits.
        writesPerSecond: 1_000_000,
        maxConcurrency: ceilingConcurrency,
      });
    }
  }
  const endToEnd: EndToEndResult[] = [];
  for (const [index, { withPasswords, ...benchCase }] of endToEndCases.entries()) {
    say(
      `end to end: ${benchCase.name}, ${benchCase.users} users, emulator ${benchCase.emulator}...`,
    );
    // A seed per run: each imports people the emulator has never seen. No invalid records, so
    // every user is one the pipeline should write.
    const { usersFile, passwordsFile } = await writeExports(benchCase.users, `e2e${index}`, 0);
    const files = [usersFile.gzipPath];
    if (withPasswords && passwordsFile !== undefined) files.push(passwordsFile.gzipPath);
    endToEnd.push(await runEndToEnd({ ...benchCase, files }));
    await removeExports(usersFile, passwordsFile);
  }

  machine.loadAverage.atEnd = currentLoadAverage();
  const joinReport: BenchReport['join'] =
    passwordJoinStage === undefined
      ? { status: 'not_yet_implemented' }
      : { status: 'measured', name: passwordJoinStage.name };
  const report: BenchReport = {
    startedAt,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    repeat,
    smoke,
    splitter,
    join: joinReport,
    endToEnd,
    targets: checkTargets(splitter, endToEnd),
  };

  process.stdout.write(
    [
      '',
      'Splitter',
      splitterTable(splitter),
      '',
      'Users/passwords join',
      joinTable(joinReport, splitter, endToEnd),
      '',
      'End to end',
      endToEndTable(endToEnd),
      '',
      'Targets',
      ...(smoke ? [smokeNote] : []),
      targetsTable(report.targets),
      '',
      `load average: ${machine.loadAverage.atStart} at start, ${machine.loadAverage.atEnd} at end (${machine.cores} cores)`,
      '',
    ].join('\n'),
  );
  await mkdir(outDirectory, { recursive: true });
  await writeFile(join(outDirectory, 'bench.md'), formatMarkdown(report));
  await writeFile(join(outDirectory, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  say(`wrote ${join(outDirectory, 'bench.md')} and bench.json`);

  // What makes the smoke run worth calling from CI: every record read, every user accounted for.
  const lostRecords = splitter.filter(
    (result) =>
      (result.case.stage === 'split' || result.case.stage === 'production') &&
      result.runs.some((run) => run.records !== result.lines),
  );
  if (lostRecords.length > 0) {
    say('splitter: a run read fewer records than the export holds; see bench.json');
    process.exitCode = 1;
  }
  const broken = endToEnd.some((result) => result.counts.failed > 0 || result.unaccounted !== 0);
  if (broken) {
    say('end to end: some users failed or were not accounted for; see the table');
    process.exitCode = 1;
  }
} finally {
  await rm(workDirectory, { recursive: true, force: true });
}
