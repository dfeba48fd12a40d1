/**
 * The doctor's report: one line per check, marked so a glance tells passed from failed. Every
 * line goes through `scrub` first; the checks never put a secret into a line, and this is the
 * second lock on that door.
 */

export type Sink = (line: string) => void;

export interface Report {
  pass(text: string): void;
  /** A finding that does not fail the run (e.g. clock skew inside the window but large). */
  warn(text: string, fix?: string): void;
  /** `detail` goes on its own indented line, so `text` can be a fixed, greppable sentence. */
  fail(text: string, fix: string, detail?: string): void;
  skip(text: string): void;
  note(text: string): void;
  readonly failures: number;
}

/** Below this length a "secret" would match innocent text; such a value is no secret anyway. */
const MIN_SCRUBBED_LENGTH = 8;

export function scrubber(secrets: readonly (string | undefined)[]): (text: string) => string {
  const hidden = secrets
    .filter((secret): secret is string => secret !== undefined)
    .filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH)
    // Longest first, so a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length);
  return (text) => hidden.reduce((clean, secret) => clean.split(secret).join('[redacted]'), text);
}

export function createReport(out: Sink, secrets: readonly (string | undefined)[]): Report {
  const scrub = scrubber(secrets);
  const emit = (line: string) => {
    out(scrub(line));
  };
  let failures = 0;
  return {
    pass: (text) => {
      emit(`✔ ${text}`);
    },
    warn: (text, fix) => {
      emit(`⚠ ${text}`);
      if (fix !== undefined) emit(`  fix: ${fix}`);
    },
    fail: (text, fix, detail) => {
      failures += 1;
      emit(`✘ ${text}`);
      if (detail !== undefined) emit(`  ${detail}`);
      emit(`  fix: ${fix}`);
    },
    skip: (text) => {
      emit(`– ${text}`);
    },
    note: (text) => {
      emit(text);
    },
    get failures() {
      return failures;
    },
  };
}
