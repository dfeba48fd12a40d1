import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    // Tests that spawn the CLI or real clients start a fresh process each time.
    testTimeout: 20_000,
    // Issue 18: every test's output is scanned for secrets, raw keys and tokens (docs/testing.md).
    // Both projects inherit it (extends: true).
    setupFiles: ['test/setup/secret-scan.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/interop/**'],
        },
      },
      {
        // Clients nobody here wrote: MCP Inspector CLI and the Python SDK (venvs built once).
        extends: true,
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          globalSetup: ['test/interop/python-setup.ts'],
        },
      },
    ],
  },
});
