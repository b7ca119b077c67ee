// Prints the plain closing line CI reads ("vitest: N passed, N failed, N skipped"), since it
// does not parse vitest's own summary.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryLineReporter implements Reporter {
  private printed = false;

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (this.printed) return;
    this.printed = true;
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
    }
    // Last on the output, after vitest's own summary.
    process.once('exit', () => process.stdout.write(`vitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`));
  }
}
