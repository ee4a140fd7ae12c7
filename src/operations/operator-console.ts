/**
 * What the operator commands share on the terminal: error messages an operator can act on,
 * Ctrl-C handling, and number formats. Never anything from a message body.
 */

const countFormat = new Intl.NumberFormat('en-US');

export function formatCount(value: number): string {
  return countFormat.format(value);
}

/** `1.5 GiB`, `12.0 MiB`, `300 B`. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `2 h 05 min`, `4 min 10 s`, `12 s`. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  if (minutes > 0) return `${minutes} min ${String(rest).padStart(2, '0')} s`;
  return `${rest} s`;
}

/** The SDK's messages for a missing region or credentials do not say what to set. */
export function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (/region is missing/i.test(error.message)) {
    return `${error.message}. Set AWS_REGION, or AWS_PROFILE to a profile with a region.`;
  }
  if (error.name === 'CredentialsProviderError') {
    return `${error.message}. Set AWS_PROFILE (and run \`aws sso login\` if it uses SSO) or AWS credentials.`;
  }
  return error.message;
}

/**
 * The first Ctrl-C aborts the returned signal so the command can wind down cleanly (abort an
 * upload, make held messages visible again); a second one quits at once.
 */
export function interruptOnCtrlC(
  err: (text: string) => void,
  message = 'Stopping… (Ctrl-C again to quit at once)',
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    err(`${message}\n`);
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  return {
    signal: controller.signal,
    dispose: () => process.removeListener('SIGINT', onInterrupt),
  };
}

/** Where a command writes: results to stdout, progress and errors to stderr (tests pass others). */
export interface ConsoleWriters {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function consoleWriters(overrides: Partial<ConsoleWriters>): ConsoleWriters {
  return {
    out: overrides.out ?? ((text) => process.stdout.write(text)),
    err: overrides.err ?? ((text) => process.stderr.write(text)),
  };
}

/**
 * Runs a lookup every command starts with (the stack's outputs): on failure it prints the one
 * actionable message and returns undefined, and the command exits 2.
 */
export async function resolveOrReport<T>(
  lookup: () => Promise<T>,
  err: ConsoleWriters['err'],
): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (error) {
    err(`Error: ${describeAwsError(error)}\n`);
    return undefined;
  }
}
