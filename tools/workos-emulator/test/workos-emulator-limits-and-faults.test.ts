import { GenericServerException, RateLimitExceededException, type WorkOS } from '@workos-inc/node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
  type WorkOsEmulatorOptions,
} from '../src/workos-emulator.ts';
import { failureOf, sdkFor, testApiKey } from './emulator-sdk.ts';

let emulator: RunningWorkOsEmulator | undefined;

async function start(options: WorkOsEmulatorOptions = {}): Promise<{
  emulator: RunningWorkOsEmulator;
  workos: WorkOS;
}> {
  emulator = await startWorkOsEmulator({ apiKey: testApiKey, ...options });
  return { emulator, workos: sdkFor(emulator) };
}

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('WorkOS emulator: rate limits', () => {
  it('answers a write burst beyond the limit with RateLimitExceededException, without effect, then recovers', async () => {
    const { emulator, workos } = await start({ writeLimit: { requests: 5, windowMs: 500 } });
    for (let index = 0; index < 5; index += 1) {
      await workos.userManagement.createUser({ email: `burst${index}@example.test` });
    }
    const error = await failureOf(() =>
      workos.userManagement.createUser({ email: 'over@example.test' }),
    );
    expect(error).toBeInstanceOf(RateLimitExceededException);
    expect((error as RateLimitExceededException).status).toBe(429);
    expect((error as RateLimitExceededException).retryAfter).toBeGreaterThanOrEqual(1);
    expect(emulator.users().map((user) => user.email)).not.toContain('over@example.test');
    expect(emulator.stats()).toMatchObject({ rateLimited: 1, usersCreated: 5 });

    await pause(550);
    await expect(
      workos.userManagement.createUser({ email: 'over@example.test' }),
    ).resolves.toBeDefined();
  });

  it('sends Retry-After and X-RateLimit headers with the 429 body', async () => {
    const { emulator } = await start({ writeLimit: { requests: 1, windowMs: 2_000 } });
    const create = () =>
      fetch(`${emulator.url}/user_management/users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${testApiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: `h${Math.random()}@example.test` }),
      });
    const admitted = await create();
    expect(admitted.status).toBe(201);
    expect(admitted.headers.get('x-ratelimit-remaining')).toBe('0');
    const refused = await create();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      message: 'Too Many Requests',
      code: 'rate_limit_exceeded',
    });
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.headers.get('x-ratelimit-limit')).toBe('1');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset')).toBe('2');
    expect(refused.headers.get('x-request-id')).toBeTruthy();
  });

  it('limits reads separately from writes', async () => {
    const { workos } = await start({
      readLimit: { requests: 2, windowMs: 60_000 },
      writeLimit: { requests: 100, windowMs: 60_000 },
    });
    const user = await workos.userManagement.createUser({ email: 'read@example.test' });
    await workos.userManagement.getUser(user.id);
    await workos.userManagement.getUser(user.id);
    expect(await failureOf(() => workos.userManagement.getUser(user.id))).toBeInstanceOf(
      RateLimitExceededException,
    );
    await expect(
      workos.userManagement.updateUser({ userId: user.id, firstName: 'Still' }),
    ).resolves.toBeDefined();
  });

  it('applies no limit when limits are turned off', async () => {
    const { emulator, workos } = await start({ writeLimit: false, readLimit: false });
    await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        workos.userManagement.createUser({ email: `free${index}@example.test` }),
      ),
    );
    expect(emulator.stats()).toMatchObject({ usersCreated: 30, rateLimited: 0 });
  });
});

describe('WorkOS emulator: rate limits changed while it runs', () => {
  it('turns the write limit on after seeding without it, leaves reads alone, and turns it off again', async () => {
    const { emulator, workos } = await start({ writeLimit: false });
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        workos.userManagement.createUser({ email: `seeded${index}@example.test` }),
      ),
    );

    emulator.setRateLimits({ writeLimit: { requests: 2, windowMs: 60_000 } });
    await workos.userManagement.createUser({ email: 'limited0@example.test' });
    await workos.userManagement.createUser({ email: 'limited1@example.test' });
    const refused = await failureOf(() =>
      workos.userManagement.createUser({ email: 'limited2@example.test' }),
    );
    expect(refused).toBeInstanceOf(RateLimitExceededException);
    await expect(workos.userManagement.listUsers({ limit: 100 })).resolves.toBeDefined();

    emulator.setRateLimits({ writeLimit: false });
    await expect(
      workos.userManagement.createUser({ email: 'limited2@example.test' }),
    ).resolves.toBeDefined();
    expect(emulator.stats()).toMatchObject({ usersCreated: 23, rateLimited: 1 });
  });

  it('starts a limit set anew with an empty window, and keeps the limits left out', async () => {
    const { emulator, workos } = await start({
      readLimit: { requests: 1, windowMs: 60_000 },
      writeLimit: { requests: 1, windowMs: 60_000 },
    });
    const user = await workos.userManagement.createUser({ email: 'window@example.test' });
    await workos.userManagement.getUser(user.id);

    emulator.setRateLimits({ readLimit: { requests: 1, windowMs: 60_000 } });
    await expect(workos.userManagement.getUser(user.id)).resolves.toBeDefined();
    expect(await failureOf(() => workos.userManagement.getUser(user.id))).toBeInstanceOf(
      RateLimitExceededException,
    );
    expect(
      await failureOf(() => workos.userManagement.createUser({ email: 'kept@example.test' })),
    ).toBeInstanceOf(RateLimitExceededException);
  });
});

describe('WorkOS emulator: injected faults', () => {
  it('answers the next N matching requests with an injected 500, without effect', async () => {
    const { emulator, workos } = await start();
    emulator.faults.inject({ status: 500, count: 2 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await failureOf(() =>
        workos.userManagement.createUser({ email: 'fault@example.test' }),
      );
      expect(error).toBeInstanceOf(GenericServerException);
      expect(error).toMatchObject({ status: 500, message: 'Internal Server Error' });
    }
    expect(emulator.users()).toEqual([]);
    await expect(
      workos.userManagement.createUser({ email: 'fault@example.test' }),
    ).resolves.toBeDefined();
    expect(emulator.stats()).toMatchObject({ injectedServerErrors: 2, usersCreated: 1 });
  });

  it('only breaks requests matching the method and path prefix', async () => {
    const { emulator, workos } = await start();
    const user = await workos.userManagement.createUser({ email: 'match@example.test' });
    emulator.faults.inject({
      status: 503,
      match: { method: 'put', pathPrefix: '/user_management/users/' },
    });
    await expect(workos.userManagement.getUser(user.id)).resolves.toBeDefined();
    expect(
      await failureOf(() => workos.userManagement.updateUser({ userId: user.id, firstName: 'X' })),
    ).toMatchObject({ status: 503 });
    expect(emulator.faults.pending()).toEqual([]);
  });

  it('injects a 429 with the requested Retry-After', async () => {
    const { emulator, workos } = await start();
    emulator.faults.inject({ status: 429, retryAfterSeconds: 7 });
    const error = await failureOf(() =>
      workos.userManagement.createUser({ email: 'r@example.test' }),
    );
    expect(error).toBeInstanceOf(RateLimitExceededException);
    expect((error as RateLimitExceededException).retryAfter).toBe(7);
    expect(emulator.stats()).toMatchObject({ rateLimited: 1, injectedRateLimits: 1 });
  });

  it('delays a response and still applies the request', async () => {
    const { emulator, workos } = await start();
    emulator.faults.inject({ delayMs: 150 });
    const startedAt = performance.now();
    await workos.userManagement.createUser({ email: 'slow@example.test' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
    expect(emulator.users()).toHaveLength(1);
    expect(emulator.stats().delayedResponses).toBe(1);
  });

  it('clears pending faults', async () => {
    const { emulator, workos } = await start();
    emulator.faults.inject({ status: 500, count: 5 });
    emulator.faults.clear();
    await expect(
      workos.userManagement.createUser({ email: 'ok@example.test' }),
    ).resolves.toBeDefined();
  });

  it('refuses a fault with neither status nor delay', async () => {
    const { emulator } = await start();
    expect(() => emulator.faults.inject({ count: 1 })).toThrow(/status, a delayMs/);
  });

  it('closes promptly with a delayed response and a keep-alive connection open', async () => {
    const { emulator: running, workos } = await start();
    running.faults.inject({ delayMs: 10_000 });
    const pending = failureOf(() =>
      workos.userManagement.createUser({ email: 'late@example.test' }),
    );
    await pause(50);
    const startedAt = performance.now();
    await running.close();
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    await expect(pending).resolves.toBeInstanceOf(Error);
    expect(running.users()).toEqual([]);
  });
});

describe('WorkOS emulator: HTTP control plane', () => {
  it('injects faults over HTTP, without an API key, and reports them in stats', async () => {
    const { emulator, workos } = await start();
    const injected = await fetch(`${emulator.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 503, count: 1 }),
    });
    expect(injected.status).toBe(201);
    expect(await injected.json()).toMatchObject({ pending: [{ status: 503, remaining: 1 }] });

    const error = await failureOf(() =>
      workos.userManagement.createUser({ email: 'c@example.test' }),
    );
    expect(error).toMatchObject({ status: 503 });

    const stats = await (await fetch(`${emulator.url}/__emulator/stats`)).json();
    expect(stats).toMatchObject({ injectedServerErrors: 1, writes: 1, usersCreated: 0 });
  });

  it('clears faults and resets the emulator over HTTP', async () => {
    const { emulator, workos } = await start();
    await workos.userManagement.createUser({ email: 'before-reset@example.test' });
    await fetch(`${emulator.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ status: 500, count: 3 }),
    });
    const cleared = await fetch(`${emulator.url}/__emulator/faults`, { method: 'DELETE' });
    expect(cleared.status).toBe(200);
    expect(emulator.faults.pending()).toEqual([]);

    const reset = await fetch(`${emulator.url}/__emulator/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(emulator.users()).toEqual([]);
    expect(emulator.stats()).toMatchObject({ requests: 0, usersCreated: 0, userCount: 0 });
  });

  it('answers 400 naming the problem for an invalid fault', async () => {
    const { emulator } = await start();
    const response = await fetch(`${emulator.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ status: 418 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'invalid_fault' });
    expect(emulator.faults.pending()).toEqual([]);
  });

  it('does not rate limit or count control requests', async () => {
    const { emulator } = await start({ readLimit: { requests: 1, windowMs: 60_000 } });
    for (let index = 0; index < 3; index += 1) {
      expect((await fetch(`${emulator.url}/__emulator/stats`)).status).toBe(200);
    }
    expect(emulator.stats()).toMatchObject({ requests: 0, reads: 0, rateLimited: 0 });
  });
});
