import { randomBytes, randomUUID } from 'node:crypto';

/** Crockford base32, the ULID alphabet: no I, L, O or U, so ids read back unambiguously. */
const crockfordAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const timeLength = 10;
const randomLength = 16;
const maxRandom = (1n << 80n) - 1n;

let lastTime = 0;
let lastRandom = 0n;

function encodeCrockford(value: bigint, length: number): string {
  let remaining = value;
  let encoded = '';
  for (let index = 0; index < length; index += 1) {
    encoded = crockfordAlphabet[Number(remaining % 32n)] + encoded;
    remaining /= 32n;
  }
  return encoded;
}

/**
 * A 26-character ULID. Monotonic within the process: ids minted in the same millisecond (or after
 * the clock stepped back) increment the previous random part, so sorting ids sorts by creation.
 * The user store relies on that for cursor pagination.
 */
export function newUlid(now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = now;
    lastRandom = BigInt(`0x${randomBytes(10).toString('hex')}`);
  } else if (lastRandom < maxRandom) {
    lastRandom += 1n;
  } else {
    // 2^80 ids in one millisecond cannot happen in practice; borrow the next millisecond anyway.
    lastTime += 1;
    lastRandom = 0n;
  }
  return encodeCrockford(BigInt(lastTime), timeLength) + encodeCrockford(lastRandom, randomLength);
}

/** WorkOS user ids: `user_` and an uppercase ULID. */
export function newUserId(): string {
  return `user_${newUlid()}`;
}

/** The prefixes WorkOS gives the other objects the emulator stores. */
export type EntityIdPrefix = 'org' | 'org_domain' | 'om' | 'password_reset';

/** An id like WorkOS's: the object's prefix and a ULID, e.g. `org_01H...`. */
export function newEntityId(prefix: EntityIdPrefix): string {
  return `${prefix}_${newUlid()}`;
}

/** The value of `X-Request-ID`, which the SDK copies onto every exception as `requestID`. */
export function newRequestId(): string {
  return randomUUID();
}

/** An opaque secret-like token (refresh tokens, session ids). */
export function newOpaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
