import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { splitExport } from '../../../lambdas/splitter/split-export.ts';
import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import { planDuplicateEmails } from '../../../src/pipeline/duplicate-emails.ts';
import type { UserMessage } from '../../../src/pipeline/user-message.ts';
import { parseAuth0UserLine } from '../../../src/sources/auth0-users.ts';
import { readExportLines } from '../../../src/sources/export-lines.ts';

const bcrypt = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';

/** One person with three Auth0 records: a social login, the database user, a SAML login. */
const exportLines = [
  { user_id: 'google-oauth2|111', email: 'Ada@Example.com', given_name: 'Ada' },
  { user_id: 'auth0|5dea9f9c82dd7c0e76e4ec93', email: 'ada@example.com', given_name: 'Ada' },
  { user_id: 'samlp|acme|ada', email: 'ada@example.com' },
  { user_id: 'auth0|other', email: 'grace@example.com' },
].map((record) => JSON.stringify(record));

function linesOf(lines: string[]) {
  return readExportLines(Readable.from([Buffer.from(lines.join('\n'))]));
}

describe('Function: planDuplicateEmails()', () => {
  it('lets the database record stand for an email shared with social and enterprise records', async () => {
    const plan = await planDuplicateEmails(linesOf(exportLines), parseAuth0UserLine);

    expect(plan.duplicatedEmails).toBe(1);
    expect([1, 2, 3].map((line) => plan.mergedInto('ada@example.com', line))).toEqual([
      2,
      undefined,
      2,
    ]);
    expect(plan.mergedInto('grace@example.com', 4)).toBeUndefined();
  });

  it('lets the record with a password hash win over any other', async () => {
    const withHash = [
      ...exportLines,
      JSON.stringify({
        _id: { $oid: 'f00dfeedf00dfeedf00dfeed' },
        email: 'ada@example.com',
        passwordHash: bcrypt,
      }),
    ];

    const plan = await planDuplicateEmails(linesOf(withHash), parseAuth0UserLine);

    expect(plan.mergedInto('ada@example.com', 2)).toBe(5);
    expect(plan.mergedInto('ada@example.com', 5)).toBeUndefined();
  });
});

describe('Function: splitExport() with duplicate emails', () => {
  it('enqueues one record per email and reports the others as merged into it, with their ids', async () => {
    const ledger = new InMemoryMigrationLedger();
    await ledger.claimSplit(
      { jobId: 'job_dup', sourceFile: 'users.ndjson' },
      Number.MAX_SAFE_INTEGER,
    );
    const enqueued: UserMessage[] = [];
    const duplicates = await planDuplicateEmails(linesOf(exportLines), parseAuth0UserLine);

    const summary = await splitExport(
      {
        jobId: 'job_dup',
        sourceFile: 'users.ndjson',
        lines: linesOf(exportLines),
        parseLine: parseAuth0UserLine,
        duplicates,
      },
      {
        sink: { enqueue: async (message) => void enqueued.push(message), flush: async () => {} },
        ledger,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      },
    );

    expect(summary).toMatchObject({ read: 4, enqueued: 2, notEnqueued: 2 });
    expect(enqueued.map((message) => message.user.sourceId)).toEqual([
      'auth0|5dea9f9c82dd7c0e76e4ec93',
      'auth0|other',
    ]);
    const outcomes = [];
    for await (const outcome of ledger.listOutcomes('job_dup')) outcomes.push(outcome);
    expect(outcomes).toEqual([
      expect.objectContaining({
        sourceId: 'google-oauth2|111',
        status: 'unchanged',
        reason: 'merged_into_line:2',
      }),
      expect.objectContaining({
        sourceId: 'samlp|acme|ada',
        status: 'unchanged',
        reason: 'merged_into_line:2',
      }),
    ]);
  });
});
