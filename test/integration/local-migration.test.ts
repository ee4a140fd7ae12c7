import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reasonCounts } from '../../src/cli/summary.ts';
import { WorkOsAuthenticationError } from '../../src/errors.ts';
import {
  type LocalMigrationOptions,
  runLocalMigration,
} from '../../src/local/run-local-migration.ts';
import { formatOutcomeReport } from '../../src/model/outcome-report.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import { capturingLogger, temporaryExportDirectory } from '../helpers/export-files.ts';

const apiKey = 'sk_test_local_migration';

describe('Local mode: runLocalMigration() against the WorkOS emulator', () => {
  let emulator: RunningWorkOsEmulator;
  let files: Awaited<ReturnType<typeof temporaryExportDirectory>>;

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey });
    files = await temporaryExportDirectory();
  });
  afterEach(() => {
    emulator.faults.clear();
    emulator.reset();
  });
  afterAll(async () => {
    await emulator.close();
    await files.cleanup();
  });

  function options(
    paths: string[],
    overrides: Partial<LocalMigrationOptions> = {},
  ): LocalMigrationOptions {
    return {
      files: paths,
      directory: new WorkOsUserDirectory(
        createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 5_000 }),
      ),
      writesPerSecond: 400,
      maxConcurrency: 4,
      maxReceiveCount: 5,
      retryDelaySeconds: () => 1,
      logger: capturingLogger().logger,
      ...overrides,
    };
  }

  it('imports every valid user once, rejects the invalid ones with line and reason, and a second run creates nobody', async () => {
    // Prepare
    const { path, lines } = await files.writeAuth0Export('users.json.gz', 200, {
      invalidEvery: 20,
      gzip: true,
    });

    // Act
    const first = await runLocalMigration(options([path]));
    const second = await runLocalMigration(options([path]));

    // Assess
    expect(first.jobs).toEqual([
      // 190 users and the 2 blocked ones, which the consumer checks are not in WorkOS.
      expect.objectContaining({ read: 200, enqueued: 192, splitState: 'split' }),
    ]);
    expect(first.counts).toEqual({
      created: 190,
      updated: 0,
      unchanged: 0,
      rejected: 10,
      failed: 0,
    });
    expect(first.unaccounted).toBe(0);
    expect(second.counts).toEqual({
      created: 0,
      updated: 0,
      unchanged: 190,
      rejected: 10,
      failed: 0,
    });

    const users = emulator.users();
    expect(users).toHaveLength(190);
    expect(new Set(users.map((user) => user.externalId)).size).toBe(190);

    const rejected = first.outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected.map((outcome) => outcome.origin.line)).toEqual(
      Array.from({ length: 10 }, (_, index) => (index + 1) * 20),
    );
    for (const outcome of rejected) {
      expect(outcome.reason).toMatch(
        /^(missing_email|invalid_json|invalid_email|blocked|missing_user_id)$/,
      );
      // The line the report names is the line that holds the bad record.
      expect(lines[outcome.origin.line - 1]).toBeDefined();
    }
  });

  it('writes one report row per input record with the WorkOS user id of each imported user', async () => {
    const { path } = await files.writeAuth0Export('report.ndjson', 40, { invalidEvery: 10 });

    const result = await runLocalMigration(options([path]));
    const rows = formatOutcomeReport(result.outcomes).trim().split('\n');

    expect(rows[0]).toBe('source_file,line,source_id,status,workos_user_id,reason');
    expect(rows).toHaveLength(41);
    const byId = new Map(emulator.users().map((user) => [user.externalId, user.id]));
    for (const outcome of result.outcomes.filter((o) => o.status === 'created')) {
      expect(outcome.workosUserId).toBe(byId.get(outcome.sourceId ?? ''));
    }
  });

  it('still imports every valid user exactly once through a 429 burst and 5xx errors', async () => {
    const { path } = await files.writeAuth0Export('faulty.ndjson', 150, {
      invalidEvery: 30,
      seed: 'faults',
    });
    emulator.faults.inject({
      status: 429,
      count: 25,
      retryAfterSeconds: 1,
      match: { method: 'POST' },
    });
    emulator.faults.inject({ status: 500, count: 10, match: { method: 'POST' } });
    emulator.faults.inject({ status: 503, count: 5 });
    emulator.faults.inject({ status: 502, count: 5, match: { method: 'GET' } });

    // The blocked user (line 120) is the only record that reads (is it in WorkOS already?), so
    // every GET fault lands on it: it is given receives enough to outlast all ten.
    const result = await runLocalMigration(options([path], { maxReceiveCount: 12 }));

    expect(result.counts).toMatchObject({ created: 145, rejected: 5, failed: 0 });
    expect(reasonCounts(result.outcomes, 'rejected').get('blocked')).toBe(1);
    expect(result.unaccounted).toBe(0);
    const users = emulator.users();
    expect(users).toHaveLength(145);
    expect(new Set(users.map((user) => user.email)).size).toBe(145);
    expect(emulator.stats().injectedRateLimits).toBe(25);
    expect(emulator.stats().injectedServerErrors).toBeGreaterThanOrEqual(15);
  });

  it('dead-letters users WorkOS keeps failing, with their reason, after the allowed receives', async () => {
    const { path } = await files.writeAuth0Export('always-failing.ndjson', 3, { seed: 'dlq' });
    emulator.faults.inject({ status: 503, count: 1_000, match: { method: 'POST' } });

    const result = await runLocalMigration(options([path], { maxReceiveCount: 2 }));

    expect(result.counts).toMatchObject({ failed: 3, created: 0 });
    expect(result.unaccounted).toBe(0);
    expect(reasonCounts(result.outcomes, 'failed')).toEqual(new Map([['workos_503', 3]]));
  });

  it('stops at once when WorkOS rejects the API key, without touching any user', async () => {
    const { path } = await files.writeAuth0Export('bad-key.ndjson', 50);
    const directory = new WorkOsUserDirectory(
      createWorkOsClient({ apiKey: 'sk_test_wrong', apiUrl: emulator.url, timeoutMs: 5_000 }),
    );

    await expect(runLocalMigration(options([path], { directory }))).rejects.toBeInstanceOf(
      WorkOsAuthenticationError,
    );
    expect(emulator.users()).toHaveLength(0);
  });

  it('logs no email, name or password hash through retries, rejections and failures', async () => {
    const { path, content } = await files.writeAuth0Export('pii.ndjson', 60, {
      invalidEvery: 6,
      seed: 'pii',
    });
    const { lines, logger } = capturingLogger();
    emulator.faults.inject({
      status: 429,
      count: 5,
      retryAfterSeconds: 1,
      match: { method: 'POST' },
    });
    emulator.faults.inject({ status: 500, count: 5, match: { method: 'POST' } });

    await runLocalMigration(options([path], { logger }));

    expect(lines.length).toBeGreaterThan(0);
    const logged = lines.join('\n');
    const emails = content.match(/user\d+@example\.com/g) ?? [];
    expect(emails.length).toBeGreaterThan(0);
    for (const email of emails) expect(logged).not.toContain(email);
    for (const name of ['Lovelace', 'Hopper', 'Turing', 'Grace', 'Alan']) {
      expect(logged).not.toContain(name);
    }
  });
});
