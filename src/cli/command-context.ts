import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describeAwsError } from '../operations/operator-console.ts';

/**
 * The prologue every `migrate` command shares: where it writes (results to stdout, progress and
 * errors to stderr; with --json, stdout holds the one object), Ctrl-C (the first stops cleanly,
 * the second quits at once) and the lookup of the deployed stack's outputs for `--env`.
 */

/** What tests (and other callers) hand a command instead of the terminal. */
export interface CommandIo {
  /** Results (stdout). */
  out?: (text: string) => void;
  /** Progress, notices and errors (stderr). */
  err?: (text: string) => void;
  /** Stops the run; without one, Ctrl-C does (a second Ctrl-C quits at once). */
  signal?: AbortSignal;
}

export interface CommandContext {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Notes beside a result: stderr with --json (stdout then holds only the object), else stdout. */
  notes: (text: string) => void;
  /** Aborted by the caller's signal or the first Ctrl-C; undefined when the command takes none. */
  signal: AbortSignal | undefined;
}

export interface CommandSettings {
  json?: boolean;
  /**
   * Ctrl-C asks the command to stop cleanly, printing this line (`true`: the usual one; `''`:
   * nothing). Without it, Ctrl-C ends the process as usual.
   */
  interrupt?: string | true;
  /**
   * An error the command throws is printed (`Error: ...`, with what to set for a missing region
   * or credentials) and this exit code returned. Without it, errors propagate.
   */
  failureExitCode?: number;
}

const defaultInterruptMessage = 'Stopping… (Ctrl-C again to quit at once)';

/** Where a command writes: the terminal, or what the caller handed in. */
export function commandWriters(io: CommandIo): Pick<CommandContext, 'out' | 'err'> {
  return {
    out: io.out ?? ((text: string) => process.stdout.write(text)),
    err: io.err ?? ((text: string) => process.stderr.write(text)),
  };
}

/** Runs `command` with the shared prologue; returns its exit code. */
export async function runCommand(
  io: CommandIo,
  settings: CommandSettings,
  command: (context: CommandContext) => Promise<number>,
): Promise<number> {
  const { out, err } = commandWriters(io);
  const interrupt =
    settings.interrupt === undefined || io.signal
      ? undefined
      : interruptOnCtrlC(
          err,
          settings.interrupt === true ? defaultInterruptMessage : settings.interrupt,
        );
  const context: CommandContext = {
    out,
    err,
    notes: settings.json ? err : out,
    signal: io.signal ?? interrupt?.signal,
  };
  try {
    return await command(context);
  } catch (error) {
    if (settings.failureExitCode === undefined) throw error;
    err(`Error: ${describeAwsError(error)}\n`);
    return settings.failureExitCode;
  } finally {
    interrupt?.dispose();
  }
}

/** A command that acts on a deployed environment: `--env` and how to read its stack. */
export interface StackSettings<Outputs> extends CommandSettings {
  env: string;
  readOutputs: (cloudformation: CloudFormationClient, environment: string) => Promise<Outputs>;
}

/**
 * {@link runCommand} for a deployed environment: reads the stack's outputs first (before Ctrl-C
 * is taken over, so an interrupted lookup just ends); when they cannot be read it prints the one
 * actionable message and returns 2 without running `command`.
 */
export async function runStackCommand<Outputs>(
  io: CommandIo & { cloudformation: CloudFormationClient },
  settings: StackSettings<Outputs>,
  command: (context: CommandContext, outputs: Outputs) => Promise<number>,
): Promise<number> {
  const { err } = commandWriters(io);
  let outputs: Outputs;
  try {
    outputs = await settings.readOutputs(io.cloudformation, settings.env);
  } catch (error) {
    err(`Error: ${describeAwsError(error)}\n`);
    return configurationErrorExitCode;
  }
  return runCommand(io, settings, (context) => command(context, outputs));
}

/** Usage and configuration errors: the environment cannot be resolved, the flags disagree. */
export const configurationErrorExitCode = 2;

/**
 * The first Ctrl-C aborts the returned signal so the command can wind down cleanly (abort an
 * upload, cancel a move task, make held messages visible again); a second one quits at once.
 */
function interruptOnCtrlC(
  err: (text: string) => void,
  message: string,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    if (message !== '') err(`${message}\n`);
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  return {
    signal: controller.signal,
    dispose: () => process.removeListener('SIGINT', onInterrupt),
  };
}
