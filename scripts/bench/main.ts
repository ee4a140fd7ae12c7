import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { splitterNodeFlags } from '../../lib/splitter-runtime.ts';
import { syntheticAuth0ExportLines } from '../synthetic-auth0-export.ts';
import {
  type CutoverBenchResult,
  measureCutover,
  unaccountedInCutover,
  writeDeltaExport,
} from './cutover-bench.ts';
import {
  type EndToEndCase,
  type EndToEndJobs,
  type EndToEndResult,
  runEndToEnd,
} from './end-to-end-bench.ts';
import { currentLoadAverage, describeMachine } from './machine.ts';
import {
  type BenchReport,
  checkTargets,
  cutoverTable,
  endToEndTable,
  formatMarkdown,
  joinTable,
  smokeNote,
  snapshotIndexTable,
  snapshotListingTable,
  splitterTable,
  targetsTable,
  unaccountedInEndToEnd,
} from './report.ts';
import {
  measureSnapshotIndex,
  measureSnapshotListing,
  type SnapshotBenchResult,
  unaccountedInSnapshot,
} from './snapshot-bench.ts';
import {
  bundleSplitterRun,
  type JoinStructuresResult,
  measureJoinStructures,
  runSplitterCase,
  type SplitterBenchResult,
  type SplitterInputs,
  splitterMatrix,
} from './splitter-bench.ts';
import { type SyntheticExport, writeSyntheticExport } from './synthetic-files.ts';
import {
  assertMatchesUserExport,
  syntheticAuth0PasswordLines,
} from './synthetic-password-export.ts';

/*
 * `npm run bench -- [--sizes 10000,100000,1000000] [--e2e-users 2000] [--cutover-users 100000]
 *   [--out DIR] [--smoke]`
 *
 * Generates synthetic Auth0 exports (users and their password-hash export) in a temporary folder
 * outside the repo (deleted at the end), measures the splitter, the users/passwords join and the
 * pipeline end to end and a cutover (an unchanged re-run and a delta), prints the tables and writes them as Markdown and JSON to --out. A script,
 * not a test: figures depend on the machine and on what else runs on it (the load average is
 * recorded with them). Exits 1 when any record or user is unaccounted for.
 */

const timedStages = splitterMatrix
  .map(({ stage }) => stage)
  .filter((stage, index, all) => all.indexOf(stage) === index);

const usage = `Usage: npm run bench -- [options]
  --sizes N,N,...            users per synthetic export for the splitter (default 10000,100000,1000000)
  --repeat N                 runs per splitter measurement; the median is reported (default 3)
  --stages S,S,...           splitter stages to time (default all: ${timedStages.join(',')})
  --e2e-users N              users end to end at WorkOS's real limit, users export alone (default 2000; 0 skips)
  --e2e-join-users N         users end to end with their password export as one job (default 2000; 0 skips)
  --e2e-two-jobs-users N     users end to end with the two exports as two jobs (default 600; 0 skips)
  --e2e-rate N               target writes/s at the real limit (default 48, the pipeline's default)
  --e2e-concurrency N        batches in flight at the real limit (default 4, the CLI's default)
  --ceiling-users N          users end to end with the emulator's limits off (default 20000; 0 skips)
  --ceiling-concurrency N    batches in flight for the ceiling runs (default 32)
  --source                   run the splitter from its TypeScript sources, not bundled as the Lambda is
  --splitter-flags="F F"     Node flags for every splitter run (default: the splitter Lambda's, lib/splitter-runtime.ts)
  --snapshot-users N         users listed into a WorkOS snapshot at WorkOS's read limit (default 20000; 0 skips)
  --snapshot-rate N          target reads/s of that listing (default 90, the snapshot's default)
  --cutover-users N          users seeded (limits off), then re-run unchanged and as a delta at
                             WorkOS's limits, at --e2e-rate and --e2e-concurrency (default 100000; 0 skips)
  --cpu-prof DIR             write a V8 CPU profile of every production run into DIR (with --source,
                             the profile names the functions: the bundle is minified)
  --out DIR                  where bench.md and bench.json go (default bench-results/)
  --smoke                    tiny sizes, one run each, for CI: well under 30 s
`;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' },
    repeat: { type: 'string' },
    stages: { type: 'string' },
    'e2e-users': { type: 'string' },
    'e2e-join-users': { type: 'string' },
    'e2e-two-jobs-users': { type: 'string' },
    'e2e-rate': { type: 'string' },
    'e2e-concurrency': { type: 'string' },
    'ceiling-users': { type: 'string' },
    'ceiling-concurrency': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'snapshot-users': { type: 'string' },
    'snapshot-rate': { type: 'string' },
    'cutover-users': { type: 'string' },
    source: { type: 'boolean', default: false },
    'splitter-flags': { type: 'string' },
    out: { type: 'string', default: 'bench-results' },
    smoke: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

function usageError(message: string): never {
  process.stderr.write(`${message}\n${usage}`);
  process.exit(2);
}

function wholeNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 0) {
    usageError(`--${name} must be a whole number; got ${text}`);
  }
  return value;
}

const smoke = values.smoke;
const sizes = (values.sizes ?? (smoke ? '2000' : '10000,100000,1000000'))
  .split(',')
  .map((size) => wholeNumber('sizes', size.trim(), 0))
  .filter((size) => size > 0);
const repeat = Math.max(1, wholeNumber('repeat', values.repeat, smoke ? 1 : 3));
const stages = (values.stages?.split(',') ?? timedStages).map((stage) => stage.trim());
for (const stage of stages) {
  if (!(timedStages as string[]).includes(stage)) usageError(`--stages: unknown stage ${stage}`);
}
const e2eUsers = wholeNumber('e2e-users', values['e2e-users'], smoke ? 90 : 2000);
const e2eJoinUsers = wholeNumber('e2e-join-users', values['e2e-join-users'], smoke ? 60 : 2000);
const e2eTwoJobsUsers = wholeNumber(
  'e2e-two-jobs-users',
  values['e2e-two-jobs-users'],
  smoke ? 30 : 600,
);
const e2eRate = wholeNumber('e2e-rate', values['e2e-rate'], 48);
const e2eConcurrency = wholeNumber('e2e-concurrency', values['e2e-concurrency'], 4);
const ceilingUsers = wholeNumber('ceiling-users', values['ceiling-users'], smoke ? 300 : 20_000);
const ceilingConcurrency = wholeNumber('ceiling-concurrency', values['ceiling-concurrency'], 32);
const snapshotUsers = wholeNumber('snapshot-users', values['snapshot-users'], smoke ? 500 : 20_000);
const snapshotRate = wholeNumber('snapshot-rate', values['snapshot-rate'], 90);
const cutoverUsers = wholeNumber('cutover-users', values['cutover-users'], smoke ? 2000 : 100_000);
const cpuProfileDirectory =
  values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
const outDirectory = resolve(values.out);

/** Every 50th record is unimportable in a rotating way, so rejections are part of the cost. */
const invalidEvery = 50;
const splitterSeed = 'bench';

const say = (text: string) => process.stderr.write(`${text}\n`);
const startedAt = new Date().toISOString();
const machine = describeMachine();
const workDirectory = await mkdtemp(join(tmpdir(), 'workos-import-bench-'));

/** The users export and its password-hash export (none for social users, as Auth0's). */
async function writeExports(users: number, seed: string, invalid: number): Promise<SplitterInputs> {
  assertMatchesUserExport(seed);
  return {
    users: await writeSyntheticExport(
      workDirectory,
      { kind: 'users', users, seed },
      syntheticAuth0ExportLines(users, { invalidEvery: invalid, seed }),
    ),
    passwords: await writeSyntheticExport(
      workDirectory,
      { kind: 'passwords', users, seed },
      syntheticAuth0PasswordLines(users, { seed }),
    ),
  };
}

async function removeExports({ users, passwords }: SplitterInputs): Promise<void> {
  // A million-user export is ~300 MB plain: none is kept past its measurements.
  await Promise.all(
    [users, passwords].flatMap((file: SyntheticExport) => [rm(file.gzipPath), rm(file.plainPath)]),
  );
}

const jobsOf: Record<EndToEndJobs, (inputs: SplitterInputs) => EndToEndCase['files']> = {
  users: ({ users }) => [users.gzipPath],
  'one job': ({ users, passwords }) => [[users.gzipPath, passwords.gzipPath]],
  'two jobs': ({ users, passwords }) => [users.gzipPath, passwords.gzipPath],
};

try {
  const splitter: SplitterBenchResult[] = [];
  const joinStructures: JoinStructuresResult[] = [];
  // The Lambda's own flags unless told otherwise.
  const splitterFlags = values['splitter-flags']?.split(/\s+/).filter((flag) => flag !== '') ?? [
    ...splitterNodeFlags,
  ];
  const profileFlags =
    cpuProfileDirectory === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDirectory}`];
  const bundle = values.source ? undefined : await bundleSplitterRun(workDirectory);
  const child = { ...(bundle === undefined ? {} : { bundle }), nodeFlags: splitterFlags };
  for (const users of sizes) {
    say(`generating ${users} users and their password export...`);
    const inputs = await writeExports(users, splitterSeed, invalidEvery);
    for (const { encoding, stage } of splitterMatrix) {
      if (!stages.includes(stage)) continue;
      say(`  ${encoding} ${stage} (x${repeat})`);
      const profiled = stage === 'production' || stage === 'production-join';
      splitter.push(
        await runSplitterCase(inputs, encoding, stage, repeat, {
          ...child,
          nodeFlags: [...splitterFlags, ...(profiled ? profileFlags : [])],
        }),
      );
    }
    if (stages.includes('production-join')) {
      say('  join structures');
      joinStructures.push(await measureJoinStructures(inputs, child));
    }
    await removeExports(inputs);
  }

  const atLimit = {
    limits: 'workos',
    emulator: 'in-process',
    writesPerSecond: e2eRate,
    maxConcurrency: e2eConcurrency,
  } as const;
  const endToEndCases: Array<Omit<EndToEndCase, 'files' | 'records'>> = [];
  if (e2eUsers > 0) {
    endToEndCases.push({ name: 'WorkOS limit, users', jobs: 'users', users: e2eUsers, ...atLimit });
  }
  if (e2eJoinUsers > 0) {
    endToEndCases.push({
      name: 'WorkOS limit, users + passwords, one job',
      jobs: 'one job',
      users: e2eJoinUsers,
      ...atLimit,
    });
  }
  if (e2eTwoJobsUsers > 0) {
    endToEndCases.push({
      name: 'WorkOS limit, users then passwords, two jobs',
      jobs: 'two jobs',
      users: e2eTwoJobsUsers,
      ...atLimit,
    });
  }
  if (ceilingUsers > 0) {
    for (const emulator of ['in-process', 'child-process'] as const) {
      endToEndCases.push({
        name: 'limits off, users',
        jobs: 'users',
        users: ceilingUsers,
        limits: 'off',
        emulator,
        // Far above anything reachable: the pacer never waits.
        writesPerSecond: 1_000_000,
        maxConcurrency: ceilingConcurrency,
      });
    }
  }
  const endToEnd: EndToEndResult[] = [];
  for (const [index, benchCase] of endToEndCases.entries()) {
    say(
      `end to end: ${benchCase.name}, ${benchCase.users} users, emulator ${benchCase.emulator}...`,
    );
    // A seed per run: each imports people the emulator has never seen. No invalid records, so
    // every user is one the pipeline should write.
    const inputs = await writeExports(benchCase.users, `e2e${index}`, 0);
    const records = inputs.users.lines + (benchCase.jobs === 'users' ? 0 : inputs.passwords.lines);
    endToEnd.push(
      await runEndToEnd({ ...benchCase, records, files: jobsOf[benchCase.jobs](inputs) }),
    );
    await removeExports(inputs);
  }

  const snapshot: SnapshotBenchResult = { index: [] };
  for (const users of sizes) {
    say(`snapshot index of ${users} users...`);
    snapshot.index.push(measureSnapshotIndex(users));
  }
  if (snapshotUsers > 0) {
    say(`snapshot listing of ${snapshotUsers} users at ${snapshotRate} reads/s...`);
    snapshot.listing = await measureSnapshotListing(snapshotUsers, snapshotRate);
  }

  let cutover: CutoverBenchResult | undefined;
  if (cutoverUsers > 0) {
    say(`cutover: ${cutoverUsers} users seeded, then re-run unchanged and as a delta...`);
    const seed = 'cutover';
    const bulk = await writeExports(cutoverUsers, seed, invalidEvery);
    const delta = await writeDeltaExport(workDirectory, {
      users: cutoverUsers,
      seed,
      invalidEvery,
    });
    cutover = await measureCutover({
      bulk,
      delta,
      writesPerSecond: e2eRate,
      maxConcurrency: e2eConcurrency,
      seedConcurrency: ceilingConcurrency,
    });
    await Promise.all([removeExports(bulk), removeExports(delta.inputs)]);
  }

  machine.loadAverage.atEnd = currentLoadAverage();
  const report: BenchReport = {
    startedAt,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    repeat,
    smoke,
    splitterChild: values.source ? 'source' : 'bundle',
    splitter,
    joinStructures,
    endToEnd,
    snapshot,
    ...(cutover === undefined ? {} : { cutover }),
    targets: checkTargets(splitter, endToEnd, cutover),
  };

  process.stdout.write(
    [
      '',
      'Splitter',
      splitterTable(splitter),
      '',
      'Users/passwords join',
      joinTable(joinStructures, splitter, endToEnd),
      '',
      'End to end',
      endToEndTable(endToEnd),
      '',
      'WorkOS snapshot index',
      snapshotIndexTable(snapshot.index),
      '',
      'WorkOS snapshot listing',
      snapshotListingTable(snapshot.listing),
      '',
      'Cutover',
      cutoverTable(cutover),
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
  if (splitter.some((result) => result.unaccounted !== 0)) {
    say('splitter: a run left records unread or unaccounted for; see bench.json');
    process.exitCode = 1;
  }
  if (unaccountedInSnapshot(snapshot) !== 0) {
    say('snapshot: some listed users were not found, or pages were read again; see the table');
    process.exitCode = 1;
  }
  if (endToEnd.some((result) => unaccountedInEndToEnd(result) !== 0)) {
    say('end to end: some records or users failed or were not accounted for; see the table');
    process.exitCode = 1;
  }
  if (unaccountedInCutover(cutover) !== 0) {
    say('cutover: some records or users failed or were not accounted for; see the table');
    process.exitCode = 1;
  }
} finally {
  await rm(workDirectory, { recursive: true, force: true });
}
