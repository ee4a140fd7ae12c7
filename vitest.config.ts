import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Logs from the pipeline are JSON lines meant for CloudWatch; keep test output readable.
    silent: 'passed-only',
    env: { POWERTOOLS_LOG_LEVEL: 'WARN' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'tools/workos-emulator/test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 60_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Every level is logged through the global console, where tests inspect it for PII.
          env: { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_DEV: 'true' },
          globalSetup: ['test/helpers/moto-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
