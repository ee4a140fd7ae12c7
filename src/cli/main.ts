import { Command, InvalidArgumentError, Option } from 'commander';
import { runEmulatorCommand } from './emulator-command.ts';
import { runLocalCommand } from './local-command.ts';
import { runRedriveCommand } from './redrive-command.ts';

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

const program = new Command('migrate')
  .description('Import users from identity-provider exports into WorkOS.')
  .showHelpAfterError();

program
  .command('local')
  .description(
    'Run the whole pipeline on this machine: split the exports, queue one message per user and import them, ' +
      'against WorkOS at WORKOS_API_URL with WORKOS_API_KEY, or against the embedded emulator with --emulator.',
  )
  .argument('<files...>', 'export files (Auth0 NDJSON, gzip-compressed or plain)')
  .option('--emulator', 'import into an embedded WorkOS emulator instead of WorkOS', false)
  .option('--report <file>', 'write one CSV row per input record to this file')
  .addOption(
    new Option(
      '--rate <writes-per-second>',
      'WorkOS writes per second (WorkOS allows 500 per 10 s)',
    )
      .argParser(positiveNumber)
      .default(45),
  )
  .addOption(
    new Option('--concurrency <batches>', 'batches of 10 users in flight at once')
      .argParser(positiveInteger)
      .default(4),
  )
  .addOption(
    new Option(
      '--max-receives <count>',
      'tries before a failing user goes to the dead-letter queue',
    )
      .argParser(positiveInteger)
      .default(5),
  )
  .addOption(new Option('--format <format>', 'export format').choices(['auth0']).default('auth0'))
  .action(async (files: string[], options) => {
    process.exitCode = await runLocalCommand(files, options);
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
  // Usage errors exit with 2, as configuration errors do; commander's default is 1.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(async (options) => {
    process.exitCode = await runRedriveCommand(options);
  });

await program.parseAsync();
