import { DuplicateUserError, PermanentImportError, TransientImportError } from '../errors.ts';
import { importDigestOf, parseStoredDigest, passwordDigestOf } from '../model/import-digest.ts';
import type { ImportUser } from '../model/import-message.ts';
import { importMetadataKeys } from '../model/import-metadata.ts';
import type {
  DirectoryUser,
  DirectoryUserChanges,
  UserDirectory,
} from '../workos/user-directory.ts';

/**
 * `rejected`: WorkOS holds the record's email under another user and the record cannot stand
 * for it (a password record whose own user is absent): a data condition, not a failure.
 */
export type UpsertStatus = 'created' | 'updated' | 'unchanged' | 'rejected';

export interface UpsertResult {
  status: UpsertStatus;
  workosUserId: string;
  /** Why an existing user was left alone or only partly updated. */
  reason?: string;
}

export interface UpsertOptions {
  /**
   * Update a user who exists in WorkOS without having been created by this tool (and give them
   * this record's external id), instead of linking and leaving them as they are.
   */
  overwriteExistingUsers?: boolean;
}

/**
 * Creates the user in WorkOS, or reconciles the one already there, so that any number of
 * deliveries of the same record converge on one WorkOS user.
 *
 * Create comes first: for a new user (the common case in a migration) that is the only call, one
 * write. A record marked `existingLikely` (a password-hash export read after its users) looks
 * up first instead: one read and one update, where create-first would spend two writes. When
 * WorkOS reports a duplicate the upsert looks the user up:
 * - by external id: a user this tool created from the same source record (a redelivery, a re-run
 *   of the file). It is updated where the export differs, or left unchanged.
 * - by email, with no external id: a user who exists in WorkOS already and was not created by this
 *   tool (signed up during a dual-run). It is linked (its id reported) and never overwritten,
 *   unless the job opts in with `overwriteExistingUsers`.
 * - by email, with another external id: the email belongs to a different source user.
 */
export async function upsertUser(
  directory: UserDirectory,
  user: ImportUser,
  options: UpsertOptions = {},
): Promise<UpsertResult> {
  const digest = importDigestOf(user);
  if (user.existingLikely) {
    const ours = await directory.findUserByExternalId(user.externalId);
    if (ours !== undefined) return reconcile(directory, ours, user, digest);
  }
  try {
    const created = await directory.createUser({
      email: user.email,
      emailVerified: user.emailVerified,
      firstName: user.firstName,
      lastName: user.lastName,
      externalId: user.externalId,
      passwordHash: user.passwordHash,
      passwordHashType: user.passwordHashType,
      ...(user.passwordSaltPosition === undefined
        ? {}
        : { passwordSaltPosition: user.passwordSaltPosition }),
      metadata: importMetadataOf(user, digest),
    });
    return { status: 'created', workosUserId: created.id };
  } catch (error) {
    if (!(error instanceof DuplicateUserError)) throw error;
  }

  const ours = await directory.findUserByExternalId(user.externalId);
  if (ours !== undefined) return reconcile(directory, ours, user, digest);

  const sameEmail = await directory.findUserByEmail(user.email);
  if (sameEmail === undefined) {
    // WorkOS said duplicate but neither lookup sees the user: a concurrent delete, or a read that
    // has not caught up yet. Trying again later settles it either way.
    throw new TransientImportError('duplicate_not_found', 'Duplicate user could not be found');
  }
  if (sameEmail.externalId === null || sameEmail.externalId === '') {
    if (options.overwriteExistingUsers) {
      return reconcile(directory, sameEmail, user, digest, { link: true });
    }
    return {
      status: 'unchanged',
      workosUserId: sameEmail.id,
      reason: 'existing_user_not_overwritten',
    };
  }
  return resolveEmailHeldByAnotherUser(sameEmail, user);
}

/**
 * WorkOS holds the email under a user with another external id. Only what an operator can fix
 * and redrive fails; a data condition no redrive can change is settled with its reason:
 * - a password record whose own user is absent: its hash must never attach to another user,
 *   so it is rejected (`orphan_password_email_in_use`);
 * - a holder this tool imported from the same source (its `import_source`): the same email on
 *   two records of the source, split by different jobs, is what one job merges: the record ends
 *   `unchanged`, reported as merged into the holder;
 * - a holder WorkOS has from elsewhere under a foreign external id: failed, for the operator.
 */
function resolveEmailHeldByAnotherUser(holder: DirectoryUser, user: ImportUser): UpsertResult {
  if (user.onlyInPasswordExport) {
    return { status: 'rejected', workosUserId: holder.id, reason: 'orphan_password_email_in_use' };
  }
  if (holder.metadata[importMetadataKeys.source] === user.source) {
    return { status: 'unchanged', workosUserId: holder.id, reason: 'merged_into_existing_user' };
  }
  throw new PermanentImportError(
    'email_belongs_to_other_user',
    'Another WorkOS user, with a different external id, holds this email',
  );
}

async function reconcile(
  directory: UserDirectory,
  existing: DirectoryUser,
  user: ImportUser,
  digest: string,
  { link = false }: { link?: boolean } = {},
): Promise<UpsertResult> {
  const stored = parseStoredDigest(existing.metadata[importMetadataKeys.digest]);
  if (stored.record === digest) {
    return { status: 'unchanged', workosUserId: existing.id };
  }

  const { changes, reason } = changesToApply(existing, user, stored.password);
  // A linked user takes the record's external id, so the next run finds it as one of ours.
  if (link) changes.externalId = user.externalId;
  if (Object.keys(changes).length === 0) {
    return { status: 'unchanged', workosUserId: existing.id, ...(reason ? { reason } : {}) };
  }
  // Metadata updates are partial in WorkOS: keys set since the import are kept.
  changes.metadata = importMetadataOf(user, digest, stored.password);
  try {
    const updated = await directory.updateUser(existing.id, changes);
    return { status: 'updated', workosUserId: updated.id, ...(reason ? { reason } : {}) };
  } catch (error) {
    if (error instanceof DuplicateUserError) {
      throw new PermanentImportError(
        'email_belongs_to_other_user',
        'The exported email is held by another WorkOS user',
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * What to change on a user this tool created earlier so it matches the export again. Fields the
 * export leaves empty are kept. `emailVerified` only moves from false to true when the export
 * says true: an import never marks an email verified that the source did not verify, and never
 * takes a verification back. A password hash is applied only while the user has never signed
 * in to WorkOS, so a password set after the migration is never replaced by the old one.
 */
function changesToApply(
  existing: DirectoryUser,
  user: ImportUser,
  storedPasswordDigest: string | undefined,
): { changes: DirectoryUserChanges; reason?: string } {
  const changes: DirectoryUserChanges = {};
  let reason: string | undefined;
  if (existing.email.toLowerCase() !== user.email.toLowerCase()) changes.email = user.email;
  if (user.firstName !== undefined && user.firstName !== existing.firstName) {
    changes.firstName = user.firstName;
  }
  if (user.lastName !== undefined && user.lastName !== existing.lastName) {
    changes.lastName = user.lastName;
  }
  if (user.emailVerified && !existing.emailVerified) changes.emailVerified = true;
  for (const [key, value] of Object.entries(user.metadata ?? {})) {
    if (existing.metadata[key] !== value) changes.metadata = { ...changes.metadata, [key]: value };
  }
  // WorkOS never returns a hash, so the one imported last is known by its fingerprint: the
  // same hash again is no change.
  const newPassword =
    user.passwordHash !== undefined &&
    user.passwordHashType !== undefined &&
    passwordDigestOf(user) !== storedPasswordDigest;
  if (newPassword && user.passwordHash !== undefined && user.passwordHashType !== undefined) {
    if (existing.lastSignInAt === null) {
      changes.passwordHash = user.passwordHash;
      changes.passwordHashType = user.passwordHashType;
      if (user.passwordSaltPosition !== undefined) {
        changes.passwordSaltPosition = user.passwordSaltPosition;
      }
    } else {
      reason = 'password_kept_user_signed_in';
    }
  }
  return reason === undefined ? { changes } : { changes, reason };
}

/**
 * What the tool writes in a user's metadata: the source's details and its own two keys. The
 * digest key holds the record's fingerprint, then the imported password hash's (kept from an
 * earlier write when this record has none): `<record>.<password>`.
 */
function importMetadataOf(
  user: ImportUser,
  digest: string,
  storedPasswordDigest?: string,
): Record<string, string> {
  const password = passwordDigestOf(user) ?? storedPasswordDigest;
  return {
    ...user.metadata,
    [importMetadataKeys.source]: user.source,
    [importMetadataKeys.digest]: password === undefined ? digest : `${digest}.${password}`,
  };
}
