import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { planUpload, type UploadRequest } from '../../../src/operations/upload-plan.ts';

let directory: string;
let users: string;
let passwords: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'upload-plan-'));
  users = join(directory, 'users.json');
  passwords = join(directory, 'passwords.json');
  await writeFile(users, '');
  await writeFile(passwords, '');
  await mkdir(join(directory, 'folder'));
});

function request(overrides: Partial<UploadRequest>): UploadRequest {
  return {
    files: [users],
    jobOptionFlags: [],
    readJobOptions: async () => ({ importBlockedUsers: true }),
    now: () => new Date('2025-03-04T05:06:07Z'),
    ...overrides,
  };
}

describe('planUpload', () => {
  it('uploads one file without options under the export prefix, as a job of its own', async () => {
    expect(await planUpload(request({ format: 'clerk' }))).toEqual({
      kind: 'separate',
      format: 'clerk',
    });
  });

  it('makes several files one job, named after the clock and the first file, with the options', async () => {
    expect(await planUpload(request({ files: [users, passwords] }))).toEqual({
      kind: 'job',
      jobName: '20250304-050607-users',
      options: { importBlockedUsers: true },
    });
  });

  it('makes one file with a job option one job', async () => {
    const plan = await planUpload(request({ jobOptionFlags: ['--import-blocked'] }));
    expect(plan).toMatchObject({ kind: 'job', options: { importBlockedUsers: true } });
  });

  describe.each([
    ['--separate with a job name', { separate: true, jobName: 'acme' }, /--separate.*--job-name/],
    [
      '--separate with a job option',
      { separate: true, jobOptionFlags: ['--role'] },
      /drop --separate to upload one job with --role/,
    ],
    [
      'flags beside a hand-written manifest',
      { manifestFile: 'manifest.json', format: 'auth0' as const },
      /set them there instead of --format/,
    ],
    ['a job name that is not a folder name', { jobName: 'a/b' }, /./],
    ['a missing file', { files: ['/nonexistent/users.json'] }, /does not exist or cannot be read/],
  ])('refuses %s before anything is uploaded', (_, overrides, message) => {
    it('with a ConfigError that says what to change', async () => {
      const plan = planUpload(request(overrides));
      await expect(plan).rejects.toThrow(ConfigError);
      await expect(plan).rejects.toThrow(message);
    });
  });

  it('refuses two files that would land on one key', async () => {
    const sameName = join(directory, 'folder', 'users.json');
    await writeFile(sameName, '');
    await expect(planUpload(request({ files: [users, sameName] }))).rejects.toThrow(
      /would both be uploaded as users\.json; rename one/,
    );
  });

  it('refuses a directory given as a file', async () => {
    await expect(planUpload(request({ files: [join(directory, 'folder')] }))).rejects.toThrow(
      /is not a file/,
    );
  });

  it('reads no job options when --separate makes them unused', async () => {
    let read = false;
    await planUpload(
      request({
        separate: true,
        readJobOptions: async () => {
          read = true;
          return {};
        },
      }),
    );
    expect(read).toBe(false);
  });
});
