import { describe, expect, it } from 'vitest';
import { type JobFile, type JobToSplit, planSplit } from '../../../src/split/plan-split.ts';
import type { SplitDecision, SplitPass } from '../../../src/split/split-export.ts';
import { decisionsOfPass } from '../../helpers/split-passes.ts';

const bcrypt = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';

const usersFile: JobFile = { file: 0, sourceFile: 'users.ndjson', kind: 'users', layout: 'ndjson' };
const passwordsFile: JobFile = {
  file: 1,
  sourceFile: 'passwords.ndjson',
  kind: 'passwords',
  layout: 'ndjson',
};

const users = [
  { user_id: 'auth0|a1', email: 'ada@example.com' },
  { user_id: 'auth0|b2', email: 'bob@example.com', blocked: true },
  { user_id: 'google-oauth2|c3', email: 'cy@example.com' },
  { user_id: 'auth0|d4', email: 'dee@example.com' },
];

/** Lines 1-7: joined, blank, unreadable, a blocked user's, a duplicate, rejected, joined. */
const passwordLines = [
  JSON.stringify({ _id: { $oid: 'a1' }, email: 'ada@example.com', passwordHash: bcrypt }),
  '',
  '{"_id": {"$oid": "broken"',
  JSON.stringify({ _id: { $oid: 'b2' }, email: 'bob@example.com', passwordHash: bcrypt }),
  JSON.stringify({ _id: { $oid: 'a1' }, email: 'ada@example.com', passwordHash: bcrypt }),
  JSON.stringify({ _id: { $oid: 'x9' }, passwordHash: bcrypt }),
  JSON.stringify({ _id: { $oid: 'd4' }, email: 'dee@example.com' }),
];

const decisionsOfLines1To7 = [
  [1, 'joined'],
  [3, 'settle', 'rejected', 'invalid_json', undefined],
  [4, 'joined'],
  [5, 'settle', 'unchanged', 'duplicate_of_line:1', 'auth0|a1'],
  [6, 'settle', 'rejected', 'missing_email', 'auth0|x9'],
  [7, 'joined'],
];

const jobId = 'job-1';

/**
 * Plans a users + passwords job over in-memory files; returns its passes (users, then
 * passwords) and the files opened so far.
 */
async function planInMemory(
  usersText: string,
  passwordText: string,
  options: JobToSplit['options'] = {},
) {
  const texts = new Map([
    [usersFile, usersText],
    [passwordsFile, passwordText],
  ]);
  const opened: string[] = [];
  const job: JobToSplit = {
    jobId,
    format: 'auth0',
    files: [usersFile, passwordsFile],
    options,
  };
  const [usersPass, passwordPass] = await planSplit(job, async (file) => {
    opened.push(file.sourceFile);
    return (async function* () {
      yield Buffer.from(texts.get(file) ?? '');
    })();
  });
  if (usersPass === undefined || passwordPass === undefined) throw new Error('passes missing');
  return { usersPass, passwordPass, opened };
}

/** Plans the job with `users`, then runs the password pass's decisions. */
async function passwordPassOf(passwordText: string, options: JobToSplit['options'] = {}) {
  const { passwordPass, opened } = await planInMemory(
    users.map((user) => JSON.stringify(user)).join('\n'),
    passwordText,
    options,
  );
  return { decisions: await decisionsOf(passwordPass, jobId), opened };
}

/** What a pass decides for each record it opens, as `[line, ...summary]`. */
function decisionsOf(pass: SplitPass, jobId: string): Promise<unknown[][]> {
  return decisionsOfPass(pass, jobId, summaryOf);
}

function summaryOf(decision: SplitDecision): unknown[] {
  if (decision.action === 'settle') {
    return decision.outcomes.flatMap((outcome) => [
      'settle',
      outcome.status,
      outcome.reason,
      outcome.sourceId,
    ]);
  }
  if (decision.action === 'enqueue') {
    const { message } = decision;
    if (message.kind === 'blocked_user') {
      return ['enqueue', 'blocked_user', message.blockedUser.sourceId, message.joined];
    }
    if ('user' in message) {
      return message.user.onlyInPasswordExport
        ? ['enqueue', message.user.sourceId, 'only_in_password_export']
        : ['enqueue', message.user.sourceId];
    }
    return ['enqueue', undefined];
  }
  return [decision.action];
}

describe('Function: planSplit() — the password export of a users + passwords job', () => {
  it('is not read again when every record is joined into its user or decided while planning', async () => {
    const { decisions, opened } = await passwordPassOf(passwordLines.join('\n'));

    expect(decisions).toEqual(decisionsOfLines1To7);
    expect(opened.filter((file) => file === passwordsFile.sourceFile)).toHaveLength(1);
  });

  it('rejects a record whose user the users export lacks (orphan_password), still without reading again', async () => {
    const orphan = JSON.stringify({ _id: { $oid: 'e5' }, email: 'eve@example.com' });
    const { decisions, opened } = await passwordPassOf([...passwordLines, orphan].join('\n'));

    expect(decisions).toEqual([
      ...decisionsOfLines1To7,
      [8, 'settle', 'rejected', 'orphan_password', 'auth0|e5'],
    ]);
    expect(opened.filter((file) => file === passwordsFile.sourceFile)).toHaveLength(1);
  });

  it('enqueues such a record as a user of its own when the job opts in, marked as only in the password export', async () => {
    const orphan = JSON.stringify({ _id: { $oid: 'e5' }, email: 'eve@example.com' });
    const { decisions } = await passwordPassOf([...passwordLines, orphan].join('\n'), {
      importOrphanPasswords: true,
    });

    expect(decisions).toEqual([
      ...decisionsOfLines1To7,
      [8, 'enqueue', 'auth0|e5', 'only_in_password_export'],
    ]);
  });

  it('is read again, deciding the same, when more records are left than planning remembers', async () => {
    const rejectedLines = Array.from({ length: 10_001 }, (_, index) =>
      JSON.stringify({ _id: { $oid: `r${index}` } }),
    );
    const orphan = JSON.stringify({ _id: { $oid: 'e5' }, email: 'eve@example.com' });
    const { decisions, opened } = await passwordPassOf(
      [...passwordLines, ...rejectedLines, orphan].join('\n'),
    );

    expect(decisions.slice(0, 6)).toEqual(decisionsOfLines1To7);
    expect(decisions).toHaveLength(6 + 10_001 + 1);
    expect(decisions.slice(-2)).toEqual([
      [7 + 10_001, 'settle', 'rejected', 'missing_email', 'auth0|r10000'],
      [8 + 10_001, 'settle', 'rejected', 'orphan_password', 'auth0|e5'],
    ]);
    expect(opened.filter((file) => file === passwordsFile.sourceFile)).toHaveLength(2);
  });
});

describe('Function: planSplit() — the password pass of a large job', () => {
  it('hands out its records in small batches, however many joined lines come in a row', async () => {
    const count = 5_000;
    const usersText = Array.from({ length: count }, (_, n) =>
      JSON.stringify({ user_id: `auth0|u${n}`, email: `user${n}@example.com` }),
    ).join('\n');
    // Some password records are rejected (no email): kept by planning, among joined runs; one of
    // them ends a batch's worth of joined lines exactly.
    const passwordText = Array.from({ length: count }, (_, n) =>
      JSON.stringify({
        _id: { $oid: `u${n}` },
        ...(n % 700 === 0 || n === 1023 ? {} : { email: `user${n}@example.com` }),
        passwordHash: bcrypt,
      }),
    ).join('\n');
    const { passwordPass } = await planInMemory(usersText, passwordText);

    const sizes: number[] = [];
    const lines: number[] = [];
    for await (const batch of await passwordPass.open()) {
      sizes.push(batch.length);
      lines.push(...batch.map((record) => record.line));
    }

    expect(lines).toEqual(Array.from({ length: count }, (_, n) => n + 1));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024);
  });
});

describe('Function: planSplit() — emails several users share, in a users + passwords job', () => {
  it('lets the record whose user the password export gives a hash win, wherever it is', async () => {
    const sharing = [
      { user_id: 'auth0|a1', email: 'ada@example.com' },
      { user_id: 'google-oauth2|c3', email: 'Ada@Example.com' },
      { user_id: 'auth0|d4', email: 'ADA@example.com' },
    ];
    const passwordsOf = (id: string) =>
      JSON.stringify({ _id: { $oid: id }, email: 'ada@example.com', passwordHash: bcrypt });
    const { usersPass } = await planInMemory(
      sharing.map((user) => JSON.stringify(user)).join('\n'),
      [JSON.stringify({ _id: { $oid: 'a1' } }), passwordsOf('d4')].join('\n'),
    );

    const decisions = await decisionsOf(usersPass, jobId);

    // auth0|a1's password record is rejected (it has no email): only auth0|d4 has a hash.
    expect(decisions).toEqual([
      [1, 'settle', 'unchanged', 'merged_into_line:3', 'auth0|a1'],
      [2, 'settle', 'unchanged', 'merged_into_line:3', 'google-oauth2|c3'],
      [3, 'enqueue', 'auth0|d4'],
    ]);
  });
});

describe('Function: planSplit() — the users export of a users + passwords job', () => {
  it('sends a blocked user to the consumer, which removes what an earlier job made of her, with her password line joined', async () => {
    const { usersPass } = await planInMemory(
      users.map((user) => JSON.stringify(user)).join('\n'),
      passwordLines.join('\n'),
    );

    const decisions = await decisionsOf(usersPass, jobId);

    expect(decisions).toEqual([
      [1, 'enqueue', 'auth0|a1'],
      [
        2,
        'enqueue',
        'blocked_user',
        'auth0|b2',
        [{ jobId, sourceFile: passwordsFile.sourceFile, line: 4, file: 1 }],
      ],
      [3, 'enqueue', 'google-oauth2|c3'],
      [4, 'enqueue', 'auth0|d4'],
    ]);
  });

  it('imports a blocked user like any other when the job opts in', async () => {
    const { usersPass } = await planInMemory(
      users.map((user) => JSON.stringify(user)).join('\n'),
      passwordLines.join('\n'),
      { importBlockedUsers: true },
    );

    const decisions = await decisionsOf(usersPass, jobId);

    expect(decisions[1]).toEqual([2, 'enqueue', 'auth0|b2']);
  });
});
