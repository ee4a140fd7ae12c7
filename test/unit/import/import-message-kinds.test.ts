import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../../src/errors.ts';
import { type ImportBatchDependencies, importBatch } from '../../../src/import/import-batch.ts';
import { dependencyRetryDelaySeconds } from '../../../src/import/retry-policy.ts';
import { WritePacer } from '../../../src/import/write-pacer.ts';
import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import type { ImportMessage, RecordOrigin } from '../../../src/model/import-message.ts';
import type { QueueControl } from '../../../src/queue/queue-types.ts';
import { receivedMessageFactory, userMessageFactory } from '../../helpers/factories.ts';
import { InMemoryOrganizationDirectory } from '../../helpers/in-memory-organization-directory.ts';
import { InMemoryUserDirectory } from '../../helpers/in-memory-user-directory.ts';

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
const jobId = 'job_kinds';

function setup(overrides: Partial<ImportBatchDependencies> = {}) {
  const directory = new InMemoryUserDirectory();
  const organizations = new InMemoryOrganizationDirectory();
  const ledger = new InMemoryMigrationLedger();
  void ledger.claimSplit({ jobId, sourceFile: '2 files' }, Number.MAX_SAFE_INTEGER);
  const requeued: { body: ImportMessage & { deferrals: number }; delaySeconds: number }[] = [];
  const deadLettered: string[] = [];
  const queue: QueueControl = {
    async requeue(body, delaySeconds) {
      requeued.push({ body: JSON.parse(body), delaySeconds });
    },
    async retryLater() {},
    async deadLetter(_message, reason) {
      deadLettered.push(reason);
    },
  };
  const deps: ImportBatchDependencies = {
    directory,
    organizations,
    pacer: new WritePacer({ writesPerSecond: 1000 }),
    queue,
    ledger,
    logger: silentLogger,
    maxReceiveCount: 5,
    maxPacingWaitMs: 2000,
    ...overrides,
  };
  return { deps, directory, organizations, ledger, requeued, deadLettered };
}

const usersFile = { jobId, sourceFile: 'users.json', line: 7, file: 0 } satisfies RecordOrigin;
const passwordsFile = {
  jobId,
  sourceFile: 'passwords.json',
  line: 3,
  file: 1,
} satisfies RecordOrigin;

async function outcomes(ledger: InMemoryMigrationLedger) {
  const all = [];
  for await (const outcome of ledger.listOutcomes(jobId)) all.push(outcome);
  return all;
}

describe('Function: importBatch() with joined records, options and other kinds', () => {
  it('records the joined password-export line with its user, once, even when the user is delivered twice', async () => {
    const { deps, ledger } = setup();
    const message = { ...userMessageFactory({}, usersFile), joined: [passwordsFile] };

    await importBatch([receivedMessageFactory(message)], deps);
    await importBatch([receivedMessageFactory(message)], deps);

    expect(await outcomes(ledger)).toEqual([
      expect.objectContaining({ origin: usersFile, status: 'created' }),
      expect.objectContaining({
        origin: passwordsFile,
        status: 'created',
        reason: 'joined_into_line:7',
      }),
    ]);
    expect((await ledger.getJob(jobId))?.counts).toMatchObject({ created: 2 });
  });

  it('fails the joined line with its user when the user is dead-lettered', async () => {
    const { deps, directory, ledger } = setup();
    directory.failNext(
      'createUser',
      new (await import('../../../src/errors.ts')).PermanentImportError('invalid_email', 'no'),
    );
    const message = { ...userMessageFactory({}, usersFile), joined: [passwordsFile] };

    await importBatch([receivedMessageFactory(message)], deps);

    expect(
      (await outcomes(ledger)).map((outcome) => [outcome.origin.line, outcome.status]),
    ).toEqual([
      [7, 'failed'],
      [3, 'failed'],
    ]);
  });

  it('takes one pacer slot per WorkOS write: a user reconciled with an update costs two slots', async () => {
    const pacer = new WritePacer({ writesPerSecond: 1000 });
    const acquired: number[] = [];
    const acquire = pacer.acquire.bind(pacer);
    pacer.acquire = async (maxWaitMs) => {
      acquired.push(maxWaitMs);
      return acquire(maxWaitMs);
    };
    const { deps, directory } = setup({ pacer });
    // A user this tool created earlier with another name: create (refused), look up, update.
    await importBatch([receivedMessageFactory(userMessageFactory({ firstName: 'Old' }))], deps);
    acquired.length = 0;

    await importBatch(
      [receivedMessageFactory(userMessageFactory({ firstName: 'New' }, { jobId, line: 2 }))],
      deps,
    );

    expect(directory.calls).toMatchObject({ create: 2, update: 1 });
    expect(acquired).toHaveLength(2);
  });

  it('puts a record back on the queue, without calling WorkOS, when no write slot is free soon enough', async () => {
    const pacer = new WritePacer({ writesPerSecond: 1 });
    pacer.pauseFor(120);
    const { deps, directory, requeued, ledger } = setup({ pacer });

    await importBatch([receivedMessageFactory(userMessageFactory())], deps);

    expect(directory.calls.create).toBe(0);
    expect(requeued).toEqual([
      expect.objectContaining({
        delaySeconds: 120,
        body: expect.objectContaining({ deferrals: 1 }),
      }),
    ]);
    expect(await outcomes(ledger)).toEqual([]);
  });

  it('creates an organization, then its membership for a user that exists already', async () => {
    const { deps, directory, organizations, ledger } = setup();
    const user = await directory.createUser({
      email: 'grace@example.com',
      emailVerified: true,
      externalId: 'auth0|grace',
      metadata: {},
    });
    const organization: ImportMessage = {
      version: 1,
      kind: 'organization',
      origin: { jobId, sourceFile: 'organizations.json', line: 1, file: 0 },
      organization: { sourceId: 'org_1', externalId: 'org_1', name: 'Acme', source: 'auth0' },
      deferrals: 0,
    };
    const membership: ImportMessage = {
      version: 1,
      kind: 'membership',
      origin: { jobId, sourceFile: 'members.json', line: 1, file: 1 },
      membership: {
        sourceId: 'org_1/auth0|grace',
        userExternalId: 'auth0|grace',
        organizationExternalId: 'org_1',
        roleSlugs: ['admin'],
        source: 'auth0',
      },
      deferrals: 0,
    };

    await importBatch([receivedMessageFactory(JSON.stringify(organization))], deps);
    await importBatch([receivedMessageFactory(JSON.stringify(membership))], deps);

    expect([...organizations.memberships.values()]).toEqual([
      expect.objectContaining({ userId: user.id, roleSlugs: ['admin'] }),
    ]);
    expect((await outcomes(ledger)).map((outcome) => outcome.status)).toEqual([
      'created',
      'created',
    ]);
  });

  it('makes a membership whose user is not imported yet wait on the queue instead of failing', async () => {
    const { deps, organizations, requeued, deadLettered, ledger } = setup();
    organizations.seedOrganization({ name: 'Acme', externalId: 'org_1' });
    const membership: ImportMessage = {
      version: 1,
      kind: 'membership',
      origin: { jobId, sourceFile: 'members.json', line: 4 },
      membership: {
        sourceId: 'org_1/auth0|later',
        userExternalId: 'auth0|later',
        organizationExternalId: 'org_1',
        roleSlugs: [],
        source: 'auth0',
      },
      deferrals: 0,
    };

    await importBatch([receivedMessageFactory(JSON.stringify(membership))], deps);

    expect(deadLettered).toEqual([]);
    expect(requeued).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ deferrals: 1 }) }),
    ]);
    expect(await outcomes(ledger)).toEqual([]);
  });

  it.each([
    { deferrals: 0, delay: 2 },
    { deferrals: 3, delay: 16 },
    { deferrals: 8, delay: 512 },
    { deferrals: 9, delay: 900 },
    { deferrals: 99, delay: 900 },
  ])(
    'waits $delay s (without jitter) for a dependency after $deferrals deferrals',
    ({ deferrals, delay }) => {
      expect(dependencyRetryDelaySeconds(deferrals, () => 0.5)).toBe(delay);
      expect(dependencyRetryDelaySeconds(deferrals, () => 0.999)).toBeLessThanOrEqual(900);
    },
  );

  describe('password resets (job option sendPasswordResets)', () => {
    const withoutHash = () => ({
      ...userMessageFactory({ note: 'password_reset_required:unsupported_hash' }, { jobId }),
      options: { sendPasswordResets: true },
    });

    it('sends one reset to a user it created without a password, and none on a re-run', async () => {
      const { deps, organizations, ledger } = setup();

      await importBatch([receivedMessageFactory(withoutHash())], deps);
      await importBatch(
        [receivedMessageFactory({ ...withoutHash(), origin: { ...usersFile, line: 99 } })],
        deps,
      );

      expect(organizations.passwordResets).toEqual(['ada@example.com']);
      expect((await outcomes(ledger))[0]).toMatchObject({
        status: 'created',
        reason: 'password_reset_required:unsupported_hash;password_reset_sent',
      });
    });

    it('never sends a reset to a user imported with a password hash', async () => {
      const { deps, organizations } = setup();
      const message = {
        ...userMessageFactory({
          passwordHash: `$2b$10$${'a'.repeat(53)}`,
          passwordHashType: 'bcrypt',
        }),
        options: { sendPasswordResets: true },
      };

      await importBatch([receivedMessageFactory(message)], deps);

      expect(organizations.passwordResets).toEqual([]);
    });

    it('re-sends only the reset when WorkOS rate-limits it, and records the user as created once it is sent', async () => {
      const { deps, directory, organizations, requeued, ledger } = setup();
      organizations.failNext('createPasswordReset', new RateLimitedError(3));

      await importBatch([receivedMessageFactory(withoutHash())], deps);
      expect(await outcomes(ledger)).toEqual([]);
      const [retry] = requeued;
      expect(retry?.body).toMatchObject({ passwordResetPending: { status: 'created' } });

      // The 429 paused this instance's writes for 3 s; a later delivery finds them running again.
      deps.pacer = new WritePacer({ writesPerSecond: 1000 });
      await importBatch([receivedMessageFactory(JSON.stringify(retry?.body))], deps);

      expect(directory.calls.create).toBe(1);
      expect(organizations.passwordResets).toEqual(['ada@example.com']);
      expect(await outcomes(ledger)).toEqual([
        expect.objectContaining({
          status: 'created',
          reason: expect.stringContaining('password_reset_sent'),
        }),
      ]);
    });
  });
});
