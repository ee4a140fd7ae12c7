import { describe, expect, it } from 'vitest';
import { type ExportObjectIdentity, jobIdFor } from '../../../src/model/job-id.ts';

const uploadedExport: ExportObjectIdentity = {
  bucket: 'exports',
  key: 'auth0/users.json.gz',
  versionId: 'v1',
  eTag: '"etag1"',
};

describe('Function: jobIdFor()', () => {
  it('derives a short job id from the object, the same every time', () => {
    // Act
    const first = jobIdFor(uploadedExport);
    const second = jobIdFor({ ...uploadedExport });

    // Assess
    expect(first).toBe('job_f0885a9fbc064071c7d6');
    expect(second).toBe(first);
  });

  it.each([
    { change: 'another bucket', changed: { bucket: 'exports-eu' } },
    { change: 'another key', changed: { key: 'auth0/users-2.json.gz' } },
    { change: 'a new version (re-upload of the same key)', changed: { versionId: 'v2' } },
    { change: 'another ETag', changed: { eTag: '"etag2"' } },
    { change: 'no version id', changed: { versionId: undefined } },
  ])('derives a different job id for $change', ({ changed }) => {
    // Act
    const jobId = jobIdFor({ ...uploadedExport, ...changed });

    // Assess
    expect(jobId).toMatch(/^job_[0-9a-f]{20}$/);
    expect(jobId).not.toBe(jobIdFor(uploadedExport));
  });

  it('does not confuse a key boundary with a bucket boundary', () => {
    // Act
    const first = jobIdFor({ bucket: 'exports', key: 'a/b' });
    const second = jobIdFor({ bucket: 'exports/a', key: 'b' });

    // Assess
    expect(first).not.toBe(second);
  });
});
