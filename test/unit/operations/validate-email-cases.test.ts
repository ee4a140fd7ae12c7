import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceFormat } from '../../../src/model/job-manifest.ts';
import { type ValidationSummary, validateExport } from '../../../src/operations/validate-export.ts';
import { emailCases } from '../../helpers/email-cases.ts';

/** One export holding every email case, one record each, in the case list's order. */
interface ExportUnderTest {
  name: string;
  format: SourceFormat;
  file: string;
  content: (emails: string[]) => string;
  /** The line (or array element) the case at `index` is read from. */
  lineOf: (index: number) => number;
}

const ndjson = (records: object[]) =>
  `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;
const csvCell = (value: string) => `"${value.replaceAll('"', '""')}"`;

const exports: ExportUnderTest[] = [
  {
    name: 'an Auth0 user export',
    format: 'auth0',
    file: 'auth0-users.ndjson',
    content: (emails) =>
      ndjson(emails.map((email, index) => ({ user_id: `auth0|u${index}`, email }))),
    lineOf: (index) => index + 1,
  },
  {
    name: 'a generic NDJSON export',
    format: 'generic',
    file: 'generic.ndjson',
    content: (emails) => ndjson(emails.map((email, index) => ({ id: `g-${index}`, email }))),
    lineOf: (index) => index + 1,
  },
  {
    name: 'a generic CSV export',
    format: 'generic',
    file: 'generic.csv',
    content: (emails) =>
      `id,email\n${emails.map((email, index) => `g-${index},${csvCell(email)}\n`).join('')}`,
    // The header is line 1.
    lineOf: (index) => index + 2,
  },
  {
    name: 'a Clerk export',
    format: 'clerk',
    file: 'clerk.ndjson',
    content: (emails) =>
      ndjson(emails.map((email, index) => ({ id: `user_${index}`, primary_email_address: email }))),
    lineOf: (index) => index + 1,
  },
  {
    name: 'a Cognito ListUsers answer',
    format: 'cognito',
    file: 'cognito.json',
    content: (emails) =>
      JSON.stringify({
        Users: emails.map((email, index) => ({
          Username: `c${index}`,
          Attributes: [
            { Name: 'sub', Value: `sub-${index}` },
            { Name: 'email', Value: email },
          ],
        })),
      }),
    lineOf: (index) => index + 1,
  },
  {
    name: 'a Firebase auth:export',
    format: 'firebase',
    file: 'firebase.json',
    content: (emails) =>
      JSON.stringify({ users: emails.map((email, index) => ({ localId: `f${index}`, email })) }),
    lineOf: (index) => index + 1,
  },
  {
    name: 'a Supabase export',
    format: 'supabase',
    file: 'supabase.ndjson',
    content: (emails) => ndjson(emails.map((email, index) => ({ id: `s-${index}`, email }))),
    lineOf: (index) => index + 1,
  },
];

const importableCount = emailCases.filter((row) => row.importable).length;

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'validate-email-cases-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe.each(exports)('validate on $name holding every email case', (source) => {
  let summary: ValidationSummary;
  beforeAll(async () => {
    const path = join(directory, source.file);
    await writeFile(path, source.content(emailCases.map((row) => row.email)));
    summary = await validateExport({ files: [path], format: source.format });
  });

  it('reports every refused address as invalid_email, on its own line, and nothing else', () => {
    const refusedLines = emailCases.flatMap((row, index) =>
      row.importable ? [] : [source.lineOf(index)],
    );
    expect(summary.rejectedByReason).toEqual({ invalid_email: refusedLines.length });
    expect(
      summary.settled.map((outcome) => [outcome.origin.line, outcome.status, outcome.reason]),
    ).toEqual(refusedLines.map((line) => [line, 'rejected', 'invalid_email']));
  });

  it('would import every importable address', () => {
    expect(summary.read).toBe(emailCases.length);
    expect(summary.toImport.users).toBe(importableCount);
    expect(summary.merged).toBe(0);
  });
});
