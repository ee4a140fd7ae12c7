import { externalIdFor } from '../model/external-id.ts';
import type { ImportMembership, ImportOrganization, ImportUser } from '../model/import-message.ts';

/** What a source makes of one record of its export. */
export type ParsedRecord =
  | { kind: 'user'; user: ImportUser }
  | { kind: 'organization'; organization: ImportOrganization }
  | { kind: 'membership'; membership: ImportMembership }
  | { kind: 'rejected'; reason: string; sourceId?: string };

/**
 * One record of an export, decoded from its layout (NDJSON line, CSV row, JSON array element)
 * but not yet interpreted: what a `RecordMapper` reads.
 */
export interface ExportRecord {
  /**
   * Where the record is: the line it starts on (NDJSON, CSV: a quoted CSV field may run over
   * several lines), or its 1-based element number in a JSON array. Unique within a file.
   */
  line: number;
  /** The record's fields: a JSON object as parsed, or a CSV row keyed by its header. */
  fields?: Record<string, unknown>;
  /** Why the record could not be decoded (`invalid_json`, `not_an_object`, `line_too_long`...). */
  unreadable?: string;
  /**
   * Not decoded on purpose: the caller said this line is settled by another record (a password
   * line joined into its user), so it is only counted.
   */
  skipped?: true;
}

/** Turns one decoded record into what it means for WorkOS, or `undefined` when it holds none. */
export type RecordMapper = (fields: Record<string, unknown>) => ParsedRecord | undefined;

/**
 * What the splitter's planning read needs of a user record, before any message is built: its id,
 * its email, and the password hash it brings (or why it brings none).
 */
export interface PlannedUser {
  kind: 'user';
  sourceId: string;
  email: string;
  passwordHash?: string;
  note?: string;
}

/** A record as the planning read sees it: a user, a rejection, or something else entirely. */
export type PlannedRecord =
  | PlannedUser
  | { kind: 'rejected'; reason: string; sourceId?: string }
  | { kind: 'other' };

/**
 * Reads only what planning needs of a record. It must reach the same verdict as the source's
 * `RecordMapper` on every record (a record planned as a user but rejected when split could win
 * an email and take its duplicates down with it), so a source's planner shares its mapper's
 * checks; `plannerOf` derives one from any mapper.
 */
export type RecordPlanner = (fields: Record<string, unknown>) => PlannedRecord | undefined;

/** The planner that maps the whole record and keeps what planning needs. */
export function plannerOf(map: RecordMapper): RecordPlanner {
  return (fields) => {
    const parsed = map(fields);
    if (parsed === undefined) return undefined;
    if (parsed.kind === 'rejected') return parsed;
    return parsed.kind === 'user' ? plannedUserOf(parsed.user) : { kind: 'other' };
  };
}

/** What planning keeps of a user: its id, email, and hash or why there is none. */
export function plannedUserOf(user: Omit<PlannedUser, 'kind'>): PlannedUser {
  const { sourceId, email, passwordHash, note } = user;
  return {
    kind: 'user',
    sourceId,
    email,
    ...(passwordHash === undefined ? {} : { passwordHash }),
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * The fields every source's user starts with: its id and the external id derived from it, its
 * email and verification, and the names it has.
 */
export function userIdentity(fields: {
  sourceId: string;
  email: string;
  emailVerified: boolean;
  firstName?: string | undefined;
  lastName?: string | undefined;
}): Pick<
  ImportUser,
  'sourceId' | 'externalId' | 'email' | 'emailVerified' | 'firstName' | 'lastName'
> {
  const { sourceId, email, emailVerified, firstName, lastName } = fields;
  return {
    sourceId,
    externalId: externalIdFor(sourceId),
    email,
    emailVerified,
    ...(firstName === undefined ? {} : { firstName }),
    ...(lastName === undefined ? {} : { lastName }),
  };
}

/** Per-job choices a source honours. */
export interface ExportFormatOptions {
  /** Import users the source has blocked (they could then sign in); rejected by default. */
  importBlockedUsers?: boolean;
}

/** Turns one line of an export into a record, or `undefined` for a line that holds none. */
export type LineParser = (text: string) => ParsedRecord | undefined;

export function nonEmptyString(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
