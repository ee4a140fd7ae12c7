import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import type { SnapshotProgress } from '../snapshot/take-workos-snapshot.ts';
import { SnapshotFormatError, WorkOsSnapshot } from '../snapshot/workos-snapshot.ts';

/** The WorkOS a command talks to: WORKOS_API_KEY, and WORKOS_API_URL for another than the API. */
export interface WorkOsTarget {
  apiKey: string;
  apiUrl: string;
}

export function workOsTargetFromEnvironment(
  hint = 'Set WORKOS_API_KEY (and WORKOS_API_URL for a non-default API).',
  env: NodeJS.ProcessEnv = process.env,
): WorkOsTarget {
  const apiKey = env.WORKOS_API_KEY;
  if (!apiKey) throw new ConfigError(hint);
  return { apiKey, apiUrl: env.WORKOS_API_URL ?? 'https://api.workos.com' };
}

/** A snapshot `migrate snapshot --out` wrote. */
export async function readSnapshotFile(path: string): Promise<WorkOsSnapshot> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ConfigError(`Cannot read the snapshot ${path}: ${(error as Error).message}`);
  }
  try {
    return WorkOsSnapshot.fromBytes(bytes);
  } catch (error) {
    if (error instanceof SnapshotFormatError) throw new ConfigError(`${path}: ${error.message}`);
    throw error;
  }
}

export async function writeSnapshotFile(path: string, snapshot: WorkOsSnapshot): Promise<void> {
  // Only WorkOS ids and fingerprints, but of every user: readable by its owner alone.
  await writeFile(path, snapshot.toBytes(), { mode: 0o600 });
}

/** Pages between progress lines while listing: a line every 10,000 users. */
const pagesPerProgressLine = 100;

/** Progress of a listing on the terminal: the first page, then every so many, then the last. */
export function snapshotProgressPrinter(
  err: (text: string) => void,
): (progress: SnapshotProgress) => void {
  return ({ pagesRead, usersListed, after }) => {
    if (pagesRead === 1 || pagesRead % pagesPerProgressLine === 0 || after === undefined) {
      err(
        `  listing WorkOS users: ${usersListed.toLocaleString('en-US')} users, ${plural(pagesRead, 'page')}${after === undefined ? ', done' : ''}\n`,
      );
    }
  };
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
