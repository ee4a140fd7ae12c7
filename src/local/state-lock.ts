import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.ts';

/**
 * Holds a state file for this process: `<state>.lock` names its pid. Two runs of one job at once
 * would each import the records the other has not settled yet; the second is refused. A lock
 * left by a run that was killed names a process that is gone, and is taken over.
 */
export function lockStateFile(statePath: string): { release(): void } {
  const lockPath = `${statePath}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rmSync(lockPath, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new ConfigError(
          `Another run (pid ${holder}) is using the state file ${statePath}; wait for it or stop it.`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new ConfigError(`Could not lock the state file ${statePath}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
