import type { Reporter, SerializedError, TestModule, TestRunEndReason, Vitest } from 'vitest/node';

/** Counts of one test run, as printed on the summary line. */
export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts tests by their final state. A failure that no test carries (a file that cannot
 * be imported, a failing `beforeAll`, an unhandled error) counts as one failed test, so a
 * failed run never reads `0 failed`.
 */
export function countRun(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
): RunCounts {
  const counts: RunCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const testModule of testModules) {
    let failedHere = 0;
    for (const test of testModule.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed += 1;
      else if (state === 'skipped') counts.skipped += 1;
      // `pending` at the end of a run means the test never finished: not a pass.
      else failedHere += 1;
    }
    if (failedHere === 0 && testModule.state() === 'failed') failedHere = 1;
    counts.failed += failedHere;
  }
  counts.failed += unhandledErrors.length;
  if (reason !== 'passed' && counts.failed === 0) counts.failed = 1;
  return counts;
}

/** Formats the line CI reads: `N passed, N failed` with `, N skipped` when there are any. */
export function formatCounts(counts: RunCounts): string {
  const line = `${counts.passed} passed, ${counts.failed} failed`;
  return counts.skipped > 0 ? `${line}, ${counts.skipped} skipped` : line;
}

/**
 * Prints one `N passed, N failed` line at the very end, because CI does not parse vitest's
 * own output. In `vitest run` the line is written when the process exits: vitest reports
 * start-up errors (a failing global setup) and teardown errors after the run has ended, and
 * the line must stay last. Under `CI`, skipped or todo tests fail the run: a test that is
 * skipped there proves nothing.
 */
export default class SummaryReporter implements Reporter {
  private vitest: Vitest | undefined;
  private counts: RunCounts | undefined;
  private skipsRejected = false;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    if (!vitest.config.watch) process.once('exit', (code) => this.printAtExit(code));
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const counts = countRun(testModules, unhandledErrors, reason);
    if (process.env['CI'] && counts.skipped > 0) {
      this.vitest?.logger.error(`\n${counts.skipped} skipped or todo test(s): no test may be skipped in CI`);
      this.skipsRejected = true;
      process.exitCode = 1;
    }
    this.counts = counts;
    if (this.vitest?.config.watch) this.vitest.logger.log(`\n${formatCounts(counts)}`);
  }

  private printAtExit(code: number): void {
    const counts = this.counts ?? { passed: 0, failed: 0, skipped: 0 };
    // A non-zero exit that no count explains (an error after the run) is still a failure.
    if (code !== 0 && counts.failed === 0 && !this.skipsRejected) counts.failed = 1;
    // Synchronous here: stdout to a file or pipe is written synchronously on Linux.
    process.stdout.write(`\n${formatCounts(counts)}\n`);
  }
}
