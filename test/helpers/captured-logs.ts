import { vi } from 'vitest';

/**
 * Keeps every line written to the console, at every level, and still writes it: the integration
 * project runs the logger at DEBUG through the global console, so these are every log line the
 * handlers write. `vi.restoreAllMocks()` ends the capture.
 */
export function captureConsoleLines(
  lines: string[],
  format: (arg: unknown) => string = String,
): void {
  for (const method of ['debug', 'info', 'warn', 'error', 'log', 'trace'] as const) {
    const original = console[method].bind(console);
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(format).join(' '));
      original(...args);
    });
  }
}
