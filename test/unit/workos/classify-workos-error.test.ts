import {
  BadRequestException,
  ConflictException,
  GenericServerException,
  NotFoundException,
  OauthException,
  RateLimitExceededException,
  UnauthorizedException,
  UnprocessableEntityException,
} from '@workos-inc/node';
import { describe, expect, it } from 'vitest';
import {
  DuplicateUserError,
  PermanentImportError,
  RateLimitedError,
  TransientImportError,
  WorkOsAuthenticationError,
} from '../../../src/errors.ts';
import { classifyWorkOsError } from '../../../src/workos/classify-workos-error.ts';

const requestID = 'req_01HZTESTREQUEST';
/** Personal data a WorkOS message may echo back; it must never reach a reason code. */
const email = 'ada.lovelace@example.com';

describe('Function: classifyWorkOsError()', () => {
  describe.each([
    { retryAfter: 7, seconds: 7 },
    { retryAfter: 1.2, seconds: 2 },
    { retryAfter: 60, seconds: 60 },
    { retryAfter: null, seconds: 10 },
    { retryAfter: Number.NaN, seconds: 10 },
    { retryAfter: 0, seconds: 10 },
    { retryAfter: -3, seconds: 10 },
    { retryAfter: Number.POSITIVE_INFINITY, seconds: 10 },
  ])('given a 429 with Retry-After $retryAfter', ({ retryAfter, seconds }) => {
    it(`returns a RateLimitedError asking to wait ${seconds} s`, () => {
      // Prepare
      const error = new RateLimitExceededException('Too many requests', requestID, retryAfter);

      // Act
      const classified = classifyWorkOsError(error);

      // Assess
      expect(classified).toBeInstanceOf(RateLimitedError);
      expect(classified).toMatchObject({ reason: 'rate_limited', retryAfterSeconds: seconds });
      expect(classified.cause).toBe(error);
    });
  });

  describe.each([
    {
      answer: '401 Unauthorized',
      error: () => new UnauthorizedException(requestID),
      reason: 'workos_unauthorized',
    },
    {
      answer: '403 from a key without user-management permission',
      error: () => new GenericServerException(403, 'Forbidden', {}, requestID),
      reason: 'workos_forbidden',
    },
  ])('given $answer', ({ error, reason }) => {
    it(`returns a WorkOsAuthenticationError with reason ${reason}`, () => {
      // Prepare
      const thrown = error();

      // Act
      const classified = classifyWorkOsError(thrown);

      // Assess
      expect(classified).toBeInstanceOf(WorkOsAuthenticationError);
      expect(classified.reason).toBe(reason);
      expect(classified.cause).toBe(thrown);
    });
  });

  describe.each([
    {
      answer: '400 user_creation_error with email_not_available',
      error: () =>
        new BadRequestException({
          code: 'user_creation_error',
          errors: [{ code: 'email_not_available', message: `${email} is not available.` }],
          message: 'Could not create user.',
          requestID,
        }),
      conflict: 'email',
    },
    {
      answer: '400 user_creation_error with external_id_already_used',
      error: () =>
        new BadRequestException({
          code: 'user_creation_error',
          errors: [{ code: 'external_id_already_used', message: 'External ID already used.' }],
          message: 'Could not create user.',
          requestID,
        }),
      conflict: 'external_id',
    },
    {
      answer: '400 user_creation_error with another detail before email_not_available',
      error: () =>
        new BadRequestException({
          code: 'user_creation_error',
          errors: [{ code: 'something_else' }, { code: 'email_not_available' }],
          requestID,
        }),
      conflict: 'email',
    },
    {
      answer: 'the legacy 409 user_already_exists',
      error: () =>
        new ConflictException({
          code: 'user_already_exists',
          message: `A user with email ${email} already exists.`,
          requestID,
        }),
      conflict: 'unknown',
    },
  ])('given $answer', ({ error, conflict }) => {
    it(`returns a DuplicateUserError on the ${conflict} field`, () => {
      // Prepare
      const thrown = error();

      // Act
      const classified = classifyWorkOsError(thrown);

      // Assess
      expect(classified).toBeInstanceOf(DuplicateUserError);
      expect(classified).toMatchObject({ conflict, reason: `duplicate_${conflict}` });
      expect(classified.cause).toBe(thrown);
    });
  });

  describe.each([
    {
      answer: '400 user_creation_error with a weak password',
      error: () =>
        new BadRequestException({
          code: 'user_creation_error',
          errors: [{ code: 'password_too_weak', message: 'Password is too weak.' }],
          requestID,
        }),
      reason: 'workos_400:user_creation_error:password_too_weak',
    },
    {
      answer: '400 email_not_available under another error code',
      error: () =>
        new BadRequestException({
          code: 'invalid_request_parameters',
          errors: [{ code: 'email_not_available' }],
          requestID,
        }),
      reason: 'workos_400:invalid_request_parameters:email_not_available',
    },
    {
      answer: '400 with a code but no details',
      error: () => new BadRequestException({ code: 'invalid_request_parameters', requestID }),
      reason: 'workos_400:invalid_request_parameters',
    },
    {
      answer: '400 without a code',
      error: () => new BadRequestException({ message: `Bad email ${email}`, requestID }),
      reason: 'workos_400',
    },
    {
      answer: '400 whose details are malformed or unsafe',
      error: () =>
        new BadRequestException({
          code: 'user_creation_error',
          errors: [null, 'password_too_weak', { code: 5 }, { code: email }, { code: 'Has Spaces' }],
          requestID,
        }),
      reason: 'workos_400:user_creation_error',
    },
    {
      answer: '400 whose code is not a safe identifier',
      error: () => new BadRequestException({ code: email, requestID }),
      reason: 'workos_400',
    },
    {
      answer: '400 GenericServerException with a code',
      error: () =>
        new GenericServerException(400, `Invalid ${email}`, { code: 'invalid_email' }, requestID),
      reason: 'workos_400:invalid_email',
    },
    {
      answer: '409 with another code',
      error: () => new ConflictException({ code: 'organization_conflict', requestID }),
      reason: 'workos_409:organization_conflict',
    },
    {
      answer: '422 with the requirement message the SDK builds',
      error: () =>
        new UnprocessableEntityException({
          message: 'The following requirement(s) must be met:\n\temail_string_required',
          requestID,
        }),
      reason: 'workos_422:email_string_required',
    },
    {
      answer: '422 built by the SDK from errors[], with a code',
      error: () =>
        new UnprocessableEntityException({
          code: 'invalid_request_parameters',
          errors: [
            { field: 'email', code: 'email_string_required' },
            { field: 'first_name', code: 'first_name_too_long' },
          ],
          requestID,
        }),
      reason: 'workos_422:invalid_request_parameters:email_string_required:first_name_too_long',
    },
    {
      answer: '422 with a free-text message',
      error: () =>
        new UnprocessableEntityException({
          message: `Validation failed:\n\t${email} is invalid`,
          requestID,
        }),
      reason: 'workos_422',
    },
    {
      answer: 'an OAuth-style 400 error',
      error: () =>
        new OauthException(400, requestID, 'invalid_grant', `No user ${email}`, {
          error: 'invalid_grant',
        }),
      reason: 'workos_400:invalid_grant',
    },
  ])('given $answer', ({ error, reason }) => {
    it(`returns a PermanentImportError with reason ${reason}`, () => {
      // Prepare
      const thrown = error();

      // Act
      const classified = classifyWorkOsError(thrown);

      // Assess
      expect(classified).toBeInstanceOf(PermanentImportError);
      expect(classified.reason).toBe(reason);
      expect(classified.cause).toBe(thrown);
    });
  });

  describe.each([
    {
      answer: '500',
      error: () => new GenericServerException(500, 'Internal error', {}, requestID),
      reason: 'workos_500',
    },
    {
      answer: '502',
      error: () => new GenericServerException(502, 'Bad gateway', {}, requestID),
      reason: 'workos_502',
    },
    {
      answer: '503',
      error: () => new GenericServerException(503, 'Unavailable', {}, requestID),
      reason: 'workos_503',
    },
    {
      answer: '408 GenericServerException',
      error: () => new GenericServerException(408, 'Timeout', {}, requestID),
      reason: 'workos_408',
    },
    {
      answer: 'the SDK request timeout (OauthException 408)',
      error: () =>
        new OauthException(408, requestID, 'Request timeout', undefined, {
          error: 'Request timeout',
        }),
      reason: 'workos_timeout',
    },
    {
      answer: '404 for a user found a moment ago',
      error: () => new NotFoundException({ path: '/user_management/users/user_1', requestID }),
      reason: 'workos_user_vanished',
    },
    {
      answer: 'a network failure wrapped by the SDK',
      error: () =>
        new Error('Unexpected error: TypeError: fetch failed', {
          cause: new TypeError('fetch failed'),
        }),
      reason: 'workos_unreachable',
    },
    {
      answer: 'a bare fetch TypeError',
      error: () => new TypeError('fetch failed'),
      reason: 'workos_unreachable',
    },
    {
      answer: 'a non-JSON body (a proxy HTML page) wrapped by the SDK',
      error: () => new Error('Unexpected error: ParseError: Unexpected token <'),
      reason: 'workos_unreachable',
    },
    {
      answer: 'an AbortError',
      error: () => new DOMException('This operation was aborted', 'AbortError'),
      reason: 'workos_unreachable',
    },
    {
      answer: 'a TimeoutError',
      error: () => new DOMException('The operation timed out', 'TimeoutError'),
      reason: 'workos_unreachable',
    },
    {
      answer: 'an unrelated Error',
      error: () => new Error(`Something odd happened for ${email}`),
      reason: 'workos_unexpected_error',
    },
    {
      answer: 'a thrown string',
      error: () => `failure for ${email}`,
      reason: 'workos_unexpected_error',
    },
    {
      answer: 'a thrown undefined',
      error: () => undefined,
      reason: 'workos_unexpected_error',
    },
  ])('given $answer', ({ error, reason }) => {
    it(`returns a TransientImportError with reason ${reason}`, () => {
      // Prepare
      const thrown = error();

      // Act
      const classified = classifyWorkOsError(thrown);

      // Assess
      expect(classified).toBeInstanceOf(TransientImportError);
      expect(classified.reason).toBe(reason);
      expect(classified.cause).toBe(thrown);
    });
  });

  describe.each([
    {
      answer: 'a 400 whose message holds an email',
      error: () =>
        new BadRequestException({ code: 'invalid_input', message: `Bad: ${email}`, requestID }),
    },
    {
      answer: 'a 400 GenericServerException whose message holds an email',
      error: () => new GenericServerException(400, `Bad: ${email}`, {}, requestID),
    },
    {
      answer: 'a 409 whose message holds an email',
      error: () =>
        new ConflictException({ code: 'conflict', message: `Taken: ${email}`, requestID }),
    },
    {
      answer: 'a 422 whose requirement line holds an email',
      error: () =>
        new UnprocessableEntityException({
          message: `The following requirement(s) must be met:\n\t${email}\n\temail_string_required`,
          requestID,
        }),
    },
    {
      answer: 'an OAuth error whose description holds an email',
      error: () => new OauthException(400, requestID, undefined, `No user ${email}`, {}),
    },
    {
      answer: 'an unexpected error whose message holds an email',
      error: () => new Error(`Unexpected error: could not create ${email}`),
    },
    {
      answer: 'a 500 whose message holds an email',
      error: () => new GenericServerException(500, `Failed for ${email}`, {}, requestID),
    },
  ])('given $answer', ({ error }) => {
    it('keeps the message out of the reason', () => {
      // Prepare
      const thrown = error();

      // Act
      const classified = classifyWorkOsError(thrown);

      // Assess
      expect(classified.reason).toMatch(/^[a-z0-9_:]+$/);
      expect(classified.reason).not.toContain(email);
      expect(classified.reason).not.toContain('ada');
      expect(classified.reason).not.toContain('example');
    });
  });
});
