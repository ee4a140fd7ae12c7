import { EmulatorHttpError } from './http.ts';
import { passwordHashProblem } from './password-hash-formats.ts';
import {
  type PasswordHashType,
  type PasswordSaltPosition,
  passwordHashTypes,
  passwordSaltPositions,
  saltPositionHashType,
} from './password-hash-types.ts';

/** One entry of a 422 body's `errors[]`. */
export interface ValidationIssue {
  code: string;
  message: string;
}

/** How a password arrives: a plain password, or a hash imported from another system. */
export type PasswordInput =
  | { kind: 'password'; password: string }
  | {
      kind: 'password_hash';
      hash: string;
      hashType: PasswordHashType;
      /** `password_salt_position`, sent only with `ssha256`; absent means `suffix`. */
      saltPosition?: PasswordSaltPosition;
    };

export interface NewUserInput {
  email: string;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  name: string | null;
  externalId: string | null;
  metadata: Record<string, string>;
  password: PasswordInput | null;
}

/** Only the fields the request carried; anything absent stays as it is. */
export interface UserChanges {
  email?: string;
  emailVerified?: boolean;
  firstName?: string | null;
  lastName?: string | null;
  name?: string | null;
  locale?: string | null;
  externalId?: string | null;
  /** Merged into the stored metadata; a null value deletes that key. */
  metadataPatch?: Record<string, string | null>;
  password?: PasswordInput;
}

/** WorkOS limits (reference C.3). */
export const externalIdMaxLength = 64;
export const metadataMaxKeys = 10;
export const metadataKeyMaxLength = 40;
export const metadataValueMaxLength = 600;

const emailShape = /^[^\s@]+@[^\s@]+$/;
const asciiOnly = /^[\x20-\x7E]*$/;

/** The 422 WorkOS sends for invalid parameters (observed shape, reference B.2). */
export function validationFailed(issues: ValidationIssue[]): EmulatorHttpError {
  return new EmulatorHttpError(422, {
    message: 'Validation failed',
    code: 'invalid_request_parameters',
    errors: issues,
  });
}

/** Validates a create-user body; throws the 422 listing every problem found. */
export function parseNewUser(body: Record<string, unknown>): NewUserInput {
  const issues: ValidationIssue[] = [];
  const email = readEmail(body.email, issues);
  const emailVerified = readOptionalBoolean(body, 'email_verified', issues);
  const firstName = readOptionalString(body, 'first_name', issues);
  const lastName = readOptionalString(body, 'last_name', issues);
  const name = readOptionalString(body, 'name', issues);
  const externalId = readExternalId(body.external_id, issues);
  const metadata = readNewMetadata(body.metadata, issues);
  const password = readPassword(body, issues);
  if (issues.length > 0) throw validationFailed(issues);
  return {
    email: email ?? '',
    emailVerified: emailVerified ?? false,
    firstName: firstName ?? null,
    lastName: lastName ?? null,
    name: name ?? null,
    externalId: externalId ?? null,
    metadata,
    password: password ?? null,
  };
}

/** Validates an update-user body. Metadata size is checked by the caller, after the merge. */
export function parseUserChanges(body: Record<string, unknown>): UserChanges {
  const issues: ValidationIssue[] = [];
  const changes: UserChanges = {};
  if (body.email !== undefined) {
    const email = readEmail(body.email, issues);
    if (email !== undefined) changes.email = email;
  }
  const emailVerified = readOptionalBoolean(body, 'email_verified', issues);
  if (emailVerified !== undefined) changes.emailVerified = emailVerified;
  const firstName = readOptionalString(body, 'first_name', issues);
  if (firstName !== undefined) changes.firstName = firstName;
  const lastName = readOptionalString(body, 'last_name', issues);
  if (lastName !== undefined) changes.lastName = lastName;
  const name = readOptionalString(body, 'name', issues);
  if (name !== undefined) changes.name = name;
  const locale = readOptionalString(body, 'locale', issues);
  if (locale !== undefined) changes.locale = locale;
  const externalId = readExternalId(body.external_id, issues);
  if (externalId !== undefined) changes.externalId = externalId;
  const metadataPatch = readMetadata(body.metadata, { nullDeletes: true }, issues);
  if (metadataPatch !== undefined) changes.metadataPatch = metadataPatch;
  const password = readPassword(body, issues);
  if (password !== undefined) changes.password = password;
  if (issues.length > 0) throw validationFailed(issues);
  return changes;
}

/** Applies a metadata patch: null deletes a key, a string sets it. */
export function mergeMetadata(
  current: Record<string, string>,
  patch: Record<string, string | null>,
): Record<string, string> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/**
 * The metadata a create stores: the body's string entries (a null on create deletes nothing),
 * within the key limit.
 */
export function readNewMetadata(value: unknown, issues: ValidationIssue[]): Record<string, string> {
  const patch = readMetadata(value, { nullDeletes: false }, issues);
  const metadata = Object.fromEntries(
    Object.entries(patch ?? {}).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
  checkMetadataSize(metadata, issues);
  return metadata;
}

/** What an update stores: the patch applied to what is held, refused past the key limit. */
export function patchedMetadata(
  current: Record<string, string>,
  patch: Record<string, string | null> | undefined,
): Record<string, string> {
  const metadata = patch === undefined ? current : mergeMetadata(current, patch);
  const issues: ValidationIssue[] = [];
  checkMetadataSize(metadata, issues);
  if (issues.length > 0) throw validationFailed(issues);
  return metadata;
}

/** The per-user key limit applies to what is stored, so it is checked after a merge. */
export function checkMetadataSize(
  metadata: Record<string, string>,
  issues: ValidationIssue[],
): void {
  if (Object.keys(metadata).length > metadataMaxKeys) {
    issues.push({
      code: 'metadata_too_many_keys',
      message: `Metadata can have at most ${metadataMaxKeys} keys.`,
    });
  }
}

export function readEmail(value: unknown, issues: ValidationIssue[]): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push({ code: 'email_string_required', message: 'Email must be a non-empty string.' });
    return undefined;
  }
  if (!emailShape.test(value)) {
    issues.push({ code: 'email_invalid', message: 'Email must be a valid email address.' });
    return undefined;
  }
  return value;
}

/** `undefined` when absent; null and strings pass; anything else is an issue. */
export function readOptionalString(
  body: Record<string, unknown>,
  field: string,
  issues: ValidationIssue[],
): string | null | undefined {
  const value = body[field];
  if (value === undefined || value === null || typeof value === 'string') return value;
  issues.push({ code: `${field}_invalid`, message: `${field} must be a string or null.` });
  return undefined;
}

function readOptionalBoolean(
  body: Record<string, unknown>,
  field: string,
  issues: ValidationIssue[],
): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  issues.push({ code: `${field}_invalid`, message: `${field} must be a boolean.` });
  return undefined;
}

export function readExternalId(
  value: unknown,
  issues: ValidationIssue[],
): string | null | undefined {
  if (value === undefined) return undefined;
  // null clears the external id on update; on create it is the same as leaving it out.
  if (value === null) return null;
  if (typeof value !== 'string' || value === '') {
    issues.push({
      code: 'external_id_string_required',
      message: 'External ID must be a non-empty string.',
    });
    return undefined;
  }
  if (value.length > externalIdMaxLength) {
    issues.push({
      code: 'external_id_too_long',
      message: `External ID must be at most ${externalIdMaxLength} characters.`,
    });
    return undefined;
  }
  return value;
}

export function readMetadata(
  value: unknown,
  { nullDeletes }: { nullDeletes: boolean },
  issues: ValidationIssue[],
): Record<string, string | null> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ code: 'metadata_invalid', message: 'Metadata must be an object.' });
    return undefined;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const accepted: Record<string, string | null> = {};
  let valid = true;
  for (const [key, entry] of entries) {
    if (key.length === 0 || key.length > metadataKeyMaxLength || !asciiOnly.test(key)) {
      issues.push({
        code: 'metadata_key_invalid',
        message: `Metadata keys must be 1 to ${metadataKeyMaxLength} ASCII characters.`,
      });
      valid = false;
    } else if (entry === null && nullDeletes) {
      accepted[key] = null;
    } else if (typeof entry !== 'string') {
      issues.push({ code: 'metadata_value_invalid', message: 'Metadata values must be strings.' });
      valid = false;
    } else if (entry.length > metadataValueMaxLength || !asciiOnly.test(entry)) {
      issues.push({
        code: 'metadata_value_invalid',
        message: `Metadata values must be at most ${metadataValueMaxLength} ASCII characters.`,
      });
      valid = false;
    } else {
      accepted[key] = entry;
    }
  }
  return valid ? accepted : undefined;
}

function isPasswordHashType(value: unknown): value is PasswordHashType {
  return (passwordHashTypes as readonly unknown[]).includes(value);
}

function isPasswordSaltPosition(value: unknown): value is PasswordSaltPosition {
  return (passwordSaltPositions as readonly unknown[]).includes(value);
}

function readPassword(
  body: Record<string, unknown>,
  issues: ValidationIssue[],
): PasswordInput | undefined {
  const {
    password,
    password_hash: hash,
    password_hash_type: hashType,
    password_salt_position: saltPosition,
  } = body;
  const hasPassword = password !== undefined && password !== null;
  const hasHash = hash !== undefined && hash !== null;
  const hasHashType = hashType !== undefined && hashType !== null;
  const hasSaltPosition = saltPosition !== undefined && saltPosition !== null;
  if (hasSaltPosition && !isPasswordSaltPosition(saltPosition)) {
    issues.push({
      code: 'password_salt_position_invalid',
      message: `password_salt_position must be one of ${passwordSaltPositions.join(', ')}.`,
    });
    return undefined;
  }
  if (hasSaltPosition && hashType !== saltPositionHashType) {
    issues.push({
      code: 'password_salt_position_not_applicable',
      message: `password_salt_position applies only to password_hash_type ${saltPositionHashType}.`,
    });
    return undefined;
  }
  if (hasPassword && (hasHash || hasHashType)) {
    issues.push({
      code: 'password_and_password_hash_mutually_exclusive',
      message: 'Provide either password or password_hash, not both.',
    });
    return undefined;
  }
  if (hasPassword) {
    if (typeof password !== 'string' || password === '') {
      issues.push({
        code: 'password_string_required',
        message: 'Password must be a non-empty string.',
      });
      return undefined;
    }
    return { kind: 'password', password };
  }
  if (!hasHash && !hasHashType) return undefined;
  if (!isPasswordHashType(hashType)) {
    issues.push({
      code: 'password_hash_type_invalid',
      message: `password_hash_type must be one of ${passwordHashTypes.join(', ')}.`,
    });
    return undefined;
  }
  if (typeof hash !== 'string' || hash === '') {
    issues.push({
      code: 'password_hash_required',
      message: 'password_hash must be a non-empty string when password_hash_type is set.',
    });
    return undefined;
  }
  const problem = passwordHashProblem(hashType, hash);
  if (problem !== undefined) {
    issues.push({ code: problem.code, message: `password_hash: ${problem.message}` });
    return undefined;
  }
  return isPasswordSaltPosition(saltPosition)
    ? { kind: 'password_hash', hash, hashType, saltPosition }
    : { kind: 'password_hash', hash, hashType };
}
