import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteMigrationLedger } from '../../src/ledger/sqlite-ledger.ts';
import { localJobIdOf } from '../../src/local/run-local-migration.ts';
import type { RecordOutcome } from '../../src/model/outcome.ts';
import type { EmulatorStats } from '../../tools/workos-emulator/src/stats.ts';
import { temporaryExportDirectory } from '../helpers/export-files.ts';
import { runMigrateCli, startEmulatorProcess, startMigrateCli } from '../helpers/migrate-cli.ts';

const apiKey = 'sk_test_local_resume';

type Emulator = Awaited<ReturnType<typeof startEmulatorProcess>>;
type ReportRow = { source_file: string; line: string; status: string; workos_user_id: string };

describe('Local mode continues a job that was killed or interrupted (CLI and emulator in their own processes)', () => {
  let emulator: Emulator;
  let files: Awaited<ReturnType<typeof temporaryExportDirectory>>;
  let environment: Record<string, string>;

  beforeAll(async () => {
    emulator = await startEmulatorProcess(apiKey);
    files = await temporaryExportDirectory();
    // Pipeline logs would share stdout with the summary.
    environment = {
      WORKOS_API_KEY: apiKey,
      WORKOS_API_URL: emulator.url,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
  });
  afterAll(async () => {
    await emulator?.close();
    await files?.cleanup();
  });

  /**
   * The report's rows for the export's records. The emulator is shared by the tests, so each
   * job also lists the other tests' users as absent from its export, after its own records.
   */
  async function reportRows(path: string): Promise<ReportRow[]> {
    const rows = parse(await readFile(path, 'utf8'), { columns: true }) as ReportRow[];
    return rows.filter((row) => row.source_file !== 'absent_from_export');
  }

  async function untilUsersCreated(count: number): Promise<void> {
    while ((await emulator.stats()).usersCreated < count) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Creates the emulator refused (the user existed) since `before`. */
  function refusedCreates(before: EmulatorStats, after: EmulatorStats) {
    const delta = (key: 'writes' | 'usersCreated' | 'usersUpdated') => after[key] - before[key];
    return delta('writes') - delta('usersCreated') - delta('usersUpdated');
  }

  it('imports every user exactly once after a SIGKILL halfway, keeping the killed run’s users created with their ids', async () => {
    const { path } = await files.writeAuth0Export('killed.ndjson', 400);
    const report = join(files.directory, 'killed-report.csv');
    const args = ['local', path, '--report', report, '--rate', '40'];
    const startStats = await emulator.stats();

    const first = startMigrateCli(args, environment);
    await untilUsersCreated(startStats.usersCreated + 200);
    first.child.kill('SIGKILL');
    expect((await first.exited).code).toBe(128 + 9);
    const afterKill = await emulator.stats();
    const usersAtKill = afterKill.usersCreated - startStats.usersCreated;
    // What the killed run's state file holds: the outcomes it recorded before it died.
    const state = new SqliteMigrationLedger(`${report}.state.db`);
    const recorded: RecordOutcome[] = [];
    for await (const outcome of state.listOutcomes(await localJobIdOf([path]))) {
      recorded.push(outcome);
    }
    state.close();

    const second = await runMigrateCli(args, environment);
    const afterResume = await emulator.stats();

    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Continued an earlier run of this job');
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.every((outcome) => outcome.status === 'created')).toBe(true);
    // Each user once: the emulator refuses a second user with the same email.
    expect(afterResume.usersCreated - startStats.usersCreated).toBe(400);
    const rows = await reportRows(report);
    expect(rows.map((row) => Number(row.line))).toEqual(
      Array.from({ length: 400 }, (_, index) => index + 1),
    );
    const rowOf = new Map(rows.map((row) => [Number(row.line), row]));
    for (const outcome of recorded) {
      expect(rowOf.get(outcome.origin.line)).toMatchObject({
        status: 'created',
        workos_user_id: outcome.workosUserId,
      });
    }
    // The users created while their outcome was in flight at the kill are found in the snapshot
    // the second run lists first: settled unchanged with their ids, no create refused.
    const inFlightAtKill = usersAtKill - recorded.length;
    expect(refusedCreates(afterKill, afterResume)).toBe(0);
    expect(rows.filter((row) => row.status === 'created')).toHaveLength(400 - inFlightAtKill);
    expect(rows.filter((row) => row.status === 'unchanged')).toHaveLength(inFlightAtKill);
    expect(afterResume.writes - afterKill.writes).toBe(400 - usersAtKill);
    const emulated = new Map((await emulator.users()).map((user) => [user.id, user]));
    expect(rows.every((row) => emulated.has(row.workos_user_id))).toBe(true);
  });

  it('stops cleanly on Ctrl-C with a summary, a report and exit 130, and a later run completes the job', async () => {
    const { path } = await files.writeAuth0Export('interrupted.ndjson', 300, { seed: 'sigint' });
    const report = join(files.directory, 'interrupted-report.csv');
    const args = ['local', path, '--report', report, '--rate', '40'];
    const startStats = await emulator.stats();

    const first = startMigrateCli(args, environment);
    await untilUsersCreated(startStats.usersCreated + 60);
    first.child.kill('SIGINT');
    const stopped = await first.exited;
    const afterStop = await emulator.stats();

    expect(stopped.code).toBe(130);
    const line = stopped.stdout.match(
      /STOPPED before the end: ([\d,]+) records read, ([\d,]+) settled, ([\d,]+) not yet settled/,
    );
    expect(line, stopped.stdout).not.toBeNull();
    const [read, settled, unsettled] = (line ?? [])
      .slice(1)
      .map((n) => Number(n.replace(/,/g, '')));
    expect(read).toBe(300);
    expect(unsettled).toBeGreaterThan(0);
    expect((settled ?? 0) + (unsettled ?? 0)).toBe(read);
    expect(stopped.stdout).toContain('run the same command again to continue it');
    // The report holds the records settled so far, every one created: the writes in flight
    // finished and were recorded.
    const stoppedRows = await reportRows(report);
    expect(stoppedRows).toHaveLength(settled ?? -1);
    expect(stoppedRows.every((row) => row.status === 'created')).toBe(true);
    expect(afterStop.usersCreated - startStats.usersCreated).toBe(settled);

    const second = await runMigrateCli(args, environment);
    const afterSecond = await emulator.stats();

    expect(second.code, second.stderr).toBe(0);
    expect(afterSecond.usersCreated - startStats.usersCreated).toBe(300);
    expect(refusedCreates(afterStop, afterSecond)).toBe(0);
    const rows = await reportRows(report);
    expect(rows).toHaveLength(300);
    expect(rows.every((row) => row.status === 'created')).toBe(true);
    expect(second.stdout).toMatch(/^ {4}created +300$/m);
  });

  it('reports a finished job again without calling WorkOS, and imports it from the top with --fresh', async () => {
    const { path } = await files.writeAuth0Export('finished.ndjson', 20, { seed: 'finished' });
    const report = join(files.directory, 'finished-report.csv');
    const args = ['local', path, '--report', report];
    const first = await runMigrateCli(args, environment);
    const afterFirst = await emulator.stats();

    const again = await runMigrateCli(args, environment);
    const afterAgain = await emulator.stats();
    const fresh = await runMigrateCli([...args, '--fresh'], environment);
    const afterFresh = await emulator.stats();

    expect([first.code, again.code, fresh.code]).toEqual([0, 0, 0]);
    expect(again.stdout).toContain('The job was finished by an earlier run');
    expect(again.stdout).toContain('pass --fresh to import the files again');
    expect(afterAgain.requests).toBe(afterFirst.requests);
    expect(await reportRows(report)).toHaveLength(20);
    expect(again.stdout).toMatch(/^ {4}created +20$/m);
    // From the top: the snapshot shows every user there already, as exported: no write at all.
    expect(afterFresh.writes).toBe(afterAgain.writes);
    expect(fresh.stdout).toMatch(/^ {4}unchanged +20$/m);
  });
});
