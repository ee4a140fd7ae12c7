/**
 * What the operator commands share on the terminal: error messages an operator can act on,
 * and number formats (the commands' prologue is src/cli/command-context.ts). Never anything from a message body.
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
