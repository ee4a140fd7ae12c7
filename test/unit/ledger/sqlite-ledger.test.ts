import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteMigrationLedger } from '../../../src/ledger/sqlite-ledger.ts';
import {
  describeLedgerContract,
  describeRecordClaimContract,
  testClock,
} from '../../helpers/ledger-contract.ts';

const directory = await mkdtemp(join(tmpdir(), 'sqlite-ledger-'));
const opened: SqliteMigrationLedger[] = [];
let files = 0;

/** Each test gets its own file, so the contract runs against what is on disk. */
const onSqlite = async (now: () => number) => {
  files += 1;
  const ledger = new SqliteMigrationLedger(join(directory, `ledger-${files}.db`), { now });
  opened.push(ledger);
  return ledger;
};

afterAll(async () => {
  for (const ledger of opened) ledger.close();
  await rm(directory, { recursive: true, force: true });
});

describeLedgerContract('SqliteMigrationLedger', onSqlite);
describeRecordClaimContract('SqliteMigrationLedger', onSqlite);

describe('SqliteMigrationLedger: the file outlives the process that wrote it', () => {
  it('gives a reopened file the job, its checkpoint and its outcomes, and no lease of the run that wrote them', async () => {
    const clock = testClock();
    const path = join(directory, 'reopened.db');
    const first = new SqliteMigrationLedger(path, { now: clock.now });
    const job = { jobId: 'job_reopened', sourceFile: 'users.ndjson' };
    await first.claimSplit(job, Number.MAX_SAFE_INTEGER);
    await first.checkpointSplit(job.jobId, { throughLine: 40, read: 40, enqueued: 38 });
    await first.recordOutcome({
      origin: { jobId: job.jobId, sourceFile: 'users.ndjson', line: 3 },
      kind: 'user',
      status: 'created',
      workosUserId: 'user_3',
    });
    await first.claimRecord(job.jobId, 4, { token: 'dead-run', leaseUntil: clock.now() + 90_000 });
    first.close();

    const second = new SqliteMigrationLedger(path, { now: clock.now });
    opened.push(second);

    expect(await second.claimSplit(job, Number.MAX_SAFE_INTEGER)).toEqual({
      action: 'resume',
      resumeAfterLine: 40,
      read: 40,
      enqueued: 38,
    });
    expect(await second.claimRecord(job.jobId, 3, { token: 't', leaseUntil: 1 })).toBe('final');
    expect(
      await second.claimRecord(job.jobId, 4, { token: 't', leaseUntil: clock.now() + 90_000 }),
    ).toBe('claimed');
    expect((await second.outcomeOf(job.jobId, 3))?.workosUserId).toBe('user_3');
  });

  it('forgets a job and its outcomes, so the next claim splits it from the top', async () => {
    const ledger = await onSqlite(Date.now);
    const job = { jobId: 'job_forgotten', sourceFile: 'users.ndjson' };
    await ledger.claimSplit(job, 0);
    await ledger.completeSplit(job.jobId, { throughLine: 2, read: 2, enqueued: 2 });
    await ledger.recordOutcome({
      origin: { jobId: job.jobId, sourceFile: 'users.ndjson', line: 1 },
      kind: 'user',
      status: 'created',
    });

    ledger.forgetJob(job.jobId);

    expect(await ledger.getJob(job.jobId)).toBeUndefined();
    expect(await ledger.outcomeOf(job.jobId, 1)).toBeUndefined();
    expect(await ledger.claimSplit(job, 0)).toMatchObject({ action: 'split' });
  });
});
