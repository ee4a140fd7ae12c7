import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../errors.ts';
import {
  type ManifestOptions,
  manifestOptionsSchema,
  type SourceFormat,
  sourceFormats,
} from '../model/job-manifest.ts';

/** The per-job choices as commander parses them. */
export interface JobOptionFlags {
  format?: SourceFormat;
  importBlocked?: boolean;
  importOrphanPasswords?: boolean;
  overwriteExisting?: boolean;
  sendPasswordResets?: boolean;
  role?: Record<string, string>;
  firebaseHashConfig?: string;
  removeAbsentUsers?: boolean;
  removeSignedInAbsentUsers?: boolean;
  /**
   * `--no-snapshot`: false (split without listing WorkOS first); `--snapshot <file>` where the
   * command reads one from a file (local mode, validate).
   */
  snapshot?: string | boolean;
}

/** Adds the options of a job (the same ones a manifest's `options` holds) to a command. */
export function withJobOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--format <source>',
        'the export source (default: recognised from the file)',
      ).choices(sourceFormats),
    )
    .option('--import-blocked', 'import users the source marks blocked or disabled', false)
    .option(
      '--import-orphan-passwords',
      'import password records whose user the users export does not hold as users of their own',
      false,
    )
    .option(
      '--overwrite-existing',
      'update WorkOS users this tool did not create (default: link them and leave them as they are)',
      false,
    )
    .option(
      '--send-password-resets',
      'email a WorkOS password reset to imported users who have no usable password hash',
      false,
    )
    .addOption(
      new Option(
        '--role <source-role=workos-slug>',
        'map a source role name to a WorkOS role slug (repeatable)',
      )
        .argParser(collectRoleSlug)
        .default(undefined),
    )
    .option(
      '--remove-absent-users',
      'remove, paced, the WorkOS users imported from this source that the export no longer holds ' +
        '(only for an export of every user of the source; default: list them as absent_from_export)',
      false,
    )
    .option(
      '--remove-signed-in-absent-users',
      'with --remove-absent-users, remove those who have signed in to WorkOS too (kept by default)',
      false,
    )
    .option(
      '--firebase-hash-config <file>',
      "JSON file with Firebase's password hash parameters: signerKey, saltSeparator, rounds, memoryCost",
    );
}

function collectRoleSlug(value: string, previous: Record<string, string> | undefined) {
  const separator = value.lastIndexOf('=');
  if (separator <= 0 || separator === value.length - 1) {
    throw new InvalidArgumentError('expected <source-role>=<workos-slug>');
  }
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

/** The job option flags given on the command line (`--format` aside: it has its own key). */
export function jobOptionFlagsGiven(options: JobOptionFlags): string[] {
  return [
    ...(options.importBlocked ? ['--import-blocked'] : []),
    ...(options.importOrphanPasswords ? ['--import-orphan-passwords'] : []),
    ...(options.overwriteExisting ? ['--overwrite-existing'] : []),
    ...(options.sendPasswordResets ? ['--send-password-resets'] : []),
    ...(options.role === undefined ? [] : ['--role']),
    ...(options.firebaseHashConfig === undefined ? [] : ['--firebase-hash-config']),
    ...(options.removeAbsentUsers ? ['--remove-absent-users'] : []),
    ...(options.removeSignedInAbsentUsers ? ['--remove-signed-in-absent-users'] : []),
    ...(options.snapshot === false ? ['--no-snapshot'] : []),
  ];
}

/** The job's options, validated with the manifest's own schema. */
export async function jobOptionsOf(flags: JobOptionFlags): Promise<ManifestOptions> {
  const firebase =
    flags.firebaseHashConfig === undefined
      ? undefined
      : await readFirebaseHashConfig(flags.firebaseHashConfig);
  const result = manifestOptionsSchema.safeParse({
    ...(flags.importBlocked ? { importBlockedUsers: true } : {}),
    ...(flags.importOrphanPasswords ? { importOrphanPasswords: true } : {}),
    ...(flags.overwriteExisting ? { overwriteExistingUsers: true } : {}),
    ...(flags.sendPasswordResets ? { sendPasswordResets: true } : {}),
    ...(flags.role === undefined ? {} : { roleSlugs: flags.role }),
    ...(firebase === undefined ? {} : { firebase }),
    ...(flags.removeAbsentUsers ? { removeAbsentUsers: true } : {}),
    ...(flags.removeSignedInAbsentUsers ? { removeSignedInAbsentUsers: true } : {}),
    ...(flags.snapshot === false ? { skipWorkosSnapshot: true } : {}),
  });
  if (flags.removeSignedInAbsentUsers && !flags.removeAbsentUsers) {
    throw new ConfigError('--remove-signed-in-absent-users goes with --remove-absent-users');
  }
  if (!result.success) {
    throw new ConfigError(
      `Invalid job options: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  return result.data;
}

/**
 * Firebase's console shows the parameters as `base64_signer_key`, `base64_salt_separator`,
 * `rounds` and `mem_cost`; both that spelling and ours are accepted.
 */
async function readFirebaseHashConfig(path: string): Promise<unknown> {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new ConfigError(`${path} is not a readable JSON file`);
  }
  return {
    signerKey: parsed.signerKey ?? parsed.base64_signer_key,
    saltSeparator: parsed.saltSeparator ?? parsed.base64_salt_separator,
    rounds: parsed.rounds,
    memoryCost: parsed.memoryCost ?? parsed.mem_cost,
  };
}
