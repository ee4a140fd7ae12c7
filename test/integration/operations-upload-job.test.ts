import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runUploadCommand, type UploadCommandOptions } from '../../src/cli/upload-command.ts';
import { jobIdFor } from '../../src/model/job-id.ts';
import { formatBytes } from '../../src/operations/operator-console.ts';
import { exportObjectIdentity } from '../../src/operations/upload-export.ts';
import { tenantExportFiles, tenantFixture } from '../helpers/auth0-tenant-fixture.ts';
import {
  createTestAwsClients,
  testAwsCredentials,
  testAwsRegion,
  uniqueName,
} from '../helpers/aws-clients.ts';
import {
  createSplitterOnMoto,
  createStackWithOutputs,
  createVersionedBucket,
} from '../helpers/deployed-stack.ts';
import { runMigrateCli } from '../helpers/migrate-cli.ts';
import { s3ObjectCreatedEvent } from '../helpers/s3-events.ts';

const endpoint = inject('awsEndpoint');
const aws = createTestAwsClients(endpoint);
const clientConfig = { endpoint, region: testAwsRegion, credentials: { ...testAwsCredentials } };
const cloudformation = new CloudFormationClient(clientConfig);

/** `npm run migrate -- <args>`, with the SDK's default chain pointed at moto. */
const cli = (args: string[]) => runMigrateCli(args, inject('awsEnvironment'));

const users = tenantFixture('users.ndjson');
const passwords = tenantFixture('passwords.ndjson');
const tenantFiles = tenantExportFiles.map(tenantFixture);

/**
 * A deployed environment as `upload` sees it (the same stub as operations-job.test.ts): a
 * versioned export bucket, as the stack's, and a stack `WorkosUserImport-<env>` whose outputs
 * name it. Stacks deployed before jobs of several files lack the `JobPrefix` output.
 */
async function deployEnvironment({ jobPrefixOutput = true } = {}) {
  const name = uniqueName('upjob');
  const bucket = await createVersionedBucket(aws.s3);
  const queueUrl = `${endpoint}/123456789012/${name}`;
  const outputs: Record<string, string> = {
    ExportBucketName: bucket,
    ExportPrefix: 'exports/',
    ...(jobPrefixOutput ? { JobPrefix: 'jobs/' } : {}),
    UserQueueUrl: queueUrl,
    UserQueueArn: `arn:aws:sqs:${testAwsRegion}:123456789012:${name}`,
    DeadLetterQueueUrl: `${queueUrl}-dlq`,
    DeadLetterQueueArn: `arn:aws:sqs:${testAwsRegion}:123456789012:${name}-dlq`,
    WorkosApiKeySecretArn: `arn:aws:secretsmanager:${testAwsRegion}:123456789012:secret:workos`,
    SplitterFailureQueueUrl: `${endpoint}/123456789012/splitter-failures`,
  };
  await createStackWithOutputs(cloudformation, `WorkosUserImport-${name}`, outputs);
  return { name, bucket };
}

async function keysIn(bucket: string): Promise<string[]> {
  const { Contents = [] } = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return Contents.map((object) => object.Key ?? '').sort();
}

async function head(bucket: string, key: string) {
  const object = await aws.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (object.ETag === undefined || object.ContentLength === undefined || !object.VersionId) {
    throw new Error(`HeadObject of s3://${bucket}/${key} lacks an ETag, a size or a version`);
  }
  return { eTag: object.ETag, size: object.ContentLength, versionId: object.VersionId };
}

/** The job id the splitter derives from the object as S3 holds it now. */
async function jobIdOfObject(bucket: string, key: string): Promise<string> {
  const { eTag, versionId } = await head(bucket, key);
  return jobIdFor(exportObjectIdentity({ bucket, key, versionId, eTag }));
}

/**
 * An S3 client for moto that records each object write once S3 has answered it, in order, and
 * fails the upload of `failKey` as S3 does when access is denied.
 */
function recordingS3({ failKey }: { failKey?: string } = {}) {
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const written: string[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const { Key } = args.input as { Key?: string };
      if (Key !== undefined && Key === failKey) {
        throw Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      }
      const result = await next(args);
      if (
        context.commandName === 'PutObjectCommand' ||
        context.commandName === 'CompleteMultipartUploadCommand'
      ) {
        written.push(Key ?? '');
      }
      return result;
    },
    { step: 'initialize', name: 'recordObjectWrites' },
  );
  return { s3, written };
}

/** `runUploadCommand` in this process, with its output captured. */
async function upload(
  files: string[],
  options: Omit<UploadCommandOptions, 'json'> & { json?: boolean },
  s3: S3Client,
) {
  let stdout = '';
  let stderr = '';
  const code = await runUploadCommand(
    files,
    { json: false, ...options },
    {
      s3,
      cloudformation,
      signal: new AbortController().signal,
      out: (text) => {
        stdout += text;
      },
      err: (text) => {
        stderr += text;
      },
      progress: 'none',
      now: () => new Date('2026-03-04T05:06:07.000Z'),
    },
  );
  return { code, stdout, stderr };
}

const scratch = await mkdtemp(join(tmpdir(), 'upload-job-'));
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('migrate upload of several files', () => {
  it('puts them in one job folder, the manifest last, and prints the job id the splitter gives it', async () => {
    const environment = await deployEnvironment();
    const { s3, written } = recordingS3();

    const { code, stdout, stderr } = await upload(
      [users, passwords],
      { env: environment.name },
      s3,
    );

    expect(code, stderr).toBe(0);
    const folder = 'jobs/20260304-050607-users/';
    const manifestKey = `${folder}manifest.json`;
    expect(written).toEqual([`${folder}users.ndjson`, `${folder}passwords.ndjson`, manifestKey]);
    expect(await keysIn(environment.bucket)).toEqual(
      [manifestKey, `${folder}passwords.ndjson`, `${folder}users.ndjson`].sort(),
    );
    const manifest = await aws.s3.send(
      new GetObjectCommand({ Bucket: environment.bucket, Key: manifestKey }),
    );
    expect(JSON.parse((await manifest.Body?.transformToString()) ?? '')).toEqual({
      version: 1,
      files: [{ key: 'users.ndjson' }, { key: 'passwords.ndjson' }],
      options: {},
    });

    const jobId = await jobIdOfObject(environment.bucket, manifestKey);
    const line = async (file: string, key: string, label = file) => {
      const { size, versionId } = await head(environment.bucket, key);
      return `Uploaded ${label} (${formatBytes(size)}) to s3://${environment.bucket}/${key} (version ${versionId})\n`;
    };
    expect(stdout).toBe(
      (await line(users, `${folder}users.ndjson`)) +
        (await line(passwords, `${folder}passwords.ndjson`)) +
        (await line('', manifestKey, 'the job manifest')) +
        `  job ${jobId}\n` +
        '\nThe manifest starts one import job of 2 file(s). Watch it with:\n' +
        `  npm run migrate -- status ${jobId} --env ${environment.name}\n`,
    );
    expect(stdout.match(/job_[0-9a-f]{20}/g)).toEqual([jobId, jobId]);
  });

  it('is split by the splitter as one job of both files, under the printed id', async () => {
    const environment = await deployEnvironment();
    const { s3 } = recordingS3();
    const { code, stdout } = await upload(
      [users, passwords],
      { env: environment.name, jobName: 'tenant', json: true },
      s3,
    );
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { job: { jobId: string; manifestKey: string } };
    const { split: splitter, ledger } = await createSplitterOnMoto(aws, 'upjob');
    const manifest = await head(environment.bucket, printed.job.manifestKey);

    const [split] = await splitter(
      s3ObjectCreatedEvent({
        bucket: environment.bucket,
        key: printed.job.manifestKey,
        ...manifest,
      }),
    );

    expect(printed.job.manifestKey).toBe('jobs/tenant/manifest.json');
    // Every line of both files is read in the one job.
    const lines = async (file: string) =>
      (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '').length;
    expect(split).toMatchObject({
      jobId: printed.job.jobId,
      completed: true,
      read: (await lines(users)) + (await lines(passwords)),
    });
    expect(await ledger.getJob(printed.job.jobId)).toMatchObject({
      key: printed.job.manifestKey,
    });
  });

  it('--json prints the uploads without job ids of their own, and the one job', async () => {
    const environment = await deployEnvironment();

    const { code, stdout, stderr } = await cli([
      'upload',
      users,
      passwords,
      '--env',
      environment.name,
      '--job-name',
      'acme-2026',
      '--format',
      'auth0',
      '--overwrite-existing',
      '--json',
    ]);

    expect(code, stderr).toBe(0);
    const entry = async (file: string, key: string) => {
      const { eTag, size, versionId } = await head(environment.bucket, key);
      return {
        file,
        bucket: environment.bucket,
        key,
        sizeBytes: size,
        versionId,
        eTag: eTag.replaceAll('"', ''),
      };
    };
    expect(JSON.parse(stdout)).toEqual({
      uploads: [
        await entry(users, 'jobs/acme-2026/users.ndjson'),
        await entry(passwords, 'jobs/acme-2026/passwords.ndjson'),
      ],
      job: {
        jobId: await jobIdOfObject(environment.bucket, 'jobs/acme-2026/manifest.json'),
        manifestKey: 'jobs/acme-2026/manifest.json',
      },
    });
    const manifest = await aws.s3.send(
      new GetObjectCommand({ Bucket: environment.bucket, Key: 'jobs/acme-2026/manifest.json' }),
    );
    expect(JSON.parse((await manifest.Body?.transformToString()) ?? '')).toMatchObject({
      format: 'auth0',
      options: { overwriteExistingUsers: true },
    });
  });

  it('makes one job of a single file given a job option, under jobs/ on a stack without JobPrefix', async () => {
    const environment = await deployEnvironment({ jobPrefixOutput: false });

    const { code, stdout } = await upload(
      [users],
      { env: environment.name, json: true, importBlocked: true },
      recordingS3().s3,
    );

    expect(code).toBe(0);
    const manifestKey = 'jobs/20260304-050607-users/manifest.json';
    expect(JSON.parse(stdout).job).toEqual({
      jobId: await jobIdOfObject(environment.bucket, manifestKey),
      manifestKey,
    });
    const manifest = await aws.s3.send(
      new GetObjectCommand({ Bucket: environment.bucket, Key: manifestKey }),
    );
    expect(JSON.parse((await manifest.Body?.transformToString()) ?? '').options).toEqual({
      importBlockedUsers: true,
    });
  });

  it('uploads a hand-written manifest as written, after the files it names', async () => {
    const environment = await deployEnvironment();
    const { s3, written } = recordingS3();
    const manifestFile = tenantFixture('manifest.json');

    const { code, stdout, stderr } = await upload(
      tenantFiles,
      { env: environment.name, jobName: 'tenant', manifest: manifestFile },
      s3,
    );

    expect(code, stderr).toBe(0);
    expect(written.at(-1)).toBe('jobs/tenant/manifest.json');
    expect(written).toHaveLength(tenantFiles.length + 1);
    const stored = await aws.s3.send(
      new GetObjectCommand({ Bucket: environment.bucket, Key: 'jobs/tenant/manifest.json' }),
    );
    expect(await stored.Body?.transformToString()).toBe(await readFile(manifestFile, 'utf8'));
    const jobId = await jobIdOfObject(environment.bucket, 'jobs/tenant/manifest.json');
    expect(stdout).toContain(`Uploaded the job manifest ${manifestFile} (`);
    expect(stdout).toContain(`  npm run migrate -- status ${jobId} --env ${environment.name}\n`);
  });

  it('uploads no manifest when a file fails, says no import started, and exits 1', async () => {
    const environment = await deployEnvironment();
    const { s3 } = recordingS3({ failKey: 'jobs/broken/passwords.ndjson' });
    const organizations = tenantFixture('organizations.json');

    const { code, stdout, stderr } = await upload(
      [users, passwords, organizations],
      { env: environment.name, jobName: 'broken', json: true },
      s3,
    );

    expect(code).toBe(1);
    expect(await keysIn(environment.bucket)).toEqual(['jobs/broken/users.ndjson']);
    expect(stderr).toBe(
      `Error: could not upload ${passwords} to s3://${environment.bucket}/jobs/broken/passwords.ndjson: Access Denied\n` +
        `Not uploaded: ${passwords}, ${organizations}, and the job manifest, so no import started.\n` +
        `The files uploaded to s3://${environment.bucket}/jobs/broken/ start nothing by themselves; ` +
        'run the same command with --job-name broken to upload the job again.\n',
    );
    expect(JSON.parse(stdout)).toEqual({
      uploads: [expect.objectContaining({ key: 'jobs/broken/users.ndjson' })],
      job: null,
    });
  });
});

describe('migrate upload refusals', () => {
  let environment: { name: string; bucket: string };
  const manifests: Record<string, string> = {
    'extra.json': '{"files":[{"key":"users.ndjson"},{"key":"organizations.json"}]}',
    'broken.json': '{"files":[{"key":"users.ndjson"}',
    'short.json': '{"files":[{"key":"users.ndjson"}]}',
    'climbing.json': '{"files":[{"key":"users.ndjson"},{"key":"../passwords.ndjson"}]}',
  };

  beforeAll(async () => {
    environment = await deployEnvironment();
    for (const [name, text] of Object.entries(manifests)) {
      await writeFile(join(scratch, name), text);
    }
  });

  it.each([
    [
      'a manifest naming a file not given',
      ['--manifest', 'extra.json', users],
      'Error: The job manifest names organizations.json, which is not among the files given ' +
        "(users.ndjson); name each of the job's files on the command line\n",
    ],
    [
      'a manifest that is not JSON',
      ['--manifest', 'broken.json', users],
      'Error: The job manifest is not valid JSON\n',
    ],
    [
      'a manifest that leaves a file given out',
      ['--manifest', 'short.json', users, passwords],
      'Error: The job manifest does not name passwords.ndjson, so it would be uploaded and ' +
        'never imported; add them to its files or leave them out\n',
    ],
    [
      'a manifest reaching outside its folder',
      ['--manifest', 'climbing.json', users, passwords],
      "Error: The file ../passwords.ndjson is outside the manifest's folder\n",
    ],
    [
      'a manifest that does not exist',
      ['--manifest', 'missing.json', users],
      `Error: ${join(scratch, 'missing.json')} does not exist or cannot be read\n`,
    ],
    [
      'job options beside a manifest',
      ['--manifest', 'short.json', '--format', 'auth0', '--import-blocked', users],
      "Error: The manifest holds the job's format and options: set them there instead of " +
        '--format, --import-blocked\n',
    ],
    [
      'job options with --separate',
      ['--separate', '--overwrite-existing', users, passwords],
      'Error: --separate uploads each file under the export prefix as a job of its own, which ' +
        'takes no job options: drop --separate to upload one job with --overwrite-existing\n',
    ],
    [
      'a job name with a folder in it',
      ['--job-name', 'acme/prod', users],
      `Error: The job name "acme/prod" may hold only letters, digits, '.', '_' and '-' (and is not . or ..)\n`,
    ],
    [
      'a file named manifest.json among the files of a job',
      [tenantFixture('manifest.json'), users],
      `Error: ${tenantFixture('manifest.json')} would be uploaded as the job's manifest.json, whose ` +
        'upload starts the job; pass a hand-written manifest with --manifest <file>, or rename the file\n',
    ],
  ])('exits 2 and uploads nothing for %s', async (_, args, message) => {
    const absolute = args.map((arg) =>
      arg in manifests || arg === 'missing.json' ? join(scratch, arg) : arg,
    );

    const { code, stdout, stderr } = await cli(['upload', ...absolute, '--env', environment.name]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(message);
    expect(await keysIn(environment.bucket)).toEqual([]);
  });
});

describe('migrate upload of one job per file', () => {
  it('puts a single file with --format in the source folder of the export prefix', async () => {
    const environment = await deployEnvironment();

    const { code, stdout } = await upload(
      [users],
      { env: environment.name, format: 'auth0', json: true },
      recordingS3().s3,
    );

    expect(code).toBe(0);
    const key = 'exports/auth0/users.ndjson';
    expect(await keysIn(environment.bucket)).toEqual([key]);
    expect(JSON.parse(stdout)).toEqual({
      uploads: [
        expect.objectContaining({ key, jobId: await jobIdOfObject(environment.bucket, key) }),
      ],
    });
  });

  it('--separate uploads several files under the export prefix, one job each', async () => {
    const environment = await deployEnvironment();

    const { code, stdout } = await upload(
      [users, passwords],
      { env: environment.name, separate: true },
      recordingS3().s3,
    );

    expect(code).toBe(0);
    expect(await keysIn(environment.bucket)).toEqual([
      'exports/passwords.ndjson',
      'exports/users.ndjson',
    ]);
    const usersJob = await jobIdOfObject(environment.bucket, 'exports/users.ndjson');
    const passwordsJob = await jobIdOfObject(environment.bucket, 'exports/passwords.ndjson');
    expect(stdout).toContain(`  job ${usersJob}\n`);
    expect(stdout).toContain(`  job ${passwordsJob}\n`);
    expect(stdout).toContain(
      '\nEach upload starts one import job. Watch it with:\n' +
        `  npm run migrate -- status ${usersJob} --env ${environment.name}\n` +
        `  npm run migrate -- status ${passwordsJob} --env ${environment.name}\n`,
    );
  });
});
