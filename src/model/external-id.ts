import { createHash } from 'node:crypto';

/** WorkOS external ids are unique per environment and at most 64 characters long. */
export const maxExternalIdLength = 64;

/**
 * The WorkOS external id for a source user id: the id itself when it fits, else a stand-in
 * derived from it (enterprise ids such as `samlp|connection|email` can run long). The stand-in
 * is deterministic, so every re-run finds the same WorkOS user.
 */
export function externalIdFor(sourceId: string): string {
  if (sourceId.length <= maxExternalIdLength) return sourceId;
  return `sha256:${createHash('sha256').update(sourceId).digest('hex').slice(0, 48)}`;
}
