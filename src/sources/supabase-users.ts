import {
  isBlankRecord,
  namesFromFullName,
  parsedJsonObject,
  sourceMetadataOf,
  sourceUserRecord,
} from './generic-users.ts';
import { nonEmptyString, type ParsedRecord, type RecordMapper } from './parsed-record.ts';
import { inferHashType, passwordFieldsFor } from './password-hashes.ts';

/**
 * Maps one row of Supabase's `auth.users` (reference D.7), exported as CSV
 * (`COPY (SELECT id, email, encrypted_password, email_confirmed_at, raw_user_meta_data,
 * created_at FROM auth.users) TO STDOUT WITH CSV HEADER`, where NULL is an empty cell) or as JSON.
 *
 * `id` → source id; the email is verified when `email_confirmed_at` is set; `encrypted_password`
 * is Supabase's bcrypt string, sent as-is (empty for OAuth-only users: noted
 * `password_reset_required:no_password_hash`). `raw_user_meta_data` (a JSON text in CSV, an
 * object in JSON) gives the names, `first_name`/`last_name`, else `full_name` or `name` split when
 * unambiguous; its other keys are kept in metadata as `user.<key>` while they fit. When the row
 * also has `raw_app_meta_data`, its sign-in providers are kept in metadata.
 */
export function createSupabaseUserMapper(): RecordMapper {
  return supabaseUserFromRecord;
}

/** Keys of the Supabase facts every user may carry. */
export const supabaseMetadataKeys = {
  providers: 'supabase_providers',
} as const;

const nameKeys = new Set(['first_name', 'last_name', 'full_name', 'name']);

/** A JSON column: an object in a JSON export, its text in a CSV one. */
function jsonColumn(value: unknown): { object?: Record<string, unknown>; unreadable: boolean } {
  if (value === undefined || value === null || value === '') return { unreadable: false };
  const object =
    typeof value === 'string'
      ? parsedJsonObject(value)
      : typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
  return object === undefined ? { unreadable: true } : { object, unreadable: false };
}

function supabaseUserFromRecord(record: Record<string, unknown>): ParsedRecord | undefined {
  if (isBlankRecord(record)) return undefined;
  const sourceId = nonEmptyString(record.id);
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_user_id' };

  const userMeta = jsonColumn(record.raw_user_meta_data);
  const meta = userMeta.object ?? {};
  const firstName = nonEmptyString(meta.first_name);
  const lastName = nonEmptyString(meta.last_name);
  const names =
    firstName === undefined && lastName === undefined
      ? namesFromFullName(nonEmptyString(meta.full_name) ?? meta.name)
      : { firstName, lastName };
  const hash = nonEmptyString(record.encrypted_password);

  return sourceUserRecord({
    sourceId,
    email: nonEmptyString(record.email),
    emailVerified: nonEmptyString(record.email_confirmed_at) !== undefined,
    ...names,
    password: passwordFieldsFor(hash === undefined ? undefined : inferHashType(hash), hash),
    source: 'supabase',
    metadata: sourceMetadataOf(
      sourceId,
      [[supabaseMetadataKeys.providers, providersOf(record.raw_app_meta_data)]],
      Object.entries(meta)
        .filter(([key]) => !nameKeys.has(key))
        .map(([key, value]) => [`user.${key}`, value]),
      userMeta.unreadable ? 1 : 0,
    ),
    notes: [],
  });
}

/** `raw_app_meta_data.providers` (else `.provider`), comma-joined: `email,google`. */
function providersOf(value: unknown): string | undefined {
  const appMeta = jsonColumn(value).object;
  if (appMeta === undefined) return undefined;
  const providers = Array.isArray(appMeta.providers)
    ? appMeta.providers.filter((provider): provider is string => typeof provider === 'string')
    : [];
  const provider = nonEmptyString(appMeta.provider);
  if (providers.length > 0) return providers.join(',');
  return provider;
}
