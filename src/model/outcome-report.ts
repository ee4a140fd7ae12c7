import { stringify } from 'csv-stringify/sync';
import type { RecordOutcome } from './outcome.ts';

/** The columns of a per-record report, in local mode and on AWS alike. */
export const outcomeReportColumns = [
  'source_file',
  'line',
  'source_id',
  'status',
  'workos_user_id',
  'reason',
] as const;

/**
 * A spreadsheet treats a cell starting with one of these as a formula. Source ids come from the
 * export, so a hostile one could run in the operator's spreadsheet: such cells get a leading `'`.
 */
const formulaTriggers = new Set(['=', '+', '-', '@', '\t', '\r']);

function spreadsheetSafe(value: string): string {
  return value.length > 0 && formulaTriggers.has(value.charAt(0)) ? `'${value}` : value;
}

/** One CSV row per record outcome, under a header row. */
export function formatOutcomeReport(outcomes: Iterable<RecordOutcome>, withHeader = true): string {
  const rows = Array.from(outcomes, (outcome) =>
    [
      outcome.origin.sourceFile,
      String(outcome.origin.line),
      outcome.sourceId ?? '',
      outcome.status,
      outcome.workosUserId ?? '',
      outcome.reason ?? '',
    ].map(spreadsheetSafe),
  );
  // A spreadsheet that splits cells on `;` or tabs (Excel in much of Europe) would cut
  // `auth0|x;=cmd` in two and run the second part as a formula: such cells are quoted, and every
  // reader keeps a quoted cell whole.
  const quoting = { quoted_match: /[;\t]/ };
  return stringify(
    rows,
    withHeader ? { header: true, columns: [...outcomeReportColumns], ...quoting } : quoting,
  );
}
