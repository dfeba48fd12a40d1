import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Tests that spawn the CLI start a fresh Node process each time.
    testTimeout: 20_000,
  },
});
