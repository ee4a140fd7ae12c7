/**
 * The layout of the export bucket: the key prefixes the stack deploys with, and the defaults the
 * splitter's configuration and the operator commands fall back to. One definition, so the
 * bucket's notifications, the splitter and `upload` cannot disagree about where a job goes.
 */

/** Each upload under this prefix starts an import of that one file. */
export const EXPORT_PREFIX = 'exports/';

/**
 * Jobs of several files: `jobs/<name>/manifest.json` starts the job, the files beside it do not
 * start anything by themselves (they are uploaded first).
 */
export const JOB_PREFIX = 'jobs/';

/** The splitter writes per-job reports here: outside {@link EXPORT_PREFIX}, so they trigger nothing. */
export const REPORT_PREFIX = 'reports/';

/**
 * The splitter keeps each job's snapshot of the WorkOS environment here (`<prefix><jobId>/...`),
 * outside {@link EXPORT_PREFIX} and {@link JOB_PREFIX}, so it triggers nothing.
 */
export const SNAPSHOT_PREFIX = 'snapshots/';
