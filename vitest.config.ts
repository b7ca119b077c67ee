import { defineConfig } from 'vitest/config';
import SummaryLineReporter from './test/summary-line-reporter.js';

export default defineConfig({
  test: {
    // Fixture apps carry their own *.test.ts files: they are inputs, not tests of this project.
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default', new SummaryLineReporter()],
  },
});
