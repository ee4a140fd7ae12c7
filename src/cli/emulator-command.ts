import { startWorkOsEmulator } from '../../tools/workos-emulator/src/workos-emulator.ts';
import { runCommand } from './command-context.ts';

export interface EmulatorCommandOptions {
  port: number;
  host: string;
  apiKey?: string;
  rateLimit: boolean;
}

const loopbackHosts = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

/** `migrate emulator`: serves until interrupted. */
export async function runEmulatorCommand(options: EmulatorCommandOptions): Promise<void> {
  // Ctrl-C stops it quietly (a second Ctrl-C quits at once); so does SIGTERM.
  await runCommand({}, { interrupt: '' }, async ({ out, err, signal }) => {
    if (!loopbackHosts.test(options.host)) {
      err(
        `Warning: ${options.host} is not a loopback address. The emulator's /__emulator control routes ` +
          'need no key: anyone who can reach this port can read stats, inject faults and reset it.\n',
      );
    }
    const emulator = await startWorkOsEmulator({
      port: options.port,
      host: options.host,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.rateLimit ? {} : { writeLimit: false, readLimit: false }),
    });
    out(
      `WorkOS emulator listening on ${emulator.url}\n` +
        `  try: WORKOS_API_URL=${emulator.url} WORKOS_API_KEY=${options.apiKey ?? 'sk_test_any'} npm run migrate -- local <files...>\n` +
        `  state: ${emulator.url}/__emulator/stats   (Ctrl-C stops it; state is in memory only)\n`,
    );
    await new Promise<void>((resolve) => {
      signal?.addEventListener('abort', () => resolve(), { once: true });
      process.once('SIGTERM', resolve);
    });
    await emulator.close();
    return 0;
  });
}
