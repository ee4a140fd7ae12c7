import type { ExportSource, SourceOptions } from '../export-source.ts';
import type { ExportFormatOptions } from '../parsed-record.ts';
import { auth0CsvRowAsRecord } from './csv-rows.ts';
import { auth0FileKindOf, looksLikeAuth0 } from './detection.ts';
import { createAuth0MemberMapper, createAuth0OrganizationMapper } from './organizations.ts';
import { createAuth0RecordMapper, createAuth0RecordPlanner } from './users.ts';

/**
 * Auth0 as the splitter sees it: a users export (NDJSON, gzip or not, or CSV), its password-hash
 * export, the organizations list and each organization's members, told apart by their first
 * record.
 */
export const auth0Source = {
  layoutHint: 'any',
  detect: looksLikeAuth0,
  fileKindOf: auth0FileKindOf,
  createMapper: (options: SourceOptions) => createAuth0RecordMapper(auth0OptionsOf(options)),
  createPlanner: (options: SourceOptions) => createAuth0RecordPlanner(auth0OptionsOf(options)),
  csv: { stripFormulaPrefix: true, rowAsRecord: auth0CsvRowAsRecord },
  organizations: {
    createOrganizationMapper: createAuth0OrganizationMapper,
    createMemberMapper: createAuth0MemberMapper,
  },
  // A database user (`auth0|...`) has a password hash, which the password export holds.
  expectsPasswordRecord: (sourceId: string) => sourceId.startsWith('auth0|'),
} as const satisfies ExportSource;

function auth0OptionsOf(options: SourceOptions): ExportFormatOptions {
  return options.importBlockedUsers ? { importBlockedUsers: true } : {};
}
