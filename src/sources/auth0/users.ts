import { maxExternalIdLength } from '../../model/external-id.ts';
import { isImportableEmail } from '../email-address.ts';
import {
  type ExportFormatOptions,
  type LineParser,
  nonEmptyString,
  type ParsedRecord,
  type RecordMapper,
  type RecordPlanner,
  userIdentity,
} from '../parsed-record.ts';
import { fitMetadata, importMetadataPairs, workosMetadataLimits } from '../user-metadata.ts';
import {
  isAuth0PasswordRecord,
  parseAuth0PasswordRecord,
  planAuth0PasswordRecord,
} from './passwords.ts';

/**
 * Parses one line of an Auth0 export: the bulk user export (NDJSON, as the Management API's
 * `users-exports` job writes it) or the password-hash export (see `passwords.ts`), told
 * apart by their fields. Both describe the same user by the same id, so the two files can arrive
 * in either order, or one alone, and converge on the same WorkOS user.
 *
 * Bulk user export mapping (WorkOS's Auth0 guide): `email`, `email_verified` exactly as
 * exported, `given_name` → first name, `family_name` → last name (else both from `name` when it
 * is unambiguously two words), and `user_id` → external id.
 *
 * Rejected, with a reason: lines that are not JSON objects, users without a `user_id` or a usable
 * email, and blocked users (importing them would let them sign in again), unless the job opts in
 * with `importBlockedUsers`: they are then imported and reported as `blocked_in_source`.
 */
export function createAuth0LineParser(options: ExportFormatOptions = {}): LineParser {
  const mapRecord = createAuth0RecordMapper(options);
  return (text) => {
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
    return mapRecord(record as Record<string, unknown>);
  };
}

/** The same mapping for a record already decoded (an NDJSON line, a JSON array element, a CSV row). */
export function createAuth0RecordMapper(options: ExportFormatOptions = {}): RecordMapper {
  return (fields) =>
    isAuth0PasswordRecord(fields)
      ? parseAuth0PasswordRecord(fields)
      : auth0UserFromRecord(fields, options);
}

/**
 * What the splitter's planning reads of an Auth0 record: the same checks as the mapper, without
 * the profile and metadata it builds for the message.
 */
export function createAuth0RecordPlanner(options: ExportFormatOptions = {}): RecordPlanner {
  return (fields) => {
    if (isAuth0PasswordRecord(fields)) return planAuth0PasswordRecord(fields);
    const key = auth0UserKeyOf(fields, options);
    return key.kind === 'rejected'
      ? key
      : { kind: 'user', sourceId: key.sourceId, email: key.email };
  };
}

/** The Auth0 parser with the default options: blocked users are rejected. */
export const parseAuth0UserLine: LineParser = createAuth0LineParser();

function auth0UserFromRecord(
  record: Record<string, unknown>,
  options: ExportFormatOptions,
): ParsedRecord {
  const key = auth0UserKeyOf(record, options);
  if (key.kind === 'rejected') return key;
  const { sourceId, email, blocked, firstName, lastName } = key;
  const { metadata, droppedKeys } = auth0MetadataOf(record, sourceId);
  return {
    kind: 'user',
    user: {
      ...userIdentity({
        sourceId,
        email,
        emailVerified: record.email_verified === true,
        firstName,
        lastName,
      }),
      source: 'auth0',
      metadata,
      ...noteOf([
        blocked ? 'blocked_in_source' : undefined,
        // Auth0 exports no MFA secrets (SMS, OTP, push): enrolled users must enrol again in WorkOS.
        Array.isArray(record.multifactor) && record.multifactor.length > 0
          ? 'mfa_reenrolment_required'
          : undefined,
        droppedKeys > 0 ? `metadata_not_imported:${droppedKeys}` : undefined,
      ]),
    },
  };
}

/** What decides whether a user record of the bulk export is imported: its id, email and names. */
type Auth0UserKey =
  | { kind: 'rejected'; reason: string; sourceId?: string }
  | {
      kind: 'user';
      sourceId: string;
      email: string;
      blocked: boolean;
      firstName?: string;
      lastName?: string;
    };

/**
 * Every check that can reject a user record of the bulk export, and nothing else. The full
 * mapping and the splitter's planning read both start here, so they never disagree on a verdict.
 */
function auth0UserKeyOf(
  record: Record<string, unknown>,
  options: ExportFormatOptions,
): Auth0UserKey {
  const sourceId = nonEmptyString(record.user_id);
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_user_id' };
  const blocked = record.blocked === true;
  if (blocked && !options.importBlockedUsers)
    return { kind: 'rejected', reason: 'blocked', sourceId };

  const email = nonEmptyString(record.email);
  if (email === undefined) return { kind: 'rejected', reason: 'missing_email', sourceId };
  if (!isImportableEmail(email)) return { kind: 'rejected', reason: 'invalid_email', sourceId };

  const { firstName, lastName } = namesOf(record);
  if ((firstName?.length ?? 0) > maxNameLength || (lastName?.length ?? 0) > maxNameLength) {
    return { kind: 'rejected', reason: 'name_too_long', sourceId };
  }
  return {
    kind: 'user',
    sourceId,
    email,
    blocked,
    ...(firstName === undefined ? {} : { firstName }),
    ...(lastName === undefined ? {} : { lastName }),
  };
}

/** Auth0 caps names far below this; a longer one is a damaged or hostile export. */
const maxNameLength = 1000;

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

/**
 * Keys of the Auth0 facts every user may carry. They are fixed, so the users file and the
 * password-hash export together never write more keys than WorkOS allows.
 */
export const auth0MetadataKeys = {
  provider: 'auth0_provider',
  connection: 'auth0_connection',
  /** The original user id, when it was too long to be the external id. */
  sourceId: 'source_id',
} as const;

/** Pairs left for the customer's own Auth0 metadata: 10 − 2 the tool writes − 3 fixed keys. */
const customerMetadataRoom =
  workosMetadataLimits.maxPairs - importMetadataPairs - Object.keys(auth0MetadataKeys).length;

/**
 * The provider and connection (so social and enterprise users can be told apart after the
 * move), the original id when it did not fit as external id, then `app_metadata` and
 * `user_metadata` entries (as `app.<key>` and `user.<key>`) while they fit WorkOS's limits.
 */
function auth0MetadataOf(
  record: Record<string, unknown>,
  sourceId: string,
): { metadata: Record<string, string>; droppedKeys: number } {
  const identity = Array.isArray(record.identities) ? record.identities[0] : undefined;
  const identityFields =
    typeof identity === 'object' && identity !== null ? (identity as Record<string, unknown>) : {};
  const provider = nonEmptyString(identityFields.provider) ?? sourceId.split('|')[0];
  const fixed = fitMetadata(
    [
      [auth0MetadataKeys.provider, provider],
      [auth0MetadataKeys.connection, nonEmptyString(identityFields.connection)],
      [auth0MetadataKeys.sourceId, sourceId.length > maxExternalIdLength ? sourceId : undefined],
    ],
    Object.keys(auth0MetadataKeys).length,
  );
  const customer = fitMetadata(
    [
      ...prefixedEntries('app', record.app_metadata),
      ...prefixedEntries('user', record.user_metadata),
    ],
    customerMetadataRoom,
  );
  return {
    metadata:
      Object.keys(customer.metadata).length === 0
        ? fixed.metadata
        : { ...fixed.metadata, ...customer.metadata },
    droppedKeys: fixed.dropped.length + customer.dropped.length,
  };
}

function prefixedEntries(prefix: string, value: unknown): [string, unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).map(([key, entry]) => [`${prefix}.${key}`, entry]);
}

/** Joins the notes that apply into one reason code, or nothing. */
function noteOf(notes: (string | undefined)[]): { note?: string } {
  const present = notes.filter((note) => note !== undefined);
  return present.length === 0 ? {} : { note: present.join(';') };
}
