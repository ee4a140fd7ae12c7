import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.ts';
import { maxExternalIdLength } from '../model/external-id.ts';
import { isImportableEmail } from './email-address.ts';
import {
  nonEmptyString,
  type ParsedRecord,
  type RecordMapper,
  userIdentity,
} from './parsed-record.ts';
import {
  inferHashType,
  normalizeHashType,
  type PasswordFields,
  passwordFieldsFor,
} from './password-hashes.ts';
import { fitMetadata, importMetadataPairs, workosMetadataLimits } from './user-metadata.ts';

/**
 * Maps one record of a file in WorkOS's "other services" layout, CSV or JSON/NDJSON, to a user.
 *
 * Columns, in any order; where two names mean the same field, the first present wins:
 * - `email` (required), `first_name`/`firstName`, `last_name`/`lastName`;
 * - `email_verified`/`emailVerified`: `true/false/1/0/yes/no` in any case (CSV strings) or a JSON
 *   boolean; missing or empty is false; anything else rejects the record (`invalid_email_verified`);
 * - `password_hash`/`passwordHash` with `password_hash_type`/`passwordHashType` (a WorkOS type or
 *   a hasher name `normalizeHashType` knows). Without a type, the hash's own prefix names it
 *   (WorkOS's dashboard CSV template has a hash column but no type column);
 * - `password_salt_position`/`passwordSaltPosition` (`prefix` or `suffix`) for an `ssha256`
 *   hash; empty: WorkOS's default, `suffix`. Ignored beside other hash types;
 * - the source id from `external_id`/`externalId`/`user_id`/`userId`/`id`. Without one, the source
 *   id is derived from the lower-cased email (`email-sha256:<hex>`): re-runs of the same file are
 *   then idempotent by email, and an email never becomes an id that logs and reports repeat;
 * - `metadata`: an object (JSON) or a JSON object text (CSV), copied while it fits WorkOS's limits.
 *
 * A plain-text `password` column is not imported: the pipeline carries hashes only, so those
 * users are reported as needing a reset.
 */
export function createGenericUserMapper(options: { source?: string } = {}): RecordMapper {
  const source = options.source ?? 'generic';
  // The source name is written as the `import_source` metadata value on every user.
  if (!/^[\x21-\x7e]{1,40}$/.test(source)) {
    throw new ConfigError('Invalid generic source name: 1 to 40 printable ASCII characters');
  }
  return (fields) => genericUserFromRecord(fields, source);
}

const columns = {
  sourceId: ['external_id', 'externalId', 'user_id', 'userId', 'id'],
  firstName: ['first_name', 'firstName'],
  lastName: ['last_name', 'lastName'],
  emailVerified: ['email_verified', 'emailVerified'],
  passwordHash: ['password_hash', 'passwordHash'],
  passwordHashType: ['password_hash_type', 'passwordHashType'],
  passwordSaltPosition: ['password_salt_position', 'passwordSaltPosition'],
} as const;

/** Every column the generic layout reads, for recognising the layout from a header. */
export const genericColumnNames: readonly string[] = [
  'email',
  'metadata',
  ...Object.values(columns).flat(),
];

function firstPresent(fields: Record<string, unknown>, names: readonly string[]): unknown {
  for (const name of names) {
    const value = fields[name];
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

function genericUserFromRecord(
  fields: Record<string, unknown>,
  source: string,
): ParsedRecord | undefined {
  if (isBlankRecord(fields)) return undefined;
  const email = nonEmptyString(fields.email);
  const sourceId =
    nonEmptyString(firstPresent(fields, columns.sourceId)) ??
    (email === undefined ? undefined : emailSourceId(email));
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_email' };

  const emailVerified = exportedBoolean(firstPresent(fields, columns.emailVerified));
  if (emailVerified === 'invalid') {
    return { kind: 'rejected', reason: 'invalid_email_verified', sourceId };
  }
  const { metadata: customer, dropped } = customerMetadataOf(fields.metadata);
  return sourceUserRecord({
    sourceId,
    email,
    emailVerified,
    firstName: nonEmptyString(firstPresent(fields, columns.firstName)),
    lastName: nonEmptyString(firstPresent(fields, columns.lastName)),
    password: genericPasswordOf(fields),
    source,
    metadata: sourceMetadataOf(sourceId, [], customer, dropped),
    notes: [],
  });
}

/** Prefix of source ids derived from an email: never the email itself. */
export const emailSourceIdPrefix = 'email-sha256:';

/** 13 + 48 characters: within WorkOS's 64, so the derived id is also the external id. */
function emailSourceId(email: string): string {
  const digest = createHash('sha256').update(email.toLowerCase()).digest('hex');
  return `${emailSourceIdPrefix}${digest.slice(0, 48)}`;
}

function genericPasswordOf(fields: Record<string, unknown>): PasswordFields {
  const hash = nonEmptyString(firstPresent(fields, columns.passwordHash));
  const typeName = nonEmptyString(firstPresent(fields, columns.passwordHashType));
  if (hash === undefined) return passwordFieldsFor(undefined, undefined);
  const type = typeName === undefined ? inferHashType(hash) : normalizeHashType(typeName);
  const saltPosition = nonEmptyString(firstPresent(fields, columns.passwordSaltPosition));
  return passwordFieldsFor(type, hash, saltPosition);
}

const trueWords = new Set(['true', '1', 'yes']);
const falseWords = new Set(['false', '0', 'no']);

/** A boolean as CSV or JSON carries it; missing is false, anything unrecognised is `invalid`. */
function exportedBoolean(value: unknown): boolean | 'invalid' {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  const word = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (word === '') return false;
  if (word !== undefined && trueWords.has(word)) return true;
  if (word !== undefined && falseWords.has(word)) return false;
  return 'invalid';
}

/** The `metadata` column's entries, or one dropped entry when it is not an object. */
function customerMetadataOf(value: unknown): {
  metadata: [string, unknown][];
  dropped: number;
} {
  if (value === undefined || value === null || value === '') return { metadata: [], dropped: 0 };
  const object = typeof value === 'string' ? parsedJsonObject(value) : value;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    return { metadata: [], dropped: 1 };
  }
  return { metadata: Object.entries(object), dropped: 0 };
}

// ---------------------------------------------------------------------------------------------
// Shared by the other services' mappers (Firebase, Clerk, Cognito, Supabase): the checks and
// the note and metadata discipline every source applies the same way as `auth0/users.ts`.
// ---------------------------------------------------------------------------------------------

/** Names longer than this come from a damaged or hostile export (as in `auth0/users.ts`). */
export const maxNameLength = 1000;

/** Metadata key of the original source id, when it was too long to be the external id. */
export const sourceIdMetadataKey = 'source_id';

/** A record whose every field is empty: a blank CSV row, which holds no user. */
export function isBlankRecord(fields: Record<string, unknown>): boolean {
  return Object.values(fields).every(
    (value) => value === undefined || value === null || value === '',
  );
}

/** A JSON object's value from its text (CSV cells, Firebase's `customAttributes`), or undefined. */
export function parsedJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A full name split into first and last only when that is unambiguous: exactly two words and not
 * an email, as `auth0/users.ts` does.
 */
export function namesFromFullName(value: unknown): { firstName?: string; lastName?: string } {
  const name = nonEmptyString(value);
  const words = name?.split(/\s+/) ?? [];
  if (name === undefined || name.includes('@') || words.length !== 2) return {};
  const [firstName, lastName] = words as [string, string];
  return { firstName, lastName };
}

export interface SourceMetadata {
  metadata: Record<string, string>;
  /** How many candidate pairs did not fit: reported as `metadata_not_imported:<n>`. */
  droppedKeys: number;
}

/**
 * The source's fixed facts first (each given its key, present or not, so a re-run never writes
 * more keys than WorkOS allows), then the original id when it was too long to be the external
 * id, then the customer's own entries while they fit. `alreadyDropped` counts entries the mapper
 * could not even read (an unparseable metadata text).
 */
export function sourceMetadataOf(
  sourceId: string,
  fixed: [string, unknown][],
  customer: Iterable<[string, unknown]>,
  alreadyDropped = 0,
): SourceMetadata {
  const fixedRoom = fixed.length + 1;
  const fixedFit = fitMetadata(
    [...fixed, [sourceIdMetadataKey, sourceId.length > maxExternalIdLength ? sourceId : undefined]],
    fixedRoom,
  );
  const customerFit = fitMetadata(
    customer,
    workosMetadataLimits.maxPairs - importMetadataPairs - fixedRoom,
  );
  return {
    metadata: { ...fixedFit.metadata, ...customerFit.metadata },
    droppedKeys: alreadyDropped + fixedFit.dropped.length + customerFit.dropped.length,
  };
}

/** What a mapper has read from one record, before the checks every source shares. */
export interface SourceUserParts {
  sourceId: string;
  email: string | undefined;
  emailVerified: boolean;
  firstName?: string | undefined;
  lastName?: string | undefined;
  password: PasswordFields;
  source: string;
  metadata: SourceMetadata;
  /** Notes that apply before the password and metadata notes (`blocked_in_source`...). */
  notes: (string | undefined)[];
}

/**
 * The import user, or the rejection every source shares: `missing_email` (phone-only users among
 * them), `invalid_email`, `name_too_long`. Notes are joined in a fixed order: the source's, the
 * password's, then `metadata_not_imported:<n>`.
 */
export function sourceUserRecord(parts: SourceUserParts): ParsedRecord {
  const { sourceId, email, firstName, lastName } = parts;
  if (email === undefined) return { kind: 'rejected', reason: 'missing_email', sourceId };
  if (!isImportableEmail(email)) return { kind: 'rejected', reason: 'invalid_email', sourceId };
  if ((firstName?.length ?? 0) > maxNameLength || (lastName?.length ?? 0) > maxNameLength) {
    return { kind: 'rejected', reason: 'name_too_long', sourceId };
  }
  const { droppedKeys } = parts.metadata;
  const notes = [
    ...parts.notes,
    parts.password.note,
    droppedKeys > 0 ? `metadata_not_imported:${droppedKeys}` : undefined,
  ].filter((note) => note !== undefined);
  return {
    kind: 'user',
    user: {
      ...userIdentity({ sourceId, email, emailVerified: parts.emailVerified, firstName, lastName }),
      ...(parts.password.passwordHash === undefined
        ? {}
        : {
            passwordHash: parts.password.passwordHash,
            passwordHashType: parts.password.passwordHashType,
            ...(parts.password.passwordSaltPosition === undefined
              ? {}
              : { passwordSaltPosition: parts.password.passwordSaltPosition }),
          }),
      source: parts.source,
      ...(Object.keys(parts.metadata.metadata).length === 0
        ? {}
        : { metadata: parts.metadata.metadata }),
      ...(notes.length === 0 ? {} : { note: notes.join(';') }),
    },
  };
}
