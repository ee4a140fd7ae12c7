import { externalIdFor } from '../pipeline/external-id.ts';
import {
  isPlausibleEmail,
  type LineParser,
  nonEmptyString,
  type ParsedRecord,
} from './parsed-record.ts';

/**
 * Parses one line of an Auth0 bulk user export (NDJSON, as the Management API's
 * `users-exports` job writes it). Mapping (WorkOS's Auth0 guide): `email`, `email_verified`
 * exactly as exported, `given_name` → first name, `family_name` → last name, and `user_id` →
 * external id.
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
  return auth0UserFromRecord(record as Record<string, unknown>);
};

function auth0UserFromRecord(record: Record<string, unknown>): ParsedRecord {
  const sourceId = nonEmptyString(record.user_id);
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_user_id' };
  if (record.blocked === true) return { kind: 'rejected', reason: 'blocked', sourceId };

  const email = nonEmptyString(record.email);
  if (email === undefined) return { kind: 'rejected', reason: 'missing_email', sourceId };
  if (!isPlausibleEmail(email)) return { kind: 'rejected', reason: 'invalid_email', sourceId };

  const firstName = nonEmptyString(record.given_name);
  const lastName = nonEmptyString(record.family_name);
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
