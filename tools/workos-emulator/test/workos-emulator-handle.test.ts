import type { WorkOS } from '@workos-inc/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningWorkOsEmulator, startWorkOsEmulator } from '../src/workos-emulator.ts';
import { sdkFor, testApiKey } from './emulator-sdk.ts';

describe('WorkOS emulator: the handle and the control plane cover organizations, memberships and resets', () => {
  let emulator: RunningWorkOsEmulator;
  let workos: WorkOS;

  beforeEach(async () => {
    emulator = await startWorkOsEmulator({ apiKey: testApiKey });
    workos = sdkFor(emulator);
  });

  afterEach(async () => {
    await emulator.close();
  });

  /** One of everything, with one password reset sent three times to hit the per-email limit. */
  async function populate(): Promise<void> {
    const user = await workos.userManagement.createUser({ email: 'ada@example.test' });
    const organization = await workos.organizations.createOrganization(
      { name: 'Acme' },
      { idempotencyKey: 'org-acme' },
    );
    await workos.userManagement.createOrganizationMembership({
      userId: user.id,
      organizationId: organization.id,
    });
    for (let send = 0; send < 3; send += 1) {
      await workos.userManagement.createPasswordReset({ email: 'ada@example.test' });
    }
  }

  function expectEmptyAfterReset(): void {
    expect(emulator.users()).toEqual([]);
    expect(emulator.organizations()).toEqual([]);
    expect(emulator.memberships()).toEqual([]);
    expect(emulator.passwordResets()).toEqual([]);
    expect(emulator.stats()).toMatchObject({
      organizationsCreated: 0,
      membershipsCreated: 0,
      passwordResetsSent: 0,
      organizationRequests: 0,
      userCount: 0,
      organizationCount: 0,
      membershipCount: 0,
    });
  }

  it('reports the new state in stats()', async () => {
    await populate();
    expect(emulator.stats()).toMatchObject({
      usersCreated: 1,
      organizationsCreated: 1,
      organizationRequests: 1,
      membershipsCreated: 1,
      passwordResetsSent: 3,
      userCount: 1,
      organizationCount: 1,
      membershipCount: 1,
    });
  });

  it('forgets everything on reset(), idempotency keys and per-email limits included', async () => {
    await populate();
    emulator.reset();
    expectEmptyAfterReset();
    // Both would be refused or replayed had reset() kept their state.
    await populate();
    expect(emulator.organizations()).toHaveLength(1);
    expect(emulator.stats()).toMatchObject({ idempotentReplays: 0, passwordResetsSent: 3 });
  });

  it('forgets everything on POST /__emulator/reset and reports counts on GET /__emulator/stats', async () => {
    await populate();
    const stats = await (await fetch(`${emulator.url}/__emulator/stats`)).json();
    expect(stats).toMatchObject({
      organizationCount: 1,
      membershipCount: 1,
      passwordResetsSent: 3,
    });
    const reset = await fetch(`${emulator.url}/__emulator/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expectEmptyAfterReset();
  });

  it('hands out copies: changing them does not change what the emulator holds', async () => {
    await populate();
    const [organization] = emulator.organizations();
    const [membership] = emulator.memberships();
    if (organization === undefined || membership === undefined) throw new Error('not populated');
    organization.name = 'Changed';
    membership.status = 'inactive';
    expect(emulator.organizations()[0]?.name).toBe('Acme');
    expect(emulator.memberships()[0]?.status).toBe('active');
  });
});
