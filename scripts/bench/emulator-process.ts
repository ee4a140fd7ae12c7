import { logger } from '../../src/logger.ts';
import { startWorkOsEmulator } from '../../tools/workos-emulator/src/workos-emulator.ts';

/*
 * The WorkOS emulator in a process of its own, for the ceiling run: WorkOS is remote, so its CPU
 * should not be charged to the pipeline. Prints its URL as one JSON line, serves until stdin
 * closes (the parent ending, on purpose or not, stops it), and answers stats on the emulator's
 * control route.
 */

const limited = process.argv[2] !== 'unlimited';
logger.setLogLevel('ERROR');
const emulator = await startWorkOsEmulator(limited ? {} : { writeLimit: false, readLimit: false });
process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void emulator.close().then(() => process.exit(0));
});
