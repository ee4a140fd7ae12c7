import { describe, expect, it } from 'vitest';
import {
  DuplicateEmailPlanner,
  duplicateEmailRank,
  noDuplicateEmails,
} from '../../../src/split/duplicate-emails.ts';

interface PlannedRecord {
  email: string;
  line: number;
  rank: number;
}

function planOf(records: PlannedRecord[]) {
  const planner = new DuplicateEmailPlanner();
  for (const { email, line, rank } of records) planner.add(email, line, rank);
  return planner.finish().resolve();
}

/** What the plan says about each record, in order: the line it is merged into, if any. */
function mergesOf(records: PlannedRecord[]) {
  const plan = planOf(records);
  return records.map(({ email, line }) => plan.mergedInto(email, line));
}

describe('Function: duplicateEmailRank()', () => {
  it.each([
    ['a social login', 'google-oauth2|111', false, 0],
    ['a database user without a hash', 'auth0|5dea9f9c82dd7c0e76e4ec93', false, 1],
    ['a non-database record with a hash', 'samlp|acme|ada', true, 2],
    ['a database user with a hash', 'auth0|5dea', true, 3],
  ])('ranks %s %i', (_, sourceId, hasPasswordHash, rank) => {
    expect(duplicateEmailRank(sourceId, hasPasswordHash)).toBe(rank);
  });
});

describe('Class: DuplicateEmailPlanner', () => {
  it('lets the database record stand for an email shared with social and enterprise records', () => {
    const records = [
      { email: 'Ada@Example.com', line: 1, rank: 0 },
      { email: 'ada@example.com', line: 2, rank: 1 },
      { email: 'ADA@EXAMPLE.COM', line: 3, rank: 0 },
      { email: 'grace@example.com', line: 4, rank: 1 },
    ];

    const plan = planOf(records);

    expect(plan.duplicatedEmails).toBe(1);
    expect(records.map(({ email, line }) => plan.mergedInto(email, line))).toEqual([
      2,
      undefined,
      2,
      undefined,
    ]);
    // The splitter may ask with the email in another case than the planner saw.
    expect(plan.mergedInto('ADA@example.COM', 1)).toBe(2);
  });

  it.each([
    ['a higher rank wins, whatever its line', [0, 3, 1], [2, undefined, 2]],
    ['a higher rank wins when it comes first', [3, 0, 1], [undefined, 1, 1]],
    ['of equal ranks the earlier line wins', [2, 2, 0], [undefined, 1, 1]],
  ])('%s', (_, ranks, merges) => {
    const records = ranks.map((rank, i) => ({ email: 'ada@example.com', line: i + 1, rank }));

    expect(mergesOf(records)).toEqual(merges);
  });

  it('lets the earlier line win a tie even when its record is added after the later one', () => {
    const records = [
      { email: 'ada@example.com', line: 9, rank: 1 },
      { email: 'ada@example.com', line: 4, rank: 1 },
    ];

    expect(mergesOf(records)).toEqual([4, undefined]);
  });

  it('compares emails outside ASCII by their lower case too', () => {
    const records = [
      { email: 'ÉLODIE@EXEMPLE.FR', line: 1, rank: 0 },
      { email: 'élodie@exemple.fr', line: 2, rank: 3 },
    ];

    expect(mergesOf(records)).toEqual([2, undefined]);
  });

  it('answers with positions beyond 2^32, as a job of several files numbers its records', () => {
    const secondFile = 2 ** 32;
    const lastFile = 2 ** 21 - 1;
    const records = [
      { email: 'ada@example.com', line: secondFile + 17, rank: 0 },
      { email: 'ada@example.com', line: lastFile * 2 ** 32 + 4_294_967_295, rank: 3 },
      { email: 'grace@example.com', line: secondFile + 5, rank: 1 },
      { email: 'grace@example.com', line: secondFile + 6, rank: 1 },
    ];

    expect(mergesOf(records)).toEqual([
      Number.MAX_SAFE_INTEGER,
      undefined,
      undefined,
      secondFile + 5,
    ]);
  });

  it('counts emails, not records: three records of one email are one duplicated email', () => {
    const plan = planOf([
      { email: 'ada@example.com', line: 1, rank: 0 },
      { email: 'ada@example.com', line: 2, rank: 0 },
      { email: 'ada@example.com', line: 3, rank: 0 },
      { email: 'grace@example.com', line: 4, rank: 0 },
      { email: 'Grace@example.com', line: 5, rank: 0 },
    ]);

    expect(plan.duplicatedEmails).toBe(2);
  });

  it('gives noDuplicateEmails when no email is shared, and frees what it held', () => {
    const planner = new DuplicateEmailPlanner();
    planner.add('ada@example.com', 1, 3);
    planner.add('grace@example.com', 2, 3);
    expect(planner.bytesUsed()).toBeGreaterThan(0);

    expect(planner.finish().resolve()).toBe(noDuplicateEmails);
    expect(planner.bytesUsed()).toBe(0);
  });

  it('says nothing about an email seen once, or never, in a plan with duplicates', () => {
    const plan = planOf([
      { email: 'ada@example.com', line: 1, rank: 0 },
      { email: 'ada@example.com', line: 2, rank: 1 },
      { email: 'grace@example.com', line: 3, rank: 0 },
    ]);

    expect(plan.mergedInto('grace@example.com', 3)).toBeUndefined();
    expect(plan.mergedInto('grace@example.com', 99)).toBeUndefined();
    expect(plan.mergedInto('nobody@example.com', 1)).toBeUndefined();
  });

  it('plans 100,000 emails, one in ten shared, across the growth of its table', () => {
    const planner = new DuplicateEmailPlanner();
    const users = 100_000;
    for (let line = 1; line <= users; line++) planner.add(`user${line}@example.com`, line, 0);
    // A database record, later in the file, for every tenth user: it wins on rank.
    for (let n = 10; n <= users; n += 10) planner.add(`USER${n}@example.com`, users + n, 1);

    const plan = planner.finish().resolve();

    expect(plan.duplicatedEmails).toBe(users / 10);
    let merged = 0;
    let wrong = 0;
    for (let line = 1; line <= users; line++) {
      const winner = plan.mergedInto(`user${line}@example.com`, line);
      if (winner !== undefined) merged++;
      if (winner !== (line % 10 === 0 ? users + line : undefined)) wrong++;
    }
    expect([merged, wrong]).toEqual([users / 10, 0]);
  });

  it('makes room for an expected number of emails at once', () => {
    const planner = new DuplicateEmailPlanner({ expectedSize: 10_000 });
    planner.add('user0@example.com', 1, 0);
    const bytesAfterOne = planner.bytesUsed();

    for (let n = 1; n < 10_000; n++) planner.add(`user${n}@example.com`, n + 1, 0);

    expect(planner.bytesUsed()).toBe(bytesAfterOne);
  });

  it.each([
    ['a negative line', -1, 0],
    ['a fractional line', 1.5, 0],
    ['a line past 2^53', 2 ** 53, 0],
    ['a negative rank', 1, -1],
    ['a rank above 63', 1, 64],
  ])('refuses %s', (_, line, rank) => {
    expect(() => new DuplicateEmailPlanner().add('ada@example.com', line, rank)).toThrow(
      RangeError,
    );
  });

  it('ranks a record higher once the password export has given its user a hash', () => {
    // Two database records and a social one share an email; only the user at entry 7 turns out
    // to have a hash, which makes the later record win.
    const planner = new DuplicateEmailPlanner();
    planner.add('ada@example.com', 1, 1, 3);
    planner.add('ada@example.com', 2, 0);
    planner.add('ada@example.com', 3, 1, 7);
    planner.add('grace@example.com', 4, 1, 8);
    const candidates = planner.finish();

    const plan = candidates.resolve((userEntry) => userEntry === 7);
    const withoutHashes = candidates.resolve(() => false);

    expect([1, 2, 3].map((line) => plan.mergedInto('ada@example.com', line))).toEqual([
      3,
      3,
      undefined,
    ]);
    expect([1, 2, 3].map((line) => withoutHashes.mergedInto('ada@example.com', line))).toEqual([
      undefined,
      1,
      1,
    ]);
    expect(plan.mergedInto('grace@example.com', 4)).toBeUndefined();
  });

  it('adds a hash found later only to records that name their user, never twice', () => {
    // Line 2 brought its own hash (rank 3, no user entry); line 1 gains one from the password
    // export (1 + 2). Equal ranks: the earlier line wins, which it would not if line 2 gained too.
    const planner = new DuplicateEmailPlanner();
    planner.add('ada@example.com', 2, 3);
    planner.add('ada@example.com', 1, 1, 5);

    const plan = planner.finish().resolve(() => true);

    expect([plan.mergedInto('ada@example.com', 1), plan.mergedInto('ada@example.com', 2)]).toEqual([
      undefined,
      1,
    ]);
  });

  it('takes no record after finish(), and finishes once', () => {
    const planner = new DuplicateEmailPlanner();
    planner.finish();

    expect(() => planner.add('ada@example.com', 1, 0)).toThrow(/after finish/);
    expect(() => planner.finish()).toThrow(/twice/);
  });
});
