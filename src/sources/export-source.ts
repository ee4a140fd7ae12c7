import type { FileKind } from '../model/job-manifest.ts';
import type { FirebaseHashParameters } from './firebase-users.ts';
import type { RecordMapper, RecordPlanner } from './parsed-record.ts';

/** Per-job choices a source honours. */
export interface SourceOptions {
  /** The Firebase project's password hash parameters; without them users import without passwords. */
  firebase?: FirebaseHashParameters;
  /** Import users the source has disabled (they could then sign in); rejected by default. */
  importBlockedUsers?: boolean;
}

/** How a source's export is laid out, as a hint to the reader that decodes its records. */
export type ExportLayoutHint = 'csv' | 'json-array' | 'ndjson' | 'any';

/** How a source writes its CSV export, when it differs from a plain header-keyed table. */
export interface CsvDialect {
  /** Quoted cells start with a `'` that defuses spreadsheet formulas (see `readExportRecords`). */
  stripFormulaPrefix: boolean;
  /** The row as the source's JSON export would hold the same record. */
  rowAsRecord: (row: Record<string, unknown>) => Record<string, unknown>;
}

/** The mappers of a source that exports organizations and their members beside its users. */
export interface OrganizationMappers {
  createOrganizationMapper: () => RecordMapper;
  createMemberMapper: (options: {
    /** The organization of a members file whose records do not name it. */
    organizationId?: string;
    roleSlugs?: Record<string, string>;
  }) => RecordMapper;
}

/**
 * Everything the splitter knows of one source: how to recognise its export, what each of its
 * files holds, and how its records become WorkOS users (and organizations). One entry of
 * `exportSources` per source.
 */
export interface ExportSource {
  layoutHint: ExportLayoutHint;
  /**
   * When the export is one JSON object rather than an array: the key of the array that holds the
   * records (Firebase `auth:export` writes `{ "users": [...] }`, Cognito's CLI `{ "Users": [...] }`).
   */
  jsonRecordsKey?: string;
  /** Whether the first record's field names are this source's. */
  detect: (firstRecordFields: Record<string, unknown>) => boolean;
  /**
   * What a file holds, from its first record, for a source that spreads a migration over
   * several kinds of file; `undefined` when the record is none of them (a users file).
   */
  fileKindOf?: (firstRecordFields: Record<string, unknown>) => FileKind | undefined;
  createMapper: (options: SourceOptions) => RecordMapper;
  /**
   * What planning reads of a record, when the source has a cheaper way to it than mapping the
   * whole record (see `RecordPlanner`); else planning maps the record.
   */
  createPlanner?: (options: SourceOptions) => RecordPlanner;
  /** Its CSV export's peculiarities, when it has any. */
  csv?: CsvDialect;
  organizations?: OrganizationMappers;
  /**
   * Whether a user of the users export should have a record in the password export: one that
   * has none is imported with a note saying it has no password to bring along.
   */
  expectsPasswordRecord?: (sourceId: string) => boolean;
}
