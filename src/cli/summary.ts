import type { LocalMigrationResult } from '../local/run-local-migration.ts';
import { type RecordOutcome, type RecordStatus, recordStatuses } from '../pipeline/outcome.ts';

const numberFormat = new Intl.NumberFormat('en-US');

/** The end-of-run summary an operator reads: one line per state, with the reasons behind each. */
export function formatMigrationSummary(result: LocalMigrationResult, elapsedMs: number): string {
  const read = result.jobs.reduce((total, job) => total + job.read, 0);
  const width = numberFormat.format(read).length;
  const lines = [`  ${'read'.padEnd(10)} ${numberFormat.format(read).padStart(width)}`];
  for (const status of recordStatuses) {
    const count = result.counts[status];
    let line = `  ${status.padEnd(10)} ${numberFormat.format(count).padStart(width)}`;
    if (count > 0 && (status === 'rejected' || status === 'failed' || status === 'unchanged')) {
      const reasons = [...reasonCounts(result.outcomes, status)]
        .filter(([reason]) => reason !== 'unknown')
        .sort((a, b) => b[1] - a[1])
        .map(([reason, n]) => `${reason} ${numberFormat.format(n)}`);
      if (reasons.length > 0) line += `   (${reasons.join(', ')})`;
    }
    lines.push(line);
  }
  if (result.unaccounted !== 0) {
    lines.push(`  ${'UNACCOUNTED'.padEnd(10)} ${numberFormat.format(result.unaccounted)}`);
  }
  const writes = result.counts.created + result.counts.updated;
  const seconds = elapsedMs / 1000;
  lines.push(
    `  took ${seconds.toFixed(1)} s${seconds > 0 ? `, ${(writes / seconds).toFixed(1)} users written/s` : ''}`,
  );
  return lines.join('\n');
}

export function formatProgress(done: number, read: number): string {
  return `  ${numberFormat.format(done)} of ${numberFormat.format(read)} records read so far have an outcome`;
}

/** How often each reason occurs among the outcomes of one status. */
export function reasonCounts(
  outcomes: Iterable<RecordOutcome>,
  status: RecordStatus,
): Map<string, number> {
  const reasons = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.status !== status) continue;
    const reason = outcome.reason ?? 'unknown';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return reasons;
}
