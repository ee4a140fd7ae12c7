import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  DuplicateUserError,
  type FailureClass,
  failureReasonOf,
  InvalidRecordError,
  PermanentImportError,
  PipelineError,
  RateLimitedError,
  TransientImportError,
  WorkOsAuthenticationError,
} from '../../../src/errors.ts';

describe('Function: classifyFailure()', () => {
  it.each<{ failure: string; error: unknown; expected: FailureClass }>([
    { failure: 'RateLimitedError', error: new RateLimitedError(10), expected: 'rate-limited' },
    {
      failure: 'WorkOsAuthenticationError',
      error: new WorkOsAuthenticationError('workos_unauthorized', 'no'),
      expected: 'fatal',
    },
    {
      failure: 'PermanentImportError',
      error: new PermanentImportError('workos_400', 'no'),
      expected: 'permanent',
    },
    {
      failure: 'InvalidRecordError',
      error: new InvalidRecordError('invalid_json', 'no'),
      expected: 'permanent',
    },
    {
      failure: 'TransientImportError',
      error: new TransientImportError('workos_503', 'no'),
      expected: 'transient',
    },
    {
      failure: 'a DuplicateUserError that escaped the upsert',
      error: new DuplicateUserError('email'),
      expected: 'transient',
    },
    {
      failure: 'a plain PipelineError',
      error: new PipelineError('x', 'no'),
      expected: 'transient',
    },
    { failure: 'an unclassified Error', error: new Error('bug'), expected: 'transient' },
    { failure: 'a thrown string', error: 'bug', expected: 'transient' },
    { failure: 'a thrown undefined', error: undefined, expected: 'transient' },
  ])('treats $failure as $expected', ({ error, expected }) => {
    // Act
    const failureClass = classifyFailure(error);

    // Assess
    expect(failureClass).toBe(expected);
  });
});

describe('Function: failureReasonOf()', () => {
  it.each<{ failure: string; error: unknown; expected: string }>([
    { failure: 'a RateLimitedError', error: new RateLimitedError(3), expected: 'rate_limited' },
    {
      failure: 'a DuplicateUserError',
      error: new DuplicateUserError('external_id'),
      expected: 'duplicate_external_id',
    },
    {
      failure: 'a PermanentImportError',
      error: new PermanentImportError('workos_422:email_string_required', 'WorkOS refused'),
      expected: 'workos_422:email_string_required',
    },
    {
      failure: 'an InvalidRecordError',
      error: new InvalidRecordError('missing_email', 'no email'),
      expected: 'missing_email',
    },
    {
      failure: 'an unclassified Error holding an email',
      error: new Error('failed for ada@example.com'),
      expected: 'unexpected_error',
    },
    { failure: 'a thrown string', error: 'ada@example.com', expected: 'unexpected_error' },
    { failure: 'a thrown null', error: null, expected: 'unexpected_error' },
  ])('records $failure as $expected', ({ error, expected }) => {
    // Act
    const reason = failureReasonOf(error);

    // Assess
    expect(reason).toBe(expected);
  });
});

describe('Class: PipelineError', () => {
  it.each([
    { name: 'DuplicateUserError', error: new DuplicateUserError('unknown') },
    { name: 'PermanentImportError', error: new PermanentImportError('r', 'm') },
    { name: 'TransientImportError', error: new TransientImportError('r', 'm') },
    { name: 'RateLimitedError', error: new RateLimitedError(1) },
    { name: 'WorkOsAuthenticationError', error: new WorkOsAuthenticationError('r', 'm') },
    { name: 'InvalidRecordError', error: new InvalidRecordError('r', 'm') },
  ])('names a $name after its class, so logs show which one it is', ({ name, error }) => {
    // Assess
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.name).toBe(name);
  });

  it('keeps the cause it was given', () => {
    // Prepare
    const cause = new Error('underlying');

    // Act
    const error = new TransientImportError('workos_503', 'WorkOS answered 503', { cause });

    // Assess
    expect(error.cause).toBe(cause);
  });
});
