/**
 * Issue 18: no secret, raw key or token in any log line or error text. Every test file runs this
 * first (vitest.config.ts setupFiles); after each test it scans what the worker's ledger gained
 * (test/helpers/secret-ledger.ts) and fails the test that saw a leak, naming the source, kind and
 * line, never the value. What is scanned, and what is deliberately not, is in docs/testing.md.
 */
import { format } from 'node:util';
import { afterAll, afterEach } from 'vitest';
import { clearLedger, recordOutput, takeFindings } from '../helpers/secret-ledger.ts';
import { describeFindings, type Finding } from '../helpers/secret-scan.ts';

declare global {
  var toolbridgeConsoleText: { text: string } | undefined;
}

/**
 * The test's own console output. vitest's onConsoleLog runs in the main process and can only hide
 * a line, not fail a test, so the console is tapped here, where a finding fails the test. Wrapped
 * once per worker; each file reads what was written since it started.
 */
function tapConsole(): { text: string } {
  if (globalThis.toolbridgeConsoleText !== undefined) return globalThis.toolbridgeConsoleText;
  const tapped = { text: '' };
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    /* eslint-disable no-console -- a tap on the console, not a use of it */
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      /* eslint-enable no-console */
      tapped.text += `${format(...args)}\n`;
      original(...args);
    };
  }
  globalThis.toolbridgeConsoleText = tapped;
  return tapped;
}

const consoleText = tapConsole();
const consoleStart = consoleText.text.length;
recordOutput('console of the test', () => consoleText.text.slice(consoleStart));

function fail(findings: readonly Finding[], where: string): void {
  if (findings.length === 0) return;
  throw new Error(
    `secret scan: ${findings.length} credential(s) in output seen during ${where}\n` +
      `${describeFindings(findings)}\n` +
      'Fix the product code that wrote it, or see docs/testing.md for deliberate credential output.',
  );
}

afterEach(({ task }) => {
  fail(takeFindings(false), `${task.file.name} > ${task.fullTestName}`);
});

// vitest requires the context argument destructured; the file is the second argument.
// eslint-disable-next-line no-empty-pattern
afterAll(({}, file) => {
  try {
    // Output that came after the last test (file-level cleanup, a process's last words).
    fail(takeFindings(true), `${file.name} (after its tests)`);
  } finally {
    clearLedger();
  }
});
