import type { ImportUser, UserMessage } from '../../src/model/import-message.ts';
import type { ReceivedMessage } from '../../src/queue/queue-types.ts';

let messageCounter = 0;

export function importUserFactory(overrides: Partial<ImportUser> = {}): ImportUser {
  return {
    sourceId: 'auth0|5dea9f9c82dd7c0e76e4ec93',
    externalId: 'auth0|5dea9f9c82dd7c0e76e4ec93',
    email: 'ada@example.com',
    emailVerified: true,
    firstName: 'Ada',
    lastName: 'Lovelace',
    source: 'auth0',
    ...overrides,
  };
}

export function userMessageFactory(
  user: Partial<ImportUser> = {},
  origin: Partial<UserMessage['origin']> = {},
): UserMessage {
  return {
    version: 1,
    origin: { jobId: 'job_test', sourceFile: 'exports/users.json.gz', line: 1, ...origin },
    user: importUserFactory(user),
    deferrals: 0,
  };
}

export function receivedMessageFactory(
  body: UserMessage | string,
  receiveCount = 1,
): ReceivedMessage {
  messageCounter += 1;
  return {
    messageId: `msg-${messageCounter}`,
    receiptHandle: `rh-${messageCounter}-${receiveCount}`,
    receiveCount,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}
