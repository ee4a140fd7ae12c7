import { newOpaqueToken, newUlid } from './ids.ts';

/** WorkOS access tokens live five minutes; the emulator's claim the same so callers see real values. */
const accessTokenLifetimeSeconds = 300;

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * A syntactically valid, unsigned JWT (`alg: none`). The SDK never verifies the token returned by
 * `authenticateWithPassword`; it only decodes it (without verifying) when sealing a session, so
 * the claims must parse. Nothing should trust it, which `alg: none` makes plain.
 */
export function createUnsignedAccessToken({
  issuer,
  userId,
  now = Date.now(),
}: {
  issuer: string;
  userId: string;
  now?: number;
}): string {
  const issuedAt = Math.floor(now / 1000);
  const header = base64UrlJson({ alg: 'none', typ: 'JWT' });
  const payload = base64UrlJson({
    iss: issuer,
    sub: userId,
    sid: `session_${newUlid(now)}`,
    jti: newUlid(now),
    iat: issuedAt,
    exp: issuedAt + accessTokenLifetimeSeconds,
  });
  return `${header}.${payload}.`;
}

export function createRefreshToken(): string {
  return newOpaqueToken();
}
