import { createHash } from 'node:crypto';
import type { ImportUser } from './import-message.ts';

/*
 * The fingerprints the import stores in a WorkOS user's `import_digest` metadata: the record's,
 * then the imported password hash's, as `<record>.<password>`. The consumer compares them before
 * writing, the splitter against a snapshot of the environment before sending anything.
 */

/**
 * A fingerprint of everything the import writes. It is a truncated SHA-256 over the exported
 * fields, stored in the user's metadata: equal fingerprints mean nothing to write. It cannot be
 * turned back into a password hash, and a password hash's own salt makes it useless for
 * guessing passwords.
 */
export function importDigestOf(user: ImportUser): string {
  const canonical = JSON.stringify([
    user.email.toLowerCase(),
    user.emailVerified,
    user.firstName ?? null,
    user.lastName ?? null,
    user.passwordHash ?? null,
    user.passwordHashType ?? null,
    Object.entries(user.metadata ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    // Last and only when set: digests of users without a salt position stay as they were.
    ...(user.passwordSaltPosition === undefined ? [] : [user.passwordSaltPosition]),
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

/**
 * A fingerprint of the password hash alone (salted by the hash itself, so it reveals nothing).
 * The salt position counts only when set, so the digests of every other hash stay as they were.
 */
export function passwordDigestOf(user: ImportUser): string | undefined {
  if (user.passwordHash === undefined || user.passwordHashType === undefined) return undefined;
  const position = user.passwordSaltPosition === undefined ? '' : `\n${user.passwordSaltPosition}`;
  return createHash('sha256')
    .update(`${user.passwordHashType}\n${user.passwordHash}${position}`)
    .digest('base64url')
    .slice(0, 16);
}

/** The two fingerprints of a stored `import_digest`, either absent when it has none. */
export function parseStoredDigest(value: string | undefined): {
  record?: string;
  password?: string;
} {
  if (value === undefined) return {};
  const [record, password] = value.split('.');
  return { ...(record ? { record } : {}), ...(password ? { password } : {}) };
}
