import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tenantExportFiles, tenantFixture } from '../helpers/auth0-tenant-fixture.ts';
import {
  type AwsPipelineFixture,
  createAwsPipelineFixture,
  splitterContext,
} from '../helpers/aws-pipeline-fixture.ts';
import { comparableUsers } from '../helpers/emulated-users.ts';

describe('On AWS (moto): a job of several files, started by its manifest', () => {
  let pipeline: AwsPipelineFixture;

  beforeAll(async () => {
    pipeline = await createAwsPipelineFixture(inject('awsEndpoint'));
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it('imports organizations, users joined with their hashes, and memberships, accounting for every line of every file', async () => {
    // Prepare: the files first (gzip for the users, as Auth0 delivers them), the manifest last.
    for (const name of tenantExportFiles) {
      const content = await readFile(tenantFixture(name));
      await pipeline.uploadFile(
        `jobs/tenant/${name === 'users.ndjson' ? 'users.ndjson.gz' : name}`,
        name === 'users.ndjson' ? gzipSync(content) : content,
      );
    }
    const manifest = JSON.parse(await readFile(tenantFixture('manifest.json'), 'utf8'));
    manifest.files[0].key = 'users.ndjson.gz';
    const event = await pipeline.uploadFile('jobs/tenant/manifest.json', JSON.stringify(manifest));

    // Act
    const [summary] = await pipeline.splitter(event, splitterContext());
    await pipeline.drain();

    // Assess: 3 organizations + 13 users + 10 password lines + 6 members, every one settled.
    expect(summary).toMatchObject({ read: 32, completed: true });
    const jobId = summary?.jobId ?? '';
    const { job, outcomes } = await pipeline.expectLedgerMatchesWorkOs(jobId);
    // Rejected: the blocked user, her hash, the user without an email, and the password record
    // of a user the users export does not list (dennis: an orphan, `orphan_password`).
    expect(job?.counts).toEqual({ created: 26, updated: 0, unchanged: 2, rejected: 4, failed: 0 });
    expect(outcomes.filter((outcome) => outcome.reason === 'orphan_password')).toHaveLength(1);
    // One create per user, per organization, per membership: 10 + 3 + 6 writes and nothing else.
    const { emulator } = pipeline;
    expect(emulator.users()).toHaveLength(10);
    expect(emulator.organizations()).toHaveLength(3);
    expect(emulator.memberships()).toHaveLength(6);
    const files = new Set(outcomes.map((outcome) => outcome.origin.sourceFile));
    expect([...files].sort()).toEqual(
      tenantExportFiles
        .map((name) => `jobs/tenant/${name === 'users.ndjson' ? 'users.ndjson.gz' : name}`)
        .sort(),
    );
    const ada = emulator.users().find((user) => user.email === 'ada@example.com');
    expect(
      emulator.memberships().filter((membership) => membership.userId === ada?.id),
    ).toHaveLength(3);
  });

  it('converges on the same WorkOS users whichever Auth0 file is uploaded first, and a re-upload changes nothing', async () => {
    // Alone, a password export cannot know who is blocked: the blocked user's line is left out.
    const users = await readFile(tenantFixture('users.ndjson'));
    const passwords = (await readFile(tenantFixture('passwords.ndjson'), 'utf8'))
      .split('\r\n')
      .filter((line) => !line.includes('mallory'))
      .join('\n');
    const importFile = async (key: string, body: Buffer | string) => {
      const [summary] = await pipeline.splitter(
        await pipeline.uploadFile(key, body),
        splitterContext(),
      );
      await pipeline.drain();
      await pipeline.expectLedgerMatchesWorkOs(summary?.jobId ?? '');
      return summary;
    };
    const state = () => comparableUsers(pipeline.emulator.users());

    pipeline.emulator.reset();
    await importFile('exports/order-a/users.ndjson', users);
    await importFile('exports/order-a/passwords.ndjson', passwords);
    const usersFirst = state();
    pipeline.emulator.reset();
    await importFile('exports/order-b/passwords.ndjson', passwords);
    const passwordsOnly = state();
    await importFile('exports/order-b/users.ndjson', users);
    const passwordsFirst = state();
    const again = await importFile('exports/order-b/users-again.ndjson', users);

    expect(passwordsFirst).toEqual(usersFirst);
    expect(state()).toEqual(usersFirst);
    expect(usersFirst.filter((user) => user.hasPassword)).toHaveLength(7);
    // The password export alone already created every user it names, with the hash.
    expect(passwordsOnly.filter((user) => user.hasPassword)).toHaveLength(7);
    const job = await pipeline.ledger.getJob(again?.jobId ?? '');
    expect(job?.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
  });

  it('skips the data files: only a manifest under the job prefix starts a job there', async () => {
    const event = await pipeline.uploadFile(
      'jobs/other/users.ndjson',
      await readFile(tenantFixture('users.ndjson')),
    );

    const outcomes = await pipeline.splitter(event, splitterContext());

    expect(outcomes).toEqual([]);
  });
});
