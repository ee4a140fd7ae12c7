import { externalIdFor } from '../pipeline/external-id.ts';
import { isAuth0PasswordRecord, parseAuth0PasswordRecord } from './auth0-passwords.ts';
import {
  isPlausibleEmail,
  type LineParser,
  nonEmptyString,
  type ParsedRecord,
} from './parsed-record.ts';

/**
 * Parses one line of an Auth0 export: the bulk user export (NDJSON, as the Management API's
 * `users-exports` job writes it) or the password-hash export (see `auth0-passwords.ts`), told
 * apart by their fields. Both describe the same user by the same id, so the two files can arrive
 * in either order, or one alone, and converge on the same WorkOS user.
 *
 * Bulk user export mapping (WorkOS's Auth0 guide): `email`, `email_verified` exactly as
 * exported, `given_name` → first name, `family_name` → last name (else both from `name` when it
 * is unambiguously two words), and `user_id` → external id.
 *
 * Rejected, with a reason: lines that are not JSON objects, users without a `user_id` or a usable
 * email, and blocked users (importing them would let them sign in again).
 */
export const parseAuth0UserLine: LineParser = (text) => {
  if (text.trim() === '') return undefined;
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return { kind: 'rejected', reason: 'invalid_json' };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { kind: 'rejected', reason: 'not_an_object' };
  }
  const fields = record as Record<string, unknown>;
  return isAuth0PasswordRecord(fields)
    ? parseAuth0PasswordRecord(fields)
    : auth0UserFromRecord(fields);
};

function auth0UserFromRecord(record: Record<string, unknown>): ParsedRecord {
  const sourceId = nonEmptyString(record.user_id);
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_user_id' };
  if (record.blocked === true) return { kind: 'rejected', reason: 'blocked', sourceId };

  const email = nonEmptyString(record.email);
  if (email === undefined) return { kind: 'rejected', reason: 'missing_email', sourceId };
  if (!isPlausibleEmail(email)) return { kind: 'rejected', reason: 'invalid_email', sourceId };

  const { firstName, lastName } = namesOf(record);
  return {
    kind: 'user',
    user: {
      sourceId,
      externalId: externalIdFor(sourceId),
      email,
      emailVerified: record.email_verified === true,
      ...(firstName === undefined ? {} : { firstName }),
      ...(lastName === undefined ? {} : { lastName }),
      source: 'auth0',
    },
  };
}

/**
 * `given_name` and `family_name` when the export has either; otherwise `name` split in two, but
 * only when that is unambiguous: exactly two words and not an email (Auth0 fills `name` with the
 * email for database users who gave no name).
 */
function namesOf(record: Record<string, unknown>): { firstName?: string; lastName?: string } {
  const givenName = nonEmptyString(record.given_name);
  const familyName = nonEmptyString(record.family_name);
  if (givenName !== undefined || familyName !== undefined) {
    return {
      ...(givenName === undefined ? {} : { firstName: givenName }),
      ...(familyName === undefined ? {} : { lastName: familyName }),
    };
  }
  const name = nonEmptyString(record.name);
  const words = name?.split(/\s+/) ?? [];
  if (name === undefined || name.includes('@') || words.length !== 2) return {};
  const [firstName, lastName] = words as [string, string];
  return { firstName, lastName };
}
