import {
  emptyOutcomeCounts,
  type OutcomeCounts,
  type OutcomeRecorder,
  type RecordOutcome,
} from '../pipeline/outcome.ts';

/**
 * Local mode's record of outcomes: one entry per input record, keyed by job and line. With
 * at-least-once delivery a record can be reported more than once (a redelivered message ends as
 * `unchanged` after it was `created`); the first successful outcome is the true one and is kept,
 * while a success replaces an earlier failure (a retried record that went through).
 */
export class LocalOutcomeLedger implements OutcomeRecorder {
  readonly #outcomes = new Map<string, RecordOutcome>();

  async record(outcome: RecordOutcome): Promise<void> {
    const key = `${outcome.origin.jobId}\n${outcome.origin.line}`;
    const earlier = this.#outcomes.get(key);
    if (earlier === undefined || earlier.status === 'failed') this.#outcomes.set(key, outcome);
  }

  has(jobId: string, line: number): boolean {
    return this.#outcomes.has(`${jobId}\n${line}`);
  }

  /** Every outcome, in file order. */
  outcomes(): RecordOutcome[] {
    return [...this.#outcomes.values()].sort(
      (a, b) =>
        a.origin.sourceFile.localeCompare(b.origin.sourceFile) || a.origin.line - b.origin.line,
    );
  }

  counts(): OutcomeCounts {
    const counts = emptyOutcomeCounts();
    for (const outcome of this.#outcomes.values()) counts[outcome.status] += 1;
    return counts;
  }

  /** Failure reasons with how often each occurred, for the summary. */
  reasonsFor(status: RecordOutcome['status']): Map<string, number> {
    const reasons = new Map<string, number>();
    for (const outcome of this.#outcomes.values()) {
      if (outcome.status !== status) continue;
      const reason = outcome.reason ?? 'unknown';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    return reasons;
  }
}
