import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { syntheticAuth0ExportLines } from '../../scripts/synthetic-auth0-export.ts';

/** A temporary directory for export files, removed by `cleanup()`. */
export async function temporaryExportDirectory() {
  const directory = await mkdtemp(join(tmpdir(), 'workos-import-test-'));
  return {
    directory,
    /** Writes a synthetic Auth0 export and returns its path and lines. */
    async writeAuth0Export(
      name: string,
      count: number,
      options: { invalidEvery?: number; seed?: string; gzip?: boolean } = {},
    ) {
      const lines = [...syntheticAuth0ExportLines(count, options)];
      const content = `${lines.join('\n')}\n`;
      const path = join(directory, name);
      await writeFile(path, options.gzip ? gzipSync(content) : content);
      return { path, lines, content };
    },
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
}

/** A logger that keeps every line it is given, to assert on what would have been logged. */
export function capturingLogger() {
  const lines: string[] = [];
  const capture =
    (level: string) =>
    (...args: unknown[]) => {
      lines.push(
        JSON.stringify({ level, args }, (_, value) =>
          value instanceof Error ? { name: value.name, message: value.message } : value,
        ),
      );
    };
  return {
    lines,
    logger: {
      debug: capture('debug'),
      info: capture('info'),
      warn: capture('warn'),
      error: capture('error'),
    },
  };
}
