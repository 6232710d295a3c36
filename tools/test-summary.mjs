// Prints the plain summary line CI reads ("N passed, N failed, N skipped") from vitest's JSON report.
// A missing report (the build failed before any test ran) counts as one failure; a skipped test is not a pass.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'var/test-results.json';
if (!existsSync(file)) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
// failed tests, plus each test file that failed without a failed test in it (it did not load, or a hook threw)
const brokenFiles = (report.testResults ?? []).filter(
  (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(skipped ? `${passed} passed, ${failed} failed, ${skipped} skipped` : `${passed} passed, ${failed} failed`);
process.exit(failed > 0 || skipped > 0 || passed === 0 ? 1 : 0);
