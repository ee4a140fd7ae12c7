import { isImportableEmail } from '../email-address.ts';
import { isIndexableBcryptHash } from '../packed-bcrypt.ts';
import {
  nonEmptyString,
  type ParsedRecord,
  type PlannedRecord,
  plannedUserOf,
  userIdentity,
} from '../parsed-record.ts';

/** Whether a line of an Auth0 export is a record of the password-hash export (from Auth0 support). */
export function isAuth0PasswordRecord(record: Record<string, unknown>): boolean {
  return record.user_id === undefined && typeof record._id === 'object' && record._id !== null;
}

/**
 * One record of Auth0's password-hash export. It names the user by database id, not by
 * `user_id`: the user's Auth0 id is `auth0|` + `alt_id` when present (custom-database users,
 * users created with a custom id), else `auth0|` + `_id.$oid`. That is the key it joins on with
 * the bulk user export, whose `user_id` is the same string.
 *
 * Email and verification come from the root fields, or from `identifiers[]` where newer exports
 * put them. A bcrypt hash is imported exactly as exported; any other hash is not sent: the user is
 * imported without a password and reported as needing a password reset.
 */
export function parseAuth0PasswordRecord(record: Record<string, unknown>): ParsedRecord {
  const facts = auth0PasswordFactsOf(record);
  if (facts.kind === 'rejected') return facts;
  const { sourceId, email, emailVerified, passwordHash, note } = facts;
  return {
    kind: 'user',
    user: {
      ...userIdentity({ sourceId, email, emailVerified }),
      source: 'auth0',
      ...(passwordHash === undefined ? {} : { passwordHash, passwordHashType: 'bcrypt' }),
      ...(note === undefined ? {} : { note }),
      ...connectionMetadataOf(record),
    },
  };
}

/**
 * What the splitter plans with: the user a password record is about, with its hash (or why there
 * is none). The same checks as `parseAuth0PasswordRecord`, which starts here.
 */
export function planAuth0PasswordRecord(record: Record<string, unknown>): PlannedRecord {
  const facts = auth0PasswordFactsOf(record);
  return facts.kind === 'rejected' ? facts : plannedUserOf(facts);
}

type PasswordRecordFacts =
  | { kind: 'rejected'; reason: string; sourceId?: string }
  | {
      kind: 'user';
      sourceId: string;
      email: string;
      emailVerified: boolean;
      passwordHash?: string;
      note?: string;
    };

/** Every check that can reject a password record, and the hash it holds if WorkOS can take it. */
function auth0PasswordFactsOf(record: Record<string, unknown>): PasswordRecordFacts {
  const databaseId = nonEmptyString(record.alt_id) ?? objectIdOf(record._id);
  if (databaseId === undefined) return { kind: 'rejected', reason: 'missing_user_id' };
  const sourceId = `auth0|${databaseId}`;

  const identifier = emailIdentifierOf(record.identifiers);
  const email = nonEmptyString(record.email) ?? identifier?.value;
  if (email === undefined) return { kind: 'rejected', reason: 'missing_email', sourceId };
  if (!isImportableEmail(email)) return { kind: 'rejected', reason: 'invalid_email', sourceId };
  const emailVerified =
    typeof record.email_verified === 'boolean'
      ? record.email_verified
      : identifier?.verified === true;

  const hash = typeof record.passwordHash === 'string' ? record.passwordHash : undefined;
  // The shape the password index packs (`$2a$`, `$2b$` or `$2y$`, two digits of cost, 53
  // characters), so that every hash this parser accepts is one the join can carry.
  if (hash !== undefined && isIndexableBcryptHash(hash)) {
    return { kind: 'user', sourceId, email, emailVerified, passwordHash: hash };
  }
  return {
    kind: 'user',
    sourceId,
    email,
    emailVerified,
    note:
      hash === undefined
        ? 'password_reset_required:no_password_hash'
        : 'password_reset_required:unsupported_hash',
  };
}

function objectIdOf(id: unknown): string | undefined {
  if (typeof id !== 'object' || id === null || !('$oid' in id)) return undefined;
  return nonEmptyString(id.$oid);
}

function emailIdentifierOf(identifiers: unknown): { value: string; verified: boolean } | undefined {
  if (!Array.isArray(identifiers)) return undefined;
  for (const identifier of identifiers) {
    if (typeof identifier !== 'object' || identifier === null) continue;
    const { type, value, verified } = identifier as Record<string, unknown>;
    const email = nonEmptyString(value);
    if (type === 'email' && email !== undefined)
      return { value: email, verified: verified === true };
  }
  return undefined;
}

/** The database connection the hash came from, under the same fixed key the user export uses. */
function connectionMetadataOf(record: Record<string, unknown>): {
  metadata?: Record<string, string>;
} {
  const connection = nonEmptyString(record.connection);
  if (connection === undefined || connection.length > 600 || !/^[\x20-\x7e]*$/.test(connection)) {
    return {};
  }
  return { metadata: { auth0_connection: connection, auth0_provider: 'auth0' } };
}
