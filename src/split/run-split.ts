import type { WorkOsSnapshot } from '../snapshot/workos-snapshot.ts';
import type { JobSource } from './job-source.ts';
import { absentFromExportSourceFile, type JobToSplit, planSplit } from './plan-split.ts';
import {
  type SplitExportDependencies,
  type SplitExportInput,
  type SplitPass,
  type SplitSummary,
  splitExport,
} from './split-export.ts';

/**
 * Told when the split moves to its next phase: `describe`, `plan: <file kind>` for each planning
 * read, `split: <file kind>` for each pass. The bench times phases with it; nothing wraps a record.
 */
export type SplitPhaseObserver = (phase: string) => void;

export interface RunSplitInput extends Omit<SplitExportInput, 'passes'> {
  source: JobSource;
  onPhase?: SplitPhaseObserver;
  /**
   * What the WorkOS environment held before the job (`takeWorkOsSnapshot`): the split then
   * settles unchanged users itself, sends changed ones as updates, and lists the users the export
   * no longer holds. A continuation must be given the same snapshot.
   */
  snapshot?: WorkOsSnapshot;
}

export interface SplitRun {
  job: JobToSplit;
  /** The passes split: they hold the join's structures until they are let go. */
  passes: SplitPass[];
  summary: SplitSummary;
}

/**
 * THE split: describe the job, plan it (the join of users and password hashes, duplicate
 * emails), and split its files into queue messages. The splitter Lambda, local mode, `validate`
 * and the bench all run this, with their own source, sink and ledger: what one of them does to a
 * record, they all do.
 */
export async function runSplit(
  { source, onPhase, snapshot, ...split }: RunSplitInput,
  deps: SplitExportDependencies,
): Promise<SplitRun> {
  onPhase?.('describe');
  const job = await source.describe(split.jobId);
  let planning = true;
  const passes = await planSplit(
    job,
    (file) => {
      if (planning) onPhase?.(`plan: ${file.kind}`);
      return source.open(file.sourceFile);
    },
    snapshot === undefined ? {} : { snapshot },
  );
  planning = false;
  const kindOf = new Map<string, string>(job.files.map((file) => [file.sourceFile, file.kind]));
  kindOf.set(absentFromExportSourceFile, 'absent from the export');
  const observed =
    onPhase === undefined
      ? passes
      : passes.map((pass) => ({
          ...pass,
          open: () => {
            onPhase(`split: ${kindOf.get(pass.sourceFile) ?? pass.sourceFile}`);
            return pass.open();
          },
        }));
  const summary = await splitExport({ ...split, passes: observed }, deps);
  return { job, passes, summary };
}
