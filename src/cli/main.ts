import { Command, type CommanderError, InvalidArgumentError, Option } from 'commander';
import { configurationErrorExitCode } from './command-context.ts';
import { runDlqCommand } from './dlq-command.ts';
import { runEmulatorCommand } from './emulator-command.ts';
import { withJobOptions } from './job-options.ts';
import { runLocalCommand } from './local-command.ts';
import { runRedriveCommand } from './redrive-command.ts';
import { runReportCommand } from './report-command.ts';
import { runResumeCommand } from './resume-command.ts';
import { runSnapshotCommand } from './snapshot-command.ts';
import { runStatusCommand } from './status-command.ts';
import { runUploadCommand } from './upload-command.ts';
import { runValidateCommand } from './validate-command.ts';

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError('must be a positive number');
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = positiveNumber(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('must be a whole number');
  return parsed;
}

/** Usage errors exit with 2, as configuration errors do; commander's default is 1. */
function exitOnUsageError(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : configurationErrorExitCode);
}

const program = new Command('migrate')
  .description('Import users from identity-provider exports into WorkOS.')
  .showHelpAfterError();

withJobOptions(
  program
    .command('local')
    .description(
      'Run the whole pipeline on this machine: split the exports, queue one message per record and import them, ' +
        'against WorkOS at WORKOS_API_URL with WORKOS_API_KEY, or against the embedded emulator with --emulator. ' +
        'The files named are one job (an Auth0 users export and its password-hash export are joined into one ' +
        "write per user); a manifest.json names a job's files and options itself.",
    )
    .argument(
      '<files...>',
      'export files (NDJSON, JSON array or CSV; gzip or plain), or one manifest.json',
    )
    .option('--emulator', 'import into an embedded WorkOS emulator instead of WorkOS', false)
    .option(
      '--snapshot <file>',
      'diff against this snapshot of WorkOS (`migrate snapshot`) instead of listing WorkOS first',
    )
    .option(
      '--no-snapshot',
      'do not list WorkOS first: every record goes to WorkOS, one lookup at a time for users it holds',
    )
    .option('--json', 'print the summary as one JSON object', false)
    .option('--report <file>', 'write one CSV row per input record to this file')
    .option(
      '--state <file>',
      'keep the job here, so running the command again continues it ' +
        '(default: <report>.state.db, else .migrate/<job id>.state.db; none with --emulator)',
    )
    .option(
      '--fresh',
      'forget what the state file knows of this job and import it from the top',
      false,
    )
    .addOption(
      new Option(
        '--rate <writes-per-second>',
        'WorkOS writes per second (WorkOS allows 500 per 10 s)',
      )
        .argParser(positiveNumber)
        .default(48),
    )
    .addOption(
      new Option('--concurrency <batches>', 'batches of 10 records in flight at once')
        .argParser(positiveInteger)
        .default(4),
    )
    .addOption(
      new Option(
        '--max-receives <count>',
        'tries before a failing record goes to the dead-letter queue',
      )
        .argParser(positiveInteger)
        .default(5),
    ),
).action(async (files: string[], options) => {
  process.exitCode = await runLocalCommand(files, options);
});

withJobOptions(
  program
    .command('validate')
    .description(
      'Preflight: read the files exactly as the splitter will, call no API, and print what would ' +
        'happen: records per outcome, rejected records with line and reason, merged duplicate emails, ' +
        'password hash types and the users who will need a reset. The files named are one job, as for ' +
        '`local` and `upload`. Exit code 0 when the files could be read, 2 when they could not.',
    )
    .argument('<files...>', 'export files, or one manifest.json')
    .option('--json', 'print the counts as one JSON object', false)
    .option(
      '--report <file>',
      'write the rejected and merged records (line and reason) to this CSV',
    )
    .option(
      '--against-workos',
      'list WorkOS at WORKOS_API_URL with WORKOS_API_KEY (reads only) and say what the run will ' +
        'create, update, leave unchanged, merge, refuse or remove, and how long it will take',
      false,
    )
    .option('--snapshot <file>', 'plan against this snapshot (`migrate snapshot`) instead')
    .addOption(
      new Option('--rate <writes-per-second>', "the run's WorkOS writes per second, for the time")
        .argParser(positiveNumber)
        .default(48),
    ),
).action(async (files: string[], options) => {
  process.exitCode = await runValidateCommand(files, options);
});

program
  .command('snapshot')
  .description(
    'List every user of WorkOS at WORKOS_API_URL with WORKOS_API_KEY (reads only, 100 per page, ' +
      "paced to WorkOS's read limit) into a file for `local --snapshot` and `validate --snapshot`: " +
      'WorkOS ids, import fingerprints and sign-in state, no emails or names.',
  )
  .requiredOption('--out <file>', 'where to write the snapshot')
  .option('--json', 'print the figures as one JSON object', false)
  .addOption(
    new Option('--read-rate <reads-per-second>', 'reads per second (WorkOS allows 1,000 per 10 s)')
      .argParser(positiveNumber)
      .default(90),
  )
  .action(async (options) => {
    process.exitCode = await runSnapshotCommand(options);
  });

program
  .command('emulator')
  .description('Start the WorkOS emulator alone, for dry runs: point WORKOS_API_URL at it.')
  .addOption(
    new Option('--port <port>', 'port to listen on').argParser(positiveInteger).default(8787),
  )
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--api-key <key>', 'accept only this API key (default: any non-empty key)')
  .option('--no-rate-limit', "turn off WorkOS's rate limits (500 writes and 1,000 reads per 10 s)")
  .action(async (options) => {
    await runEmulatorCommand(options);
  });

program
  .command('redrive')
  .description(
    "Put dead-lettered users back on a deployed environment's user queue, to be imported again. " +
      'Without --reason, an SQS message-move task moves every message; with --reason, only those ' +
      'the consumer dead-lettered for that reason. The queues come from the stack ' +
      'WorkosUserImport-<env>; region and credentials from the standard AWS environment ' +
      '(AWS_PROFILE, AWS_REGION, ...). Exit code 0 when done, 1 when messages could not be moved, ' +
      '2 on usage or configuration errors.',
  )
  .requiredOption('--env <env>', 'environment whose dead-letter queue to redrive, e.g. dev or prod')
  .option(
    '--reason <code>',
    'move only messages with this FailureReason (e.g. workos_503); "none" selects those SQS ' +
      'moved after too many receives',
  )
  .addOption(
    new Option(
      '--rate <per-second>',
      'messages per second put back on the queue (1-500); near what the consumer absorbs, ' +
        'so the redrive does not cause WorkOS 429s',
    )
      .argParser((value) => {
        const rate = positiveInteger(value);
        if (rate > 500) throw new InvalidArgumentError('must be at most 500 (the SQS limit)');
        return rate;
      })
      .default(20),
  )
  .option('--dry-run', 'count the dead-letter queue by reason and move nothing', false)
  .exitOverride(exitOnUsageError)
  .action(async (options) => {
    process.exitCode = await runRedriveCommand(options);
  });

withJobOptions(
  program
    .command('upload')
    .summary(
      "Upload exports to an environment's bucket as one import job (or one per file); prints the job id",
    )
    .description(
      "Upload exports to a deployed environment's bucket and start their import. One file goes " +
        "under the export prefix, where its upload starts one import job (in the source's folder " +
        'with --format). Several files, a job option, --job-name or --manifest make one job: the ' +
        "files go to the job's folder, jobs/<job-name>/, where uploads start nothing, then the job's " +
        'manifest.json (generated from the files and options, or --manifest), whose upload starts ' +
        'the job; an Auth0 users export and its password-hash export are joined into one write per ' +
        'user. --separate uploads several files as one job each. Prints the job id (for `status` ' +
        'and `report`). Large files go up as multipart uploads streamed from disk, with a progress ' +
        'bar on a terminal. The bucket comes from the stack WorkosUserImport-<env>; region and ' +
        'credentials from the standard AWS environment (AWS_PROFILE, AWS_REGION, ...). Exit code 0 ' +
        'when every file is uploaded, 1 when an upload failed or was interrupted (the files before ' +
        "it are uploaded; a job's manifest is not, so that job does not start), 2 on usage or " +
        'configuration errors (nothing uploaded).',
    )
    .argument(
      '<files...>',
      'export files (NDJSON, JSON array or CSV; gzip or plain), kept by file name',
    )
    .requiredOption('--env <env>', 'environment to import into, e.g. dev or prod')
    .option(
      '--job-name <name>',
      "the job's folder under jobs/ (letters, digits, . _ -; default: <UTC yyyymmdd-hhmmss>-<first file's name>)",
    )
    .option(
      '--manifest <file>',
      "a hand-written manifest.json naming exactly the files given, uploaded as the job's",
    )
    .option(
      '--no-snapshot',
      'the job is split without listing WorkOS first (manifest option skipWorkosSnapshot)',
    )
    .option('--separate', 'upload several files as one job each, under the export prefix', false)
    .option(
      '--json',
      'print one JSON object: {"uploads":[{"file","bucket","key","versionId","eTag","sizeBytes","jobId"}]}; ' +
        'for one job, the uploads have no jobId and "job":{"jobId","manifestKey"} (null when it did not start)',
      false,
    ),
)
  .exitOverride(exitOnUsageError)
  .action(async (files: string[], options) => {
    process.exitCode = await runUploadCommand(files, options);
  });

program
  .command('status')
  .summary("Progress of an environment's import jobs: counters, queues, rate, ETA (--json)")
  .description(
    "Show a deployed environment's import jobs from the migration ledger: without a job id, the " +
      'latest jobs; with one, its counters (read, enqueued, created, updated, unchanged, rejected, ' +
      'failed, in flight = records read without an outcome yet), the user and ' +
      'dead-letter queue depths, any halt reason, the current rate (the counters read twice, ' +
      '--interval seconds apart) and the ETA (in flight / rate). --json prints one JSON object ' +
      '(with --watch, one per reading); its fields are listed in docs/runbook.md. Exit code 0 ' +
      'when shown, 1 when the job is not in the ledger, 2 on usage or configuration errors.',
  )
  .argument('[job]', 'job id, as printed by upload (job_...)')
  .requiredOption('--env <env>', 'environment whose ledger to read, e.g. dev or prod')
  .option('--json', 'print JSON for scripts instead of text', false)
  .addOption(
    new Option(
      '--interval <seconds>',
      'seconds between the two readings the rate is measured from, and between --watch ' +
        'readings; 0 skips the measurement (the ETA then uses the average rate since the start)',
    )
      .argParser((value) => {
        const seconds = Number(value);
        if (!Number.isFinite(seconds) || seconds < 0 || seconds > 300) {
          throw new InvalidArgumentError('must be a number of seconds from 0 to 300');
        }
        return seconds;
      })
      .default(5),
  )
  .option('--watch', 'keep reading the job until it is completed (Ctrl-C stops)', false)
  .addOption(
    new Option('--limit <jobs>', 'jobs listed without a job id, newest first')
      .argParser(positiveInteger)
      .default(10),
  )
  .exitOverride(exitOnUsageError)
  .action(async (job: string | undefined, options) => {
    process.exitCode = await runStatusCommand(job, options);
  });

program
  .command('report')
  .summary("Write a job's per-record outcome CSV (source id to WorkOS user id)")
  .description(
    "Write a job's per-record outcomes from a deployed environment's migration ledger to a CSV " +
      "file, in line order, with the columns of local mode's --report: " +
      'source_file,line,source_id,status,workos_user_id,reason. Keep it to map your user ids to ' +
      'WorkOS user ids. Exit code 0 when written, 1 when the job is not in the ledger or the file ' +
      'exists (without --force), 2 on usage or configuration errors.',
  )
  .argument('<job>', 'job id, as printed by upload or status (job_...)')
  .requiredOption('--env <env>', 'environment whose ledger to read, e.g. dev or prod')
  .requiredOption('--out <file>', 'CSV file to write')
  .option('--force', 'overwrite the file if it exists', false)
  .exitOverride(exitOnUsageError)
  .action(async (job: string, options) => {
    process.exitCode = await runReportCommand(job, options);
  });

program
  .command('dlq')
  .summary('Dead-lettered users by reason, with counts and example source ids')
  .description(
    "List a deployed environment's dead-lettered users by failure reason (the FailureReason " +
      'attribute; max_receives_exceeded for those SQS moved after maxReceiveCount), with counts and ' +
      'example source ids, and the redrive command for each reason. Removes nothing: each message ' +
      'is hidden while it is read, then made visible again. Never prints emails, names or hashes. ' +
      'Exit code 0 when listed, 1 when interrupted, 2 on usage or configuration errors.',
  )
  .requiredOption('--env <env>', 'environment whose dead-letter queue to read, e.g. dev or prod')
  .addOption(
    new Option('--examples <count>', 'example source ids per reason')
      .argParser(positiveInteger)
      .default(3),
  )
  .option(
    '--json',
    'print one JSON object: {"total","partial","reasons":[{"reason","messages","exampleSourceIds"}]}',
    false,
  )
  .exitOverride(exitOnUsageError)
  .action(async (options) => {
    process.exitCode = await runDlqCommand(options);
  });

program
  .command('resume')
  .summary('Resume an import halted by an invalid API key')
  .description(
    'After WorkOS refused the API key the consumer halted the jobs and disabled its event source, ' +
      'leaving every user on the queue. Put a valid key in the secret first, then run this: it ' +
      'clears the halt of the given jobs (all halted jobs when none is named) and re-enables the ' +
      'consumer. Exit code 0 when done, 2 on configuration errors.',
  )
  .argument('[jobs...]', 'job ids to resume (default: every halted job)')
  .requiredOption('--env <env>', 'environment to resume, e.g. dev or prod')
  .action(async (jobs: string[], options: { env: string }) => {
    process.exitCode = await runResumeCommand(jobs, options);
  });

await program.parseAsync();
