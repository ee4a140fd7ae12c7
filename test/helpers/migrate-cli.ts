import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm run migrate -- <args>` in a child process, as an operator runs it, with `environment`
 * added to this process's (the integration tests' AWS_ENDPOINT_URL, region and dummy
 * credentials: the SDK's default chain then finds moto).
 */
export function runMigrateCli(
  args: string[],
  environment: Record<string, string>,
): Promise<CliResult> {
  return run(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'src/cli/main.ts', ...args],
    { cwd: repositoryRoot, env: { ...process.env, ...environment } },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: CliResult) => error,
  );
}
