import { getRandomValues } from 'node:crypto';

/*
 * A 96-bit fingerprint of a string, so that the splitter's indexes hold millions of emails and ids
 * as three 32-bit words each instead of as strings (V8 spends 40 bytes and more on a short one).
 *
 * Two different strings share a fingerprint by chance with odds of about 2^-96 per pair, so among
 * n distinct strings some pair collides with odds of about n²/2^97: 6e-18 for 1M strings, 6e-16
 * for 10M. A collision would make two emails one (a user reported as merged into another) or give
 * a user another's password hash, which is why 64 bits (odds 3e-6 at 10M) would not do.
 *
 * The function is MurmurHash3_x86_128 over UTF-16 code units (two to a word), with two changes.
 * Its four lanes start from a key drawn at random per process, and each lane's state goes through
 * an xorshift after its multiplication: in the original, a difference confined to the top bit
 * passes every step with certainty whatever the seed, which lets two colliding strings be built
 * without knowing it. It is still not a cryptographic hash. What keeps a chosen collision out
 * (someone registering an email or id built to collide with another user's) is that the key is
 * secret and no fingerprint ever leaves the process, so a guess cannot be tested. The cost is that
 * fingerprints mean nothing to another process: never store one.
 *
 * SHA-256, as used before, costs a microsecond or more and a buffer per string; this costs under
 * 100 nanoseconds for an email and allocates nothing.
 */

/** 32-bit words in a fingerprint. */
export const fingerprintWords = 3;

const processKey = getRandomValues(new Uint32Array(4));
const key1 = processKey[0] ?? 0;
const key2 = processKey[1] ?? 0;
const key3 = processKey[2] ?? 0;
const key4 = processKey[3] ?? 0;

/**
 * Writes the fingerprint of `text` (its UTF-16 code units) into `into[offset]`, `into[offset + 1]`
 * and `into[offset + 2]`.
 */
export function fingerprintOf(text: string, into: Uint32Array, offset = 0): void {
  hashInto(text, false, into, offset);
}

/**
 * The fingerprint of `text.toLowerCase()`, as `fingerprintOf` writes it. ASCII text (nearly every
 * email) is folded while hashing, without building the lower-case string.
 */
export function fingerprintOfLowerCase(text: string, into: Uint32Array, offset = 0): void {
  // Outside ASCII, case is Unicode's business (U+212A KELVIN SIGN lower-cases to an ASCII `k`):
  // leave it to `toLowerCase` rather than approximate it.
  if (!hashInto(text, true, into, offset)) hashInto(text.toLowerCase(), false, into, offset);
}

/** Returns false, with `into` unspecified, when folding meets a code unit outside ASCII. */
function hashInto(text: string, foldAscii: boolean, into: Uint32Array, offset: number): boolean {
  const length = text.length;
  let h1 = key1;
  let h2 = key2;
  let h3 = key3;
  let h4 = key4;
  let allUnits = 0;
  for (let i = 0; i < length; i += 8) {
    let k1: number;
    let k2: number;
    let k3: number;
    let k4: number;
    if (i + 8 <= length) {
      k1 = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
      k2 = text.charCodeAt(i + 2) | (text.charCodeAt(i + 3) << 16);
      k3 = text.charCodeAt(i + 4) | (text.charCodeAt(i + 5) << 16);
      k4 = text.charCodeAt(i + 6) | (text.charCodeAt(i + 7) << 16);
    } else {
      k1 = tailWordAt(text, i);
      k2 = tailWordAt(text, i + 2);
      k3 = tailWordAt(text, i + 4);
      k4 = tailWordAt(text, i + 6);
    }
    if (foldAscii) {
      allUnits |= k1 | k2 | k3 | k4;
      k1 = lowerCaseAsciiPair(k1);
      k2 = lowerCaseAsciiPair(k2);
      k3 = lowerCaseAsciiPair(k3);
      k4 = lowerCaseAsciiPair(k4);
    }

    k1 = Math.imul(rotateLeft(Math.imul(k1, 0x239b961b), 15), 0xab0e9789);
    h1 = (Math.imul((rotateLeft(h1 ^ k1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
    h1 ^= h1 >>> 16;
    k2 = Math.imul(rotateLeft(Math.imul(k2, 0xab0e9789), 16), 0x38b34ae5);
    h2 = (Math.imul((rotateLeft(h2 ^ k2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
    h2 ^= h2 >>> 16;
    k3 = Math.imul(rotateLeft(Math.imul(k3, 0x38b34ae5), 17), 0xa1e38b93);
    h3 = (Math.imul((rotateLeft(h3 ^ k3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
    h3 ^= h3 >>> 16;
    k4 = Math.imul(rotateLeft(Math.imul(k4, 0xa1e38b93), 18), 0x239b961b);
    h4 = (Math.imul((rotateLeft(h4 ^ k4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
    h4 ^= h4 >>> 16;
  }
  if ((allUnits & 0xff80ff80) !== 0) return false;
  // The length tells "a" from "a\u0000", which pad to the same last block.
  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = finalMix(h1);
  h2 = finalMix(h2);
  h3 = finalMix(h3);
  h4 = finalMix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  into[offset] = h1;
  into[offset + 1] = h2 + h1;
  into[offset + 2] = h3 + h1;
  return true;
}

/** Two code units from `index` as one word, in the last block: past the end reads as 0. */
function tailWordAt(text: string, index: number): number {
  const length = text.length;
  const low = index < length ? text.charCodeAt(index) : 0;
  const high = index + 1 < length ? text.charCodeAt(index + 1) : 0;
  return low | (high << 16);
}

/**
 * Adds 0x20 to each half of the word that holds an ASCII capital (0x41-0x5a). Without branches:
 * `(0x40 - unit) & (unit - 0x5b)` is negative exactly for a capital.
 */
function lowerCaseAsciiPair(word: number): number {
  const low = word & 0xffff;
  const high = word >>> 16;
  return (
    word |
    ((((0x40 - low) & (low - 0x5b)) >>> 26) & 0x20) |
    (((((0x40 - high) & (high - 0x5b)) >>> 26) & 0x20) << 16)
  );
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/** MurmurHash3's finalizer: every input bit reaches every output bit. */
function finalMix(state: number): number {
  let h = state;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
