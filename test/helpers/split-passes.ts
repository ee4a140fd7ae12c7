import type { ExportLine } from '../../src/sources/formats/ndjson-lines.ts';
import type { ExportRecord, LineParser } from '../../src/sources/parsed-record.ts';
import type { SplitDecision, SplitPass } from '../../src/split/split-export.ts';

/**
 * A split pass over numbered lines parsed by a line parser: the shape of the first splitter,
 * kept for tests that feed hostile or damaged lines straight through a parser.
 */
export function linePass({
  sourceFile,
  lines,
  parseLine,
}: {
  sourceFile: string;
  lines: AsyncIterable<ExportLine>;
  parseLine: LineParser;
}): SplitPass {
  const texts = new Map<number, string>();
  async function* records(): AsyncGenerator<ExportRecord[]> {
    for await (const { line, text, unreadable } of lines) {
      texts.set(line, text);
      yield [unreadable === undefined ? { line, fields: {} } : { line, unreadable }];
    }
  }
  return {
    sourceFile,
    open: records,
    decide: (record, origin): SplitDecision => {
      const text = texts.get(record.line) ?? '';
      texts.delete(record.line);
      const parsed =
        record.unreadable === undefined
          ? parseLine(text)
          : { kind: 'rejected' as const, reason: record.unreadable };
      if (parsed === undefined) return { action: 'none' };
      if (parsed.kind === 'user') {
        return {
          action: 'enqueue',
          message: { version: 1, kind: 'user', origin, user: parsed.user, deferrals: 0 },
        };
      }
      if (parsed.kind === 'rejected') {
        return {
          action: 'settle',
          outcomes: [
            {
              origin,
              kind: 'user',
              status: 'rejected',
              reason: parsed.reason,
              ...(parsed.sourceId === undefined ? {} : { sourceId: parsed.sourceId }),
            },
          ],
        };
      }
      throw new Error(`linePass handles users only, not ${parsed.kind}`);
    },
  };
}

/**
 * Each record a pass opens with its decision, in line order, `summarize` turning the decision
 * into what a test compares: as `[line, ...summarize(decision)]`.
 */
export async function decisionsOfPass(
  pass: SplitPass,
  jobId: string,
  summarize: (decision: SplitDecision) => unknown[],
): Promise<unknown[][]> {
  const decisions: unknown[][] = [];
  for await (const batch of await pass.open()) {
    for (const record of batch) {
      const origin = {
        jobId,
        sourceFile: pass.sourceFile,
        line: record.line,
        ...(pass.file === undefined ? {} : { file: pass.file }),
      };
      decisions.push([record.line, ...summarize(pass.decide(record, origin))]);
    }
  }
  return decisions;
}
