import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';

/** The bulk user export, or the password-hash export for the same users. */
export type ExportKind = 'users' | 'passwords';

/** One synthetic export, written twice: as Auth0 serves it (gzip) and plain. */
export interface SyntheticExport {
  kind: ExportKind;
  /** Users the export was generated for. */
  users: number;
  /** Lines in the file (the password export has none for social users). */
  lines: number;
  gzipPath: string;
  plainPath: string;
  gzipBytes: number;
  plainBytes: number;
}

/** Lines are written in runs of about this many characters, so the writer is not the bottleneck. */
const writeRunCharacters = 1 << 20;

/**
 * Writes `lines` to `<directory>/<kind>-<users>-<seed>.ndjson` and `.ndjson.gz`, streaming: a
 * million users never sit in memory at once.
 */
export async function writeSyntheticExport(
  directory: string,
  { kind, users, seed }: { kind: ExportKind; users: number; seed: string },
  lines: Iterable<string>,
): Promise<SyntheticExport> {
  const plainPath = join(directory, `${kind}-${users}-${seed}.ndjson`);
  const gzipPath = `${plainPath}.gz`;
  const plain = createWriteStream(plainPath);
  // Level 6 (zlib's default) is what a typical exporter produces.
  const gzip = createGzip({ level: 6 });
  const gzipFile = createWriteStream(gzipPath);
  gzip.pipe(gzipFile);

  let run: string[] = [];
  let runCharacters = 0;
  let count = 0;
  for (const line of lines) {
    count += 1;
    run.push(line);
    runCharacters += line.length + 1;
    if (runCharacters >= writeRunCharacters) {
      await writeBoth(plain, gzip, `${run.join('\n')}\n`);
      run = [];
      runCharacters = 0;
    }
  }
  if (run.length > 0) await writeBoth(plain, gzip, `${run.join('\n')}\n`);

  plain.end();
  gzip.end();
  await Promise.all([once(plain, 'close'), once(gzipFile, 'close')]);
  const [gzipStat, plainStat] = await Promise.all([stat(gzipPath), stat(plainPath)]);
  return {
    kind,
    users,
    lines: count,
    gzipPath,
    plainPath,
    gzipBytes: gzipStat.size,
    plainBytes: plainStat.size,
  };
}

/** Writes to both streams and waits for whichever asks the writer to slow down. */
async function writeBoth(plain: WriteStream, gzip: Gzip, text: string): Promise<void> {
  const waits: Promise<unknown>[] = [];
  if (!plain.write(text)) waits.push(once(plain, 'drain'));
  if (!gzip.write(text)) waits.push(once(gzip, 'drain'));
  await Promise.all(waits);
}
