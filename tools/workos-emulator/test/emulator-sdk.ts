import { WorkOS } from '@workos-inc/node';
import type { RunningWorkOsEmulator } from '../src/workos-emulator.ts';

export const testApiKey = 'sk_test_emulator';
export const testClientId = 'client_test';

/** The real SDK, pointed at the emulator, with its own retries off so each call is one request. */
export function sdkFor(emulator: RunningWorkOsEmulator, apiKey = testApiKey): WorkOS {
  return new WorkOS(apiKey, {
    apiHostname: '127.0.0.1',
    port: emulator.port,
    https: false,
    maxRetries: 0,
    clientId: testClientId,
  });
}

/** Runs a call expected to fail and returns what it threw, so tests can assert on its fields. */
export async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
