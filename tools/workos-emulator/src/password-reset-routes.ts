import { performance } from 'node:perf_hooks';
import type { EmulatorApiContext } from './api-context.ts';
import {
  EmulatorHttpError,
  type EmulatorRequest,
  type EmulatorResponse,
  parseJsonObject,
} from './http.ts';
import { newEntityId, newOpaqueToken } from './ids.ts';
import { type EmulatedPasswordReset, toPasswordResetResponseBody } from './password-reset-log.ts';
import { entityNotFound, pathParameter, type Route } from './route-helpers.ts';
import { emailKey } from './user-store.ts';
import { readEmail, type ValidationIssue, validationFailed } from './user-validation.ts';

/** How long a reset token lives; WorkOS's documented example expires 15 minutes after creation. */
export const passwordResetLifetimeMs = 15 * 60 * 1000;

/** Routes under `/user_management/password_reset`. */
export const passwordResetRoutes: Route[] = [
  { method: 'POST', pattern: ['password_reset'], handle: createPasswordReset },
  { method: 'GET', pattern: ['password_reset', ':id'], handle: getPasswordReset },
];

/**
 * `POST /user_management/password_reset { email }`: creates the reset WorkOS would email. The
 * per-email send limit (3 / 60 s) is checked before the user is looked up, so it also slows
 * guessing which emails exist. An unknown email is a 404 (`NotFoundException`) whose body does
 * not echo the email.
 */
async function createPasswordReset(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const issues: ValidationIssue[] = [];
  const email = readEmail(parseJsonObject(request.rawBody).email, issues);
  if (email === undefined) throw validationFailed(issues);
  const decision = context.passwordResetLimiter?.tryAcquire(emailKey(email), performance.now());
  if (decision !== undefined && !decision.allowed) {
    context.counters.rateLimited += 1;
    throw new EmulatorHttpError(
      429,
      { message: 'Too Many Requests', code: 'rate_limit_exceeded' },
      { 'Retry-After': String(decision.retryAfterSeconds) },
    );
  }
  const user = context.users.findByEmail(email);
  if (user === undefined) {
    throw new EmulatorHttpError(404, {
      message: 'No user has this email.',
      code: 'entity_not_found',
    });
  }
  const created = context.now();
  const token = newOpaqueToken(24);
  const reset: EmulatedPasswordReset = {
    id: newEntityId('password_reset'),
    userId: user.id,
    email: user.email,
    passwordResetToken: token,
    passwordResetUrl: `${context.passwordResetUrl}?token=${encodeURIComponent(token)}`,
    expiresAt: new Date(created.getTime() + passwordResetLifetimeMs).toISOString(),
    createdAt: created.toISOString(),
  };
  context.passwordResets.record(reset);
  context.counters.passwordResetsSent += 1;
  return { status: 201, body: toPasswordResetResponseBody(reset) };
}

async function getPasswordReset(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 1);
  const reset = context.passwordResets.get(id);
  if (reset === undefined) throw entityNotFound('Password reset', id);
  return { status: 200, body: toPasswordResetResponseBody(reset) };
}
