import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { jobIdFor } from '../../../src/model/job-id.ts';
import { InvalidManifestError, parseJobManifest } from '../../../src/model/job-manifest.ts';
import {
  buildManifest,
  checkJobManifest,
  defaultJobName,
  JobUploadError,
  jobFolderKeyFor,
  jobManifestKeyFor,
  jobNameProblem,
  type UploadJobRequest,
  uploadJob,
} from '../../../src/operations/upload-job.ts';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

let directory: string;
beforeEach(async () => {
  s3Mock.reset();
  directory = await mkdtemp(join(tmpdir(), 'upload-job-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('jobNameProblem()', () => {
  it.each(['20260102-030405-users', 'acme_prod.v2', 'A-b_c.d'])('accepts %s', (name) => {
    expect(jobNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['a folder climb', '..', /may hold only/],
    ['the folder itself', '.', /may hold only/],
    ['a second folder', 'acme/users', /may hold only/],
    ['a space', 'acme users', /may hold only/],
    ['nothing', '', /may hold only/],
    ['a name longer than 128 characters', 'x'.repeat(129), /129 characters long; at most 128/],
  ])('refuses %s', (_, name, problem) => {
    expect(jobNameProblem(name)).toMatch(problem);
  });
});

describe('defaultJobName()', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');

  it.each([
    ['/exports/users.json.gz', '20260102-030405-users'],
    ['passwords.ndjson', '20260102-030405-passwords'],
    ['./my users (1).csv', '20260102-030405-my-users-1'],
    ['.hidden.json', '20260102-030405-hidden'],
    ['ユーザー.json', '20260102-030405'],
    ['no-extension', '20260102-030405-no-extension'],
    [`${'a'.repeat(80)}.json`, `20260102-030405-${'a'.repeat(64)}`],
  ])('names a job of %s %s', (file, name) => {
    expect(defaultJobName(file, now)).toBe(name);
    expect(jobNameProblem(defaultJobName(file, now))).toBeUndefined();
  });

  it('takes the time in UTC, whatever the time zone the clock is read in', () => {
    expect(defaultJobName('u.json', new Date('2026-12-31T23:59:59+02:00'))).toBe(
      '20261231-215959-u',
    );
  });
});

describe('jobFolderKeyFor() and jobManifestKeyFor()', () => {
  it.each([
    ['jobs/', '/data/users.json.gz', 'jobs/acme/users.json.gz'],
    ['jobs', 'users.json.gz', 'jobs/acme/users.json.gz'],
    ['imports/jobs/', './dir/my users.ndjson', 'imports/jobs/acme/my users.ndjson'],
  ])('puts %s + %s at %s', (prefix, file, key) => {
    expect(jobFolderKeyFor(prefix, 'acme', file)).toBe(key);
  });

  it.each([
    ['jobs/', 'jobs/acme/manifest.json'],
    ['jobs', 'jobs/acme/manifest.json'],
  ])('puts the manifest of a job under %s at %s', (prefix, key) => {
    expect(jobManifestKeyFor(prefix, 'acme')).toBe(key);
  });
});

describe('buildManifest()', () => {
  it.each([
    [
      'files by their names, no options',
      { files: ['/data/users.json', 'exports/passwords.json'] },
      {
        version: 1,
        files: [{ key: 'users.json' }, { key: 'passwords.json' }],
        options: {},
      },
    ],
    [
      'a format and options',
      {
        files: ['users.csv'],
        format: 'firebase' as const,
        options: { importBlockedUsers: true, roleSlugs: { admin: 'admin' } },
      },
      {
        version: 1,
        format: 'firebase',
        files: [{ key: 'users.csv' }],
        options: { importBlockedUsers: true, roleSlugs: { admin: 'admin' } },
      },
    ],
  ])('builds a manifest of %s that the splitter parses back unchanged', (_, request, expected) => {
    const manifest = buildManifest(request);

    expect(manifest).toEqual(expected);
    expect(parseJobManifest(JSON.stringify(manifest))).toEqual(expected);
  });
});

describe('checkJobManifest()', () => {
  const files = ['/data/users.json', '/data/passwords.json'];

  it.each([
    ['names as given', ['users.json', 'passwords.json']],
    ['names relative to its folder', ['./users.json', 'passwords.json']],
  ])('accepts a manifest that %s', (_, keys) => {
    const text = JSON.stringify({ files: keys.map((key) => ({ key })) });

    expect(checkJobManifest(text, files).files.map((file) => file.key)).toEqual(keys);
  });

  it.each([
    ['not JSON', '{files:', /not valid JSON/],
    ['a field the schema lacks', '{"files":[{"key":"users.json"}],"upsert":true}', /not valid/],
    [
      'a file that is not given',
      '{"files":[{"key":"users.json"},{"key":"passwords.json"},{"key":"orgs.json"}]}',
      /names orgs\.json, which is not among the files given \(users\.json, passwords\.json\)/,
    ],
    [
      'a file in another folder',
      '{"files":[{"key":"users.json"},{"key":"other/passwords.json"}]}',
      /names other\/passwords\.json, which is not among the files given/,
    ],
    [
      'a file outside its folder',
      '{"files":[{"key":"users.json"},{"key":"../passwords.json"}]}',
      /outside the manifest's folder/,
    ],
    [
      'not every file given',
      '{"files":[{"key":"users.json"}]}',
      /does not name passwords\.json, so it would be uploaded and never imported/,
    ],
  ])('refuses a manifest with %s', (_, text, message) => {
    expect(() => checkJobManifest(text, files)).toThrow(InvalidManifestError);
    expect(() => checkJobManifest(text, files)).toThrow(message);
  });
});

describe('uploadJob()', () => {
  async function exportFiles(): Promise<string[]> {
    const users = join(directory, 'users.ndjson');
    const passwords = join(directory, 'passwords.ndjson');
    await writeFile(users, '{"user_id":"auth0|1","email":"a@example.com"}\n');
    await writeFile(passwords, '{"_id":{"$oid":"1"},"passwordHash":"$2b$10$x"}\n');
    return [users, passwords];
  }

  /** Uploads `files` as the job `acme` to `jobs/` of the exports bucket, with `request` added. */
  function uploadAcme(files: string[], request: Partial<UploadJobRequest> = {}) {
    return uploadJob({
      s3,
      bucket: 'exports-bucket',
      jobPrefix: 'jobs/',
      jobName: 'acme',
      files,
      ...request,
    });
  }

  /** Each PUT's key, in the order S3 received them, and each body as text. */
  function puts(): { key: string | undefined; body: string }[] {
    return s3Mock.commandCalls(PutObjectCommand).map((call) => ({
      key: call.args[0].input.Key,
      body: Buffer.from(call.args[0].input.Body as Uint8Array).toString('utf8'),
    }));
  }

  it('uploads the files into the job folder, then the manifest, and names the job from the manifest', async () => {
    const files = await exportFiles();
    s3Mock
      .on(PutObjectCommand)
      .resolves({ ETag: '"data"', VersionId: 'v-data' })
      .on(PutObjectCommand, { Key: 'jobs/acme/manifest.json' })
      .resolves({ ETag: '"0f0f"', VersionId: 'v-manifest' });
    const reported: string[] = [];

    const job = await uploadAcme(files, {
      format: 'auth0',
      options: { overwriteExistingUsers: true },
      onFileUploaded: (upload) => reported.push(upload.key),
    });

    expect(puts().map(({ key }) => key)).toEqual([
      'jobs/acme/users.ndjson',
      'jobs/acme/passwords.ndjson',
      'jobs/acme/manifest.json',
    ]);
    expect(JSON.parse(puts()[2]?.body ?? '')).toEqual({
      version: 1,
      format: 'auth0',
      files: [{ key: 'users.ndjson' }, { key: 'passwords.ndjson' }],
      options: { overwriteExistingUsers: true },
    });
    expect(reported).toEqual(['jobs/acme/users.ndjson', 'jobs/acme/passwords.ndjson']);
    expect(job.jobId).toBe(
      jobIdFor({
        bucket: 'exports-bucket',
        key: 'jobs/acme/manifest.json',
        versionId: 'v-manifest',
        eTag: '0f0f',
      }),
    );
    expect(job.manifest).toMatchObject({ key: 'jobs/acme/manifest.json', jobId: job.jobId });
    // A file of a job starts nothing: no job id a script could mistake for the job's.
    expect(job.uploads).toEqual([
      expect.not.objectContaining({ jobId: expect.anything() }),
      expect.not.objectContaining({ jobId: expect.anything() }),
    ]);
    expect(job.uploads.map((upload) => upload.key)).toEqual(reported);
  });

  it('uploads a hand-written manifest as written', async () => {
    const files = await exportFiles();
    const manifest = join(directory, 'my-manifest.json');
    const text = '{ "files": [{ "key": "passwords.ndjson" }, { "key": "users.ndjson" }] }\n';
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"' });

    const job = await uploadAcme(files, {
      manifest: { file: manifest, text },
    });

    expect(puts().at(-1)).toEqual({ key: 'jobs/acme/manifest.json', body: text });
    expect(job.manifest.file).toBe(manifest);
  });

  it('uploads no manifest when a file fails, so no job starts', async () => {
    const files = await exportFiles();
    s3Mock
      .on(PutObjectCommand)
      .resolves({ ETag: '"data"' })
      .on(PutObjectCommand, { Key: 'jobs/acme/passwords.ndjson' })
      .rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    const uploading = uploadAcme(files);

    const error = await uploading.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobUploadError);
    expect(error).toMatchObject({
      file: files[1],
      key: 'jobs/acme/passwords.ndjson',
      uploaded: [expect.objectContaining({ key: 'jobs/acme/users.ndjson' })],
      cause: expect.objectContaining({ name: 'AccessDenied' }),
    });
    expect(puts().map(({ key }) => key)).not.toContain('jobs/acme/manifest.json');
  });

  it('uploads no manifest once the signal aborts, even between files', async () => {
    const files = await exportFiles();
    const controller = new AbortController();
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"data"' });

    const error = await uploadAcme(files, {
      signal: controller.signal,
      onFileUploaded: (upload) => {
        if (upload.key.endsWith('passwords.ndjson')) controller.abort();
      },
    }).catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      name: 'JobUploadError',
      key: 'jobs/acme/manifest.json',
      uploaded: [expect.anything(), expect.anything()],
    });
    expect(puts().map(({ key }) => key)).toEqual([
      'jobs/acme/users.ndjson',
      'jobs/acme/passwords.ndjson',
    ]);
  });

  it.each([
    [
      'an unusable job name',
      { jobName: '../exports' },
      ConfigError,
      /may hold only letters, digits/,
    ],
    [
      'a manifest that names a file not given',
      { manifest: { file: 'm.json', text: '{"files":[{"key":"orgs.json"}]}' } },
      InvalidManifestError,
      /names orgs\.json/,
    ],
  ])('uploads nothing for %s', async (_, request, errorType, message) => {
    const files = await exportFiles();
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"data"' });

    const uploading = uploadAcme(files, request);

    await expect(uploading).rejects.toThrow(errorType);
    await expect(uploading).rejects.toThrow(message);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
