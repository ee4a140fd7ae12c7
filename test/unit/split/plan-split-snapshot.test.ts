import { describe, expect, it } from 'vitest';
import {
  type AbsentUserMessage,
  type ImportMessage,
  recordPosition,
} from '../../../src/model/import-message.ts';
import { importMetadataKeys } from '../../../src/model/import-metadata.ts';
import type { ManifestOptions } from '../../../src/model/job-manifest.ts';
import type { WorkOsSnapshot } from '../../../src/snapshot/workos-snapshot.ts';
import { jobOfFiles } from '../../../src/split/job-source.ts';
import { absentFromExportSourceFile, planSplit } from '../../../src/split/plan-split.ts';
import type { SplitPass, SplitStart } from '../../../src/split/split-export.ts';
import { InMemoryUserDirectory } from '../../helpers/in-memory-user-directory.ts';
import {
  importUsersOf,
  openTexts,
  snapshotOfDirectory,
  splitIntoList,
  userMessagesOf,
} from '../../helpers/snapshot-environment.ts';
import { decisionsOfPass } from '../../helpers/split-passes.ts';

const bcrypt = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';
const otherBcrypt = '$2b$10$abcdefghijklmnopqrstuu5Sx0mGk6N6JhZp6dG3mB5aWkP9hQk3e';
const jobId = 'job_snapshot';

type Line = Record<string, unknown>;

const ndjson = (lines: Line[]) => `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;

const passwordLine = (id: string, email: string, passwordHash = bcrypt): Line => ({
  _id: { $oid: id },
  email,
  email_verified: true,
  passwordHash,
});

const ada = {
  user_id: 'auth0|a1',
  email: 'ada@example.com',
  email_verified: true,
  given_name: 'Ada',
};
const bob = {
  user_id: 'auth0|b2',
  email: 'bob@example.com',
  email_verified: true,
  given_name: 'Bob',
};
const cy = { user_id: 'auth0|c3', email: 'cy@example.com', email_verified: true };
const dee = { user_id: 'auth0|d4', email: 'dee@example.com', email_verified: true };
const sam = { user_id: 'auth0|s5', email: 'sam@example.com', email_verified: true };

/** The first export: imported in full, then listed into the snapshot. */
const bulk = {
  'users.ndjson': ndjson([ada, bob, cy, dee, sam]),
  'passwords.ndjson': ndjson([
    passwordLine('a1', ada.email),
    passwordLine('b2', bob.email),
    passwordLine('s5', sam.email),
  ]),
};

/**
 * The export at cutover. Users: ada as before (line 1), bob renamed (2), dee blocked since (3),
 * xavier blocked and never imported (4), eve new (5), frank whose email a WorkOS sign-up holds (6).
 * Password lines: ada (1), bob (2), xavier (3). Cy and sam are gone from the source.
 */
const delta = {
  'users.ndjson': ndjson([
    ada,
    { ...bob, given_name: 'Robert' },
    { ...dee, blocked: true },
    { user_id: 'auth0|x9', email: 'xavier@example.com', email_verified: true, blocked: true },
    { user_id: 'auth0|e5', email: 'eve@example.com', email_verified: true },
    { user_id: 'auth0|f6', email: 'frank@example.com', email_verified: true },
  ]),
  'passwords.ndjson': ndjson([
    passwordLine('a1', ada.email),
    passwordLine('b2', bob.email),
    passwordLine('x9', 'xavier@example.com'),
  ]),
};

function jobSourceOf(texts: Record<string, string>, options?: ManifestOptions) {
  return jobOfFiles(Object.keys(texts), openTexts(texts), {
    format: 'auth0',
    ...(options === undefined ? {} : { options }),
  });
}

/** Splits a job of in-memory files as the splitter does: its messages and settled outcomes. */
function split(
  texts: Record<string, string>,
  {
    options,
    ...rest
  }: { options?: ManifestOptions; snapshot?: WorkOsSnapshot; start?: SplitStart } = {},
) {
  return splitIntoList(jobSourceOf(texts, options), { jobId, ...rest });
}

const absentMessages = (messages: ImportMessage[]) =>
  messages.filter((message): message is AbsentUserMessage => 'absentUser' in message);

/**
 * The environment after the bulk import: every user message of `texts` through the consumer's
 * upsert, beside a sign-up of the live application (frank) and a user imported from Clerk.
 * Sam has signed in since.
 */
async function importedEnvironment(
  texts: Record<string, string> = bulk,
  options: ManifestOptions = {},
) {
  const directory = new InMemoryUserDirectory();
  const signUp = directory.seed({ email: 'frank@example.com', emailVerified: true });
  await importUsersOf(directory, jobSourceOf(texts, options), options);
  const fromClerk = directory.seed({
    email: 'clerk.user@example.com',
    externalId: 'user_2abcClerk',
    metadata: { [importMetadataKeys.source]: 'clerk', [importMetadataKeys.digest]: 'x' },
  });
  const idOf = (externalId: string) => {
    const user = [...directory.users.values()].find((stored) => stored.externalId === externalId);
    if (user === undefined) throw new Error(`${externalId} was not imported`);
    return user.id;
  };
  const samUser = directory.users.get(idOf(sam.user_id));
  if (samUser !== undefined) samUser.lastSignInAt = '2026-11-30T08:00:00.000Z';
  return { directory, snapshot: snapshotOfDirectory(directory), idOf, signUp, fromClerk };
}

const at = (sourceFile: string, line: number, file: number) => ({
  jobId,
  sourceFile,
  line,
  file,
});

describe('Function: planSplit() against a snapshot of WorkOS — the export’s users', () => {
  it('settles a user WorkOS holds as exported with its WorkOS id, and its password line in the same state', async () => {
    const { snapshot, idOf } = await importedEnvironment();

    const { outcomes, messages } = await split(delta, { snapshot });

    expect(outcomes.filter((outcome) => outcome.sourceId === ada.user_id)).toEqual([
      {
        origin: at('users.ndjson', 1, 0),
        kind: 'user',
        sourceId: ada.user_id,
        status: 'unchanged',
        workosUserId: idOf(ada.user_id),
      },
      {
        origin: at('passwords.ndjson', 1, 1),
        kind: 'joined',
        sourceId: ada.user_id,
        status: 'unchanged',
        workosUserId: idOf(ada.user_id),
        reason: 'joined_into_line:1',
      },
    ]);
    expect(
      messages.filter((message) => 'user' in message && message.user.sourceId === ada.user_id),
    ).toEqual([]);
  });

  it('sends a user WorkOS holds with other data as an update (existingLikely), with its password line joined', async () => {
    const { snapshot } = await importedEnvironment();

    const { messages, outcomes } = await split(delta, { snapshot });

    const [robert] = userMessagesOf(messages).filter(({ user }) => user.sourceId === bob.user_id);
    expect(robert?.user).toMatchObject({ firstName: 'Robert', existingLikely: true });
    expect(robert?.user.passwordHash).toBe(bcrypt);
    expect(robert?.joined).toEqual([at('passwords.ndjson', 2, 1)]);
    expect(outcomes.filter((outcome) => outcome.sourceId === bob.user_id)).toEqual([]);
  });

  it('sends a user WorkOS holds neither by external id nor by email as a create (no existingLikely)', async () => {
    const { snapshot } = await importedEnvironment();

    const { messages } = await split(delta, { snapshot });

    const [eve] = userMessagesOf(messages).filter(({ user }) => user.sourceId === 'auth0|e5');
    expect(eve?.user.email).toBe('eve@example.com');
    expect(eve?.user).not.toHaveProperty('existingLikely');
  });

  it('settles a user whose email a sign-up without external id holds, never overwritten, with the sign-up’s id', async () => {
    const { snapshot, signUp } = await importedEnvironment();

    const { messages, outcomes } = await split(delta, { snapshot });

    expect(outcomes.filter((outcome) => outcome.sourceId === 'auth0|f6')).toEqual([
      {
        origin: at('users.ndjson', 6, 0),
        kind: 'user',
        sourceId: 'auth0|f6',
        status: 'unchanged',
        workosUserId: signUp.id,
        reason: 'existing_user_not_overwritten',
      },
    ]);
    expect(userMessagesOf(messages).map(({ user }) => user.sourceId)).not.toContain('auth0|f6');
  });

  it('leaves that user to the consumer, to link and update, when the job overwrites existing users', async () => {
    const { snapshot } = await importedEnvironment();

    const { messages, outcomes } = await split(delta, {
      snapshot,
      options: { overwriteExistingUsers: true },
    });

    const [frank] = userMessagesOf(messages).filter(({ user }) => user.sourceId === 'auth0|f6');
    expect(frank?.options).toEqual({ overwriteExistingUsers: true });
    expect(frank?.user).not.toHaveProperty('existingLikely');
    expect(outcomes.filter((outcome) => outcome.sourceId === 'auth0|f6')).toEqual([]);
  });

  it('settles a user whose email a user imported from the same source holds as merged into it', async () => {
    const { snapshot, idOf } = await importedEnvironment();
    const reissued = {
      'users.ndjson': ndjson([{ user_id: 'auth0|c3-again', email: 'CY@example.com' }, ada]),
    };

    const { outcomes } = await split(reissued, { snapshot });

    expect(outcomes[0]).toEqual({
      origin: { jobId, sourceFile: 'users.ndjson', line: 1 },
      kind: 'user',
      sourceId: 'auth0|c3-again',
      status: 'unchanged',
      workosUserId: idOf(cy.user_id),
      reason: 'merged_into_existing_user',
    });
  });
});

describe('Function: planSplit() against a snapshot of WorkOS — blocked users', () => {
  it('settles a blocked user WorkOS does not hold as rejected, with no message, and its password line with it', async () => {
    const { snapshot } = await importedEnvironment();

    const { messages, outcomes } = await split(delta, { snapshot });

    expect(outcomes.filter((outcome) => outcome.sourceId === 'auth0|x9')).toEqual([
      {
        origin: at('users.ndjson', 4, 0),
        kind: 'user',
        sourceId: 'auth0|x9',
        status: 'rejected',
        reason: 'blocked',
      },
      {
        origin: at('passwords.ndjson', 3, 1),
        kind: 'joined',
        sourceId: 'auth0|x9',
        status: 'rejected',
        reason: 'joined_into_line:4',
      },
    ]);
    expect(
      messages.filter(
        (message) => 'blockedUser' in message && message.blockedUser.sourceId === 'auth0|x9',
      ),
    ).toEqual([]);
  });

  it('sends a blocked user WorkOS holds to the consumer to remove, and does not list them absent', async () => {
    const { snapshot, idOf } = await importedEnvironment();

    const { messages, outcomes } = await split(delta, {
      snapshot,
      options: { removeAbsentUsers: true },
    });

    expect(messages.filter((message) => 'blockedUser' in message)).toEqual([
      {
        version: 1,
        kind: 'blocked_user',
        origin: at('users.ndjson', 3, 0),
        blockedUser: { sourceId: dee.user_id, externalId: dee.user_id, source: 'auth0' },
        deferrals: 0,
      },
    ]);
    expect(outcomes.filter((outcome) => outcome.sourceId === dee.user_id)).toEqual([]);
    expect(absentMessages(messages).map(({ absentUser }) => absentUser.workosUserId)).not.toContain(
      idOf(dee.user_id),
    );
  });

  it('sends every blocked user to the consumer when the split has no snapshot', async () => {
    const { messages } = await split(delta);

    expect(
      messages.flatMap((message) =>
        'blockedUser' in message ? [message.blockedUser.sourceId] : [],
      ),
    ).toEqual([dee.user_id, 'auth0|x9']);
  });
});

describe('Function: planSplit() against a snapshot of WorkOS — users absent from the export', () => {
  it('settles each user of the source the export no longer holds as unchanged, after the last file, in the snapshot’s order', async () => {
    const { snapshot, idOf } = await importedEnvironment();

    const { outcomes, messages, passes } = await split(delta, { snapshot });

    expect(passes.at(-1)).toMatchObject({
      file: 2,
      sourceFile: absentFromExportSourceFile,
      recordKind: 'absent',
    });
    expect(outcomes.filter((outcome) => outcome.kind === 'absent')).toEqual([
      {
        origin: at(absentFromExportSourceFile, 1, 2),
        kind: 'absent',
        status: 'unchanged',
        workosUserId: idOf(cy.user_id),
        reason: 'absent_from_export',
      },
      {
        origin: at(absentFromExportSourceFile, 2, 2),
        kind: 'absent',
        status: 'unchanged',
        workosUserId: idOf(sam.user_id),
        reason: 'absent_from_export_signed_in',
      },
    ]);
    expect(absentMessages(messages)).toEqual([]);
  });

  it('never lists a sign-up without external id, nor a user imported from another source', async () => {
    const { snapshot, signUp, fromClerk, idOf } = await importedEnvironment();

    const { messages } = await split(delta, { snapshot, options: { removeAbsentUsers: true } });

    const listed = absentMessages(messages).map(({ absentUser }) => absentUser.workosUserId);
    expect(listed).toEqual([idOf(cy.user_id), idOf(sam.user_id)]);
    expect(listed).not.toContain(signUp.id);
    expect(listed).not.toContain(fromClerk.id);
  });

  it('lists nobody when the export names every user of the source', async () => {
    const { snapshot } = await importedEnvironment();

    const { outcomes, passes, summary } = await split(bulk, { snapshot });

    expect(passes.at(-1)?.sourceFile).toBe(absentFromExportSourceFile);
    expect(outcomes.filter((outcome) => outcome.kind === 'absent')).toEqual([]);
    // Nothing changed since the bulk import: every record is settled, nothing is sent.
    expect(summary.enqueued).toBe(0);
  });

  it('sends each absent user to be removed when the job asks, flagging those the snapshot saw signed in', async () => {
    const { snapshot, idOf } = await importedEnvironment();

    const { outcomes, messages } = await split(delta, {
      snapshot,
      options: { removeAbsentUsers: true },
    });

    expect(absentMessages(messages)).toEqual([
      {
        version: 1,
        kind: 'absent_user',
        origin: at(absentFromExportSourceFile, 1, 2),
        absentUser: { workosUserId: idOf(cy.user_id), source: 'auth0' },
        deferrals: 0,
      },
      {
        version: 1,
        kind: 'absent_user',
        origin: at(absentFromExportSourceFile, 2, 2),
        absentUser: { workosUserId: idOf(sam.user_id), source: 'auth0', signedInWhenListed: true },
        deferrals: 0,
      },
    ]);
    expect(outcomes.filter((outcome) => outcome.kind === 'absent')).toEqual([]);
  });

  it('asks to remove signed-in users too when the job says so', async () => {
    const { snapshot, idOf } = await importedEnvironment();

    const { messages } = await split(delta, {
      snapshot,
      options: { removeAbsentUsers: true, removeSignedInAbsentUsers: true },
    });

    expect(absentMessages(messages).map(({ absentUser }) => absentUser)).toEqual([
      { workosUserId: idOf(cy.user_id), source: 'auth0', removeSignedIn: true },
      {
        workosUserId: idOf(sam.user_id),
        source: 'auth0',
        removeSignedIn: true,
        signedInWhenListed: true,
      },
    ]);
  });

  it('gives the same absent list to every planning of the same files and snapshot', async () => {
    const { snapshot, idOf } = await importedEnvironment();
    const job = await jobSourceOf(delta).describe(jobId);
    const absentListOf = async () => {
      const passes = await planSplit(job, (file) => openTexts(delta)(file.sourceFile), {
        snapshot,
      });
      return decisionsOf(passes.at(-1));
    };

    const first = await absentListOf();
    const second = await absentListOf();

    expect(first).toEqual([
      [1, 'settle', idOf(cy.user_id), 'absent_from_export'],
      [2, 'settle', idOf(sam.user_id), 'absent_from_export_signed_in'],
    ]);
    expect(second).toEqual(first);
  });

  it('lets a continuation that starts inside the absent list settle only the users after it, the same ones', async () => {
    const { snapshot } = await importedEnvironment();
    const whole = await split(delta, { snapshot });
    const absentOfWhole = whole.outcomes.filter((outcome) => outcome.kind === 'absent');
    const afterFirstAbsent = recordPosition({ file: 2, line: 1 });

    const continued = await split(delta, {
      snapshot,
      start: { afterLine: afterFirstAbsent, read: 0, enqueued: 0 },
    });

    expect(continued.outcomes).toEqual(absentOfWhole.slice(1));
    expect(continued.messages).toEqual([]);
  });
});

describe('Function: planSplit() against a snapshot of WorkOS — what turns it off', () => {
  it('ignores the snapshot entirely with skipWorkosSnapshot: the same messages and outcomes as a split without one', async () => {
    const { snapshot } = await importedEnvironment();

    const skipping = await split(delta, {
      snapshot,
      options: { skipWorkosSnapshot: true, removeAbsentUsers: true },
    });
    const without = await split(delta, {
      options: { skipWorkosSnapshot: true, removeAbsentUsers: true },
    });

    expect(skipping.passes.map((pass) => pass.sourceFile)).toEqual([
      'users.ndjson',
      'passwords.ndjson',
    ]);
    expect(skipping.messages).toEqual(without.messages);
    expect(skipping.outcomes).toEqual(without.outcomes);
    expect(userMessagesOf(skipping.messages).map(({ user }) => user.sourceId)).toEqual([
      ada.user_id,
      bob.user_id,
      'auth0|e5',
      'auth0|f6',
    ]);
    expect(userMessagesOf(skipping.messages).some(({ user }) => user.existingLikely)).toBe(false);
    expect(absentMessages(skipping.messages)).toEqual([]);
  });

  it('reads a password export alone against the snapshot: no absent list, an unknown user created, a known one updated', async () => {
    const { snapshot, idOf } = await importedEnvironment();
    const passwordsAlone = {
      'passwords.ndjson': ndjson([
        passwordLine('a1', ada.email, otherBcrypt),
        passwordLine('n7', 'nia@example.com'),
        passwordLine('p8', cy.email),
      ]),
    };

    const { passes, messages, outcomes } = await split(passwordsAlone, {
      snapshot,
      options: { removeAbsentUsers: true },
    });

    expect(passes.map((pass) => pass.sourceFile)).toEqual(['passwords.ndjson']);
    const sent = userMessagesOf(messages).map(({ user }) => user);
    expect(sent.map(({ sourceId }) => sourceId)).toEqual([ada.user_id, 'auth0|n7']);
    expect(sent[0]).toMatchObject({ existingLikely: true, onlyInPasswordExport: true });
    expect(sent[1]).toMatchObject({ onlyInPasswordExport: true });
    expect(sent[1]).not.toHaveProperty('existingLikely');
    // Cy's email is held by cy's user: a password record alone never attaches to another user.
    expect(outcomes).toEqual([
      {
        origin: { jobId, sourceFile: 'passwords.ndjson', line: 3 },
        kind: 'user',
        sourceId: 'auth0|p8',
        status: 'rejected',
        workosUserId: idOf(cy.user_id),
        reason: 'orphan_password_email_in_use',
      },
    ]);
    expect(absentMessages(messages)).toEqual([]);
  });

  it('reads a password export alone without a snapshot as users most likely in WorkOS already', async () => {
    const { messages } = await split({
      'passwords.ndjson': ndjson([passwordLine('n7', 'nia@example.com')]),
    });

    expect(userMessagesOf(messages)[0]?.user).toMatchObject({ existingLikely: true });
  });
});

describe('Function: planSplit() against a snapshot of WorkOS — users the export names another way', () => {
  // A record merged into the WorkOS user holding its email names that user: listing it absent
  // would, with removeAbsentUsers, delete the user the record was just merged into.
  it('does not remove the user a record of the export was merged into', async () => {
    const { snapshot, idOf } = await importedEnvironment();
    const reissued = {
      'users.ndjson': ndjson([ada, bob, { user_id: 'auth0|c3-again', email: cy.email }, dee, sam]),
    };

    const { messages, outcomes } = await split(reissued, {
      snapshot,
      options: { removeAbsentUsers: true },
    });

    expect(outcomes.find((outcome) => outcome.sourceId === 'auth0|c3-again')).toMatchObject({
      workosUserId: idOf(cy.user_id),
      reason: 'merged_into_existing_user',
    });
    expect(absentMessages(messages).map(({ absentUser }) => absentUser.workosUserId)).not.toContain(
      idOf(cy.user_id),
    );
  });

  // With importOrphanPasswords, a password record stands for a user of its own: that user is named
  // by the export as much as one of the users file.
  it('does not remove a user the job imports from its password export alone', async () => {
    const withOrphan = {
      'users.ndjson': bulk['users.ndjson'],
      'passwords.ndjson': ndjson([
        passwordLine('a1', ada.email),
        passwordLine('o7', 'olga@example.com'),
      ]),
    };
    const options = { importOrphanPasswords: true };
    const { snapshot, idOf } = await importedEnvironment(withOrphan, options);

    const { messages, outcomes } = await split(withOrphan, {
      snapshot,
      options: { ...options, removeAbsentUsers: true },
    });

    expect(outcomes.find((outcome) => outcome.sourceId === 'auth0|o7')).toMatchObject({
      status: 'unchanged',
      workosUserId: idOf('auth0|o7'),
    });
    expect(absentMessages(messages).map(({ absentUser }) => absentUser.workosUserId)).not.toContain(
      idOf('auth0|o7'),
    );
  });
});

/** What a pass decides for each record it opens, as `[line, action, WorkOS id, reason]`. */
async function decisionsOf(pass: SplitPass | undefined): Promise<unknown[][]> {
  if (pass === undefined) throw new Error('no pass');
  return decisionsOfPass(pass, jobId, (decision) =>
    decision.action === 'settle'
      ? ['settle', decision.outcomes[0]?.workosUserId, decision.outcomes[0]?.reason]
      : decision.action === 'enqueue' && 'absentUser' in decision.message
        ? ['enqueue', decision.message.absentUser.workosUserId]
        : [decision.action],
  );
}
