import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { runCommand, runStackCommand } from '../../../src/cli/command-context.ts';
import { ConfigError } from '../../../src/errors.ts';

function captured() {
  const written = { out: '', err: '' };
  return {
    written,
    io: {
      out: (text: string) => {
        written.out += text;
      },
      err: (text: string) => {
        written.err += text;
      },
    },
  };
}

describe('runCommand', () => {
  it.each([
    [false, 'out'],
    [true, 'err'],
  ] as const)(
    'with json %s, writes notes to %s so stdout holds only the result',
    async (json, stream) => {
      const { written, io } = captured();
      await runCommand(io, { json }, async ({ notes }) => {
        notes('a note\n');
        return 0;
      });
      expect(written[stream]).toBe('a note\n');
    },
  );

  it('prints a thrown error and returns the failure exit code', async () => {
    const { written, io } = captured();
    const code = await runCommand(io, { failureExitCode: 1 }, async () => {
      throw new Error('Region is missing');
    });
    expect(code).toBe(1);
    expect(written.err).toMatch(/^Error: Region is missing\. Set AWS_REGION/);
  });

  it('lets errors through without a failure exit code', async () => {
    await expect(
      runCommand({}, {}, async () => {
        throw new RangeError('a bug');
      }),
    ).rejects.toThrow(RangeError);
  });

  it("hands the caller's signal to the command instead of taking over Ctrl-C", async () => {
    const controller = new AbortController();
    const listeners = process.listenerCount('SIGINT');
    await runCommand({ signal: controller.signal }, { interrupt: true }, async ({ signal }) => {
      expect(signal).toBe(controller.signal);
      expect(process.listenerCount('SIGINT')).toBe(listeners);
      return 0;
    });
  });

  it('takes over Ctrl-C while the command runs, and gives it back after', async () => {
    const listeners = process.listenerCount('SIGINT');
    await runCommand({}, { interrupt: true }, async ({ signal }) => {
      expect(signal?.aborted).toBe(false);
      expect(process.listenerCount('SIGINT')).toBe(listeners + 1);
      return 0;
    });
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});

describe('runStackCommand', () => {
  it('exits 2 with the lookup error and runs nothing when the stack cannot be read', async () => {
    const { written, io } = captured();
    let ran = false;
    const code = await runStackCommand(
      { ...io, cloudformation: new CloudFormationClient({ region: 'eu-west-1' }) },
      {
        env: 'dev',
        readOutputs: async () => {
          throw new ConfigError('Stack WorkosUserImport-dev not found');
        },
        failureExitCode: 1,
      },
      async () => {
        ran = true;
        return 0;
      },
    );
    expect({ code, ran, err: written.err }).toEqual({
      code: 2,
      ran: false,
      err: 'Error: Stack WorkosUserImport-dev not found\n',
    });
  });

  it('hands the outputs of the environment to the command', async () => {
    const code = await runStackCommand(
      { cloudformation: new CloudFormationClient({ region: 'eu-west-1' }) },
      { env: 'prod', readOutputs: async (_, environment) => ({ environment }) },
      async (_, outputs) => (outputs.environment === 'prod' ? 0 : 1),
    );
    expect(code).toBe(0);
  });
});
