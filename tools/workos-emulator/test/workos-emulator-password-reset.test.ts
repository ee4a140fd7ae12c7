import {
  NotFoundException,
  RateLimitExceededException,
  UnprocessableEntityException,
  type WorkOS,
} from '@workos-inc/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
  type WorkOsEmulatorOptions,
} from '../src/workos-emulator.ts';
import { failureOf, sdkFor, testApiKey } from './emulator-sdk.ts';

describe('WorkOS emulator: password resets through the real SDK', () => {
  let emulator: RunningWorkOsEmulator;
  let workos: WorkOS;

  async function start(options: WorkOsEmulatorOptions = {}): Promise<void> {
    emulator = await startWorkOsEmulator({ apiKey: testApiKey, ...options });
    workos = sdkFor(emulator);
    await workos.userManagement.createUser({ email: 'Cognito.User@example.test' });
  }

  beforeEach(async () => {
    await start();
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('creates the password_reset object and records who was sent one', async () => {
    const [user] = emulator.users();
    const reset = await workos.userManagement.createPasswordReset({
      email: 'cognito.user@example.test',
    });
    expect(reset).toEqual({
      object: 'password_reset',
      id: expect.stringMatching(/^password_reset_[0-9A-HJKMNP-TV-Z]{26}$/),
      userId: user?.id,
      email: 'Cognito.User@example.test',
      passwordResetToken: expect.any(String),
      passwordResetUrl: `${emulator.url}/reset-password?token=${reset.passwordResetToken}`,
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
    });
    expect(Date.parse(reset.expiresAt) - Date.parse(reset.createdAt)).toBe(15 * 60 * 1000);
    expect(emulator.passwordResets()).toEqual([
      expect.objectContaining({
        id: reset.id,
        userId: user?.id,
        email: 'Cognito.User@example.test',
      }),
    ]);
    expect(emulator.stats()).toMatchObject({ passwordResetsSent: 1, writes: 2 });
    await expect(workos.userManagement.getPasswordReset(reset.id)).resolves.toEqual(reset);
  });

  it('answers an unknown email with NotFoundException, without echoing the email or recording a send', async () => {
    const error = await failureOf(() =>
      workos.userManagement.createPasswordReset({ email: 'nobody@example.test' }),
    );
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error).toMatchObject({ status: 404, code: 'entity_not_found' });
    expect((error as Error).message).not.toContain('nobody@example.test');
    expect(emulator.passwordResets()).toEqual([]);
    expect(emulator.stats()).toMatchObject({ passwordResetsSent: 0 });
  });

  it('refuses a malformed email with 422', async () => {
    const error = await failureOf(() =>
      workos.userManagement.createPasswordReset({ email: 'not-an-email' }),
    );
    expect(error).toBeInstanceOf(UnprocessableEntityException);
    expect((error as Error).message).toContain('email_invalid');
  });

  it('allows 3 sends per email per 60 s, then answers 429 with Retry-After, whatever the case', async () => {
    await workos.userManagement.createUser({ email: 'other@example.test' });
    for (const email of [
      'cognito.user@example.test',
      'COGNITO.USER@example.test',
      'Cognito.User@example.test',
    ]) {
      await workos.userManagement.createPasswordReset({ email });
    }
    const error = await failureOf(() =>
      workos.userManagement.createPasswordReset({ email: 'cognito.user@EXAMPLE.test' }),
    );
    expect(error).toBeInstanceOf(RateLimitExceededException);
    const { retryAfter } = error as RateLimitExceededException;
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    await expect(
      workos.userManagement.createPasswordReset({ email: 'other@example.test' }),
    ).resolves.toBeDefined();
    expect(emulator.passwordResets().map((reset) => reset.email)).toEqual([
      'Cognito.User@example.test',
      'Cognito.User@example.test',
      'Cognito.User@example.test',
      'other@example.test',
    ]);
    expect(emulator.stats()).toMatchObject({ passwordResetsSent: 4, rateLimited: 1 });
  });

  it('sends without a per-email limit when it is turned off', async () => {
    await emulator.close();
    await start({ passwordResetLimit: false });
    for (let send = 0; send < 5; send += 1) {
      await workos.userManagement.createPasswordReset({ email: 'cognito.user@example.test' });
    }
    expect(emulator.passwordResets()).toHaveLength(5);
  });

  it('answers an unknown password reset id with NotFoundException', async () => {
    expect(
      await failureOf(() => workos.userManagement.getPasswordReset('password_reset_missing')),
    ).toBeInstanceOf(NotFoundException);
  });
});
