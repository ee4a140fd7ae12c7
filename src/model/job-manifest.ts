import { posix } from 'node:path';
import { z } from 'zod';
import { jobOptionsSchema, maxFilesPerJob } from './import-message.ts';

/** The sources the splitter reads. */
export const sourceFormats = [
  'auth0',
  'generic',
  'firebase',
  'clerk',
  'cognito',
  'supabase',
] as const;
export type SourceFormat = (typeof sourceFormats)[number];

/**
 * What a file of a job holds. Auth0 splits a migration over several files: the users export,
 * the password-hash export, the organizations list and each organization's members.
 */
export const fileKinds = ['users', 'passwords', 'organizations', 'members'] as const;
export type FileKind = (typeof fileKinds)[number];

export const recordLayouts = ['ndjson', 'json-array', 'csv'] as const;

/** Firebase's project-wide scrypt parameters, as its console shows them. */
const firebaseParametersSchema = z.object({
  signerKey: z.string().min(1),
  saltSeparator: z.string(),
  rounds: z.number().int().positive(),
  memoryCost: z.number().int().positive(),
});

/** Per-job options: the consumer's (`jobOptionsSchema`) and the sources'. */
export const manifestOptionsSchema = jobOptionsSchema
  .extend({
    /** Import users the source has blocked or disabled; they are rejected (`blocked`) otherwise. */
    importBlockedUsers: z.boolean().optional(),
    /**
     * In a job with the users export, import password-export records whose user the users
     * export does not hold (deleted since, or of another connection) as users of their own;
     * they are rejected (`orphan_password`) otherwise.
     */
    importOrphanPasswords: z.boolean().optional(),
    /**
     * Split without listing WorkOS first: every record goes to the consumer, which finds what
     * WorkOS holds one record at a time (a refused create and a read for each user already
     * there). By default the split diffs the export against a snapshot of the environment.
     */
    skipWorkosSnapshot: z.boolean().optional(),
    /**
     * Remove, paced, the WorkOS users imported from this source that the job's export no longer
     * holds (deleted or blocked in the source since). Only for a job whose export is the source's
     * whole list of users; they are only reported (`absent_from_export`) otherwise.
     */
    removeAbsentUsers: z.boolean().optional(),
    /** With `removeAbsentUsers`: remove those who have signed in to WorkOS too (kept otherwise). */
    removeSignedInAbsentUsers: z.boolean().optional(),
    /** Source role name → WorkOS role slug, for memberships. */
    roleSlugs: z.record(z.string(), z.string().min(1)).optional(),
    firebase: firebaseParametersSchema.optional(),
  })
  .strict();
export type ManifestOptions = z.infer<typeof manifestOptionsSchema>;

const manifestFileSchema = z
  .object({
    /** Relative to the manifest's folder: a manifest reaches only files uploaded beside it. */
    key: z.string().min(1),
    /** Recognised from the file's first record when absent. */
    kind: z.enum(fileKinds).optional(),
    layout: z.enum(recordLayouts).optional(),
    /** For a `members` file: the organization whose members it lists (Auth0 `org_...`). */
    organizationId: z.string().min(1).optional(),
  })
  .strict();

/**
 * A job manifest: several files imported as one job (users and their password hashes joined
 * into one write per user, organizations and memberships), the source format when detection
 * should not decide, and per-job options.
 */
export const jobManifestSchema = z
  .object({
    version: z.literal(1).default(1),
    format: z.enum(sourceFormats).optional(),
    files: z.array(manifestFileSchema).min(1).max(maxFilesPerJob),
    options: manifestOptionsSchema.default({}),
  })
  .strict();
export type JobManifest = z.output<typeof jobManifestSchema>;

/** The name a manifest object must have (its folder names the job). */
export const manifestFileName = 'manifest.json';

export function isManifestKey(key: string): boolean {
  return posix.basename(key) === manifestFileName;
}

export class InvalidManifestError extends Error {
  override name = 'InvalidManifestError';
}

/** Parses a manifest, failing with one message that lists every problem. */
export function parseJobManifest(text: string): JobManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidManifestError('The job manifest is not valid JSON');
  }
  const result = jobManifestSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new InvalidManifestError(`The job manifest is not valid: ${problems.join('; ')}`);
  }
  const keys = new Set<string>();
  for (const file of result.data.files) {
    if (keys.has(file.key)) {
      throw new InvalidManifestError(`The job manifest names ${file.key} twice`);
    }
    keys.add(file.key);
  }
  return result.data;
}

/**
 * The key of a file a manifest names: relative keys are resolved against the manifest's folder,
 * and may not climb out of it (a manifest only reaches files uploaded beside it).
 */
export function resolveManifestFileKey(manifestKey: string, fileKey: string): string {
  const folder = posix.dirname(manifestKey);
  const resolved = posix.normalize(posix.join(folder, fileKey));
  const inside = folder === '.' ? !resolved.startsWith('..') : resolved.startsWith(`${folder}/`);
  if (!inside || posix.isAbsolute(fileKey)) {
    throw new InvalidManifestError(`The file ${fileKey} is outside the manifest's folder`);
  }
  return resolved;
}

/**
 * The order files are split in: organizations before users (memberships need both), users
 * before the password export (its records joined into users are settled by them), members last.
 */
const splitOrder: Record<FileKind, number> = {
  organizations: 0,
  users: 1,
  passwords: 2,
  members: 3,
};

export function inSplitOrder<T extends { kind: FileKind }>(files: readonly T[]): T[] {
  // Array.prototype.sort is stable: files of one kind keep the order they were named in.
  return [...files].sort((a, b) => splitOrder[a.kind] - splitOrder[b.kind]);
}
