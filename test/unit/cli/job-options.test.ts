import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  type JobOptionFlags,
  jobOptionFlagsGiven,
  jobOptionsOf,
  withJobOptions,
} from '../../../src/cli/job-options.ts';
import { ConfigError } from '../../../src/errors.ts';

/** The flags as `migrate local` parses them: job options, `--snapshot <file>` and `--no-snapshot`. */
function parsed(args: string[]): JobOptionFlags {
  const command = withJobOptions(
    new Command('local')
      .exitOverride()
      .option('--snapshot <file>', 'a snapshot file')
      .option('--no-snapshot', 'no snapshot'),
  );
  command.parse(args, { from: 'user' });
  return command.opts<JobOptionFlags>();
}

describe('withJobOptions() and jobOptionsOf(): the absent-user and snapshot flags', () => {
  it.each<{ args: string[]; options: object }>([
    { args: [], options: {} },
    { args: ['--remove-absent-users'], options: { removeAbsentUsers: true } },
    {
      args: ['--remove-absent-users', '--remove-signed-in-absent-users'],
      options: { removeAbsentUsers: true, removeSignedInAbsentUsers: true },
    },
    { args: ['--no-snapshot'], options: { skipWorkosSnapshot: true } },
    { args: ['--snapshot', 'environment.snapshot'], options: {} },
    {
      args: ['--remove-absent-users', '--no-snapshot'],
      options: { removeAbsentUsers: true, skipWorkosSnapshot: true },
    },
  ])('$args give the job options $options', async ({ args, options }) => {
    const flags = parsed(args);

    expect(await jobOptionsOf(flags)).toEqual(options);
  });

  it('defaults both removal flags to off', () => {
    expect(parsed([])).toMatchObject({
      removeAbsentUsers: false,
      removeSignedInAbsentUsers: false,
    });
  });

  it('refuses --remove-signed-in-absent-users without --remove-absent-users', async () => {
    const options = jobOptionsOf(parsed(['--remove-signed-in-absent-users']));

    await expect(options).rejects.toBeInstanceOf(ConfigError);
    await expect(options).rejects.toThrow(
      '--remove-signed-in-absent-users goes with --remove-absent-users',
    );
  });

  it('keeps a snapshot file name out of the job options: only `false` skips the snapshot', async () => {
    expect(await jobOptionsOf({ snapshot: 'environment.snapshot' })).toEqual({});
    expect(await jobOptionsOf({ snapshot: true })).toEqual({});
    expect(await jobOptionsOf({ snapshot: false })).toEqual({ skipWorkosSnapshot: true });
  });
});

describe('jobOptionFlagsGiven()', () => {
  it('names the removal flags and --no-snapshot when given', () => {
    expect(
      jobOptionFlagsGiven(
        parsed(['--remove-absent-users', '--remove-signed-in-absent-users', '--no-snapshot']),
      ),
    ).toEqual(['--remove-absent-users', '--remove-signed-in-absent-users', '--no-snapshot']);
  });

  it.each<[string, JobOptionFlags]>([
    ['no flag', {}],
    ['the flags at their defaults', { removeAbsentUsers: false, removeSignedInAbsentUsers: false }],
    ['a snapshot by default', { snapshot: true }],
    // A snapshot file is where the run reads WorkOS from, not an option of the job.
    ['a snapshot file', { snapshot: 'environment.snapshot' }],
  ])('names none for %s', (_, flags) => {
    expect(jobOptionFlagsGiven(flags)).toEqual([]);
  });
});
