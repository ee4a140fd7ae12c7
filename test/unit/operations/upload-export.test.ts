import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIdFor } from '../../../src/model/job-id.ts';
import {
  exportKeyFor,
  exportObjectIdentity,
  uploadExport,
} from '../../../src/operations/upload-export.ts';

const s3Mock = mockClient(S3Client);

let directory: string;
beforeEach(async () => {
  s3Mock.reset();
  directory = await mkdtemp(join(tmpdir(), 'upload-export-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('exportObjectIdentity()', () => {
  it.each([
    [
      'a single-part upload: quotes dropped as in the S3 event',
      { versionId: 'v1', eTag: '"9b2cf535f27731c974343645a3985328"' },
      { versionId: 'v1', eTag: '9b2cf535f27731c974343645a3985328' },
    ],
    [
      'a multipart upload: the part count stays',
      { versionId: 'v2', eTag: '"d41d8cd98f00b204e9800998ecf8427e-3"' },
      { versionId: 'v2', eTag: 'd41d8cd98f00b204e9800998ecf8427e-3' },
    ],
    ['an unversioned bucket: no version id', { eTag: '"abc"' }, { eTag: 'abc' }],
    [
      'an emulator answering the version "null": no version id',
      { versionId: 'null', eTag: '"abc"' },
      { eTag: 'abc' },
    ],
  ])('%s', (_, uploaded, expected) => {
    expect(exportObjectIdentity({ bucket: 'b', key: 'exports/u.json', ...uploaded })).toEqual({
      bucket: 'b',
      key: 'exports/u.json',
      ...expected,
    });
  });
});

describe('exportKeyFor()', () => {
  it.each([
    ['exports/', '/home/ops/users.json.gz', 'exports/users.json.gz'],
    ['exports', 'users.json.gz', 'exports/users.json.gz'],
    ['exports/', './dir/my users.ndjson', 'exports/my users.ndjson'],
  ])('puts %s + %s at %s', (prefix, file, key) => {
    expect(exportKeyFor(prefix, file)).toBe(key);
  });

  it.each([
    ['exports/', '/home/ops/users.csv', 'clerk' as const, 'exports/clerk/users.csv'],
    ['exports', 'users.json', 'firebase' as const, 'exports/firebase/users.json'],
  ])('puts %s + %s of a named source (%s) in its folder: %s', (prefix, file, format, key) => {
    expect(exportKeyFor(prefix, file, format)).toBe(key);
  });
});

describe('uploadExport()', () => {
  it('uploads a small file in one PUT and names the job from the version and the unquoted ETag', async () => {
    const file = join(directory, 'users.ndjson');
    await writeFile(file, '{"user_id":"auth0|1"}\n');
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"0123abcd"', VersionId: 'version-7' });
    const progress: { loadedBytes: number; totalBytes: number }[] = [];

    const uploaded = await uploadExport({
      s3: new S3Client({ region: 'eu-west-1' }),
      bucket: 'exports-bucket',
      key: 'exports/users.ndjson',
      file,
      onProgress: (event) => progress.push(event),
    });

    expect(uploaded).toEqual({
      file,
      bucket: 'exports-bucket',
      key: 'exports/users.ndjson',
      sizeBytes: 22,
      versionId: 'version-7',
      eTag: '0123abcd',
      jobId: jobIdFor({
        bucket: 'exports-bucket',
        key: 'exports/users.ndjson',
        versionId: 'version-7',
        eTag: '0123abcd',
      }),
    });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'exports-bucket',
      Key: 'exports/users.ndjson',
    });
    expect(progress.at(-1)).toEqual({ loadedBytes: 22, totalBytes: 22 });
  });

  it('uploads bytes given in place of the file, sized by them', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"beef"' });
    const body = Buffer.from('{"files":[{"key":"users.json"}]}\n');

    const uploaded = await uploadExport({
      s3: new S3Client({ region: 'eu-west-1' }),
      bucket: 'exports-bucket',
      key: 'jobs/acme/manifest.json',
      file: 'manifest.json',
      body,
    });

    const sent = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Body as Uint8Array;
    expect(Buffer.from(sent).equals(body)).toBe(true);
    expect(uploaded).toMatchObject({ file: 'manifest.json', sizeBytes: body.byteLength });
  });

  it('asks S3 for the ETag when the upload answer lacks one', async () => {
    const file = join(directory, 'users.ndjson');
    await writeFile(file, 'x\n');
    s3Mock.on(PutObjectCommand).resolves({ VersionId: 'version-8' });
    s3Mock.on(HeadObjectCommand).resolves({ ETag: '"feed"', VersionId: 'version-8' });

    const uploaded = await uploadExport({
      s3: new S3Client({ region: 'eu-west-1' }),
      bucket: 'exports-bucket',
      key: 'exports/users.ndjson',
      file,
    });

    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { VersionId: 'version-8' });
    expect(uploaded.eTag).toBe('feed');
  });

  it('stops when the signal aborts, rejecting rather than reporting a job', async () => {
    const file = join(directory, 'users.ndjson');
    await writeFile(file, 'x\n');
    s3Mock.on(PutObjectCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { ETag: '"late"' };
    });
    const controller = new AbortController();

    const uploading = uploadExport({
      s3: new S3Client({ region: 'eu-west-1' }),
      bucket: 'exports-bucket',
      key: 'exports/users.ndjson',
      file,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);

    await expect(uploading).rejects.toMatchObject({ name: 'AbortError' });
  });
});
