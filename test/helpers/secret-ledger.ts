/**
 * The worker's ledger of everything a test saw of the gateway's output (in-process loggers, the
 * output of spawned gateways and CLIs, client output carrying the gateway's error texts) and of
 * the secrets the suite made. test/setup/secret-scan.ts scans it after each test and fails the
 * test on a leak; helpers feed it, so test files need not.
 *
 * The state lives on globalThis: a worker may evaluate this module more than once (one module
 * graph per test file), and every copy must feed the one ledger the setup file scans.
 */
import type { ChildProcess } from 'node:child_process';
import { scanText, type Finding, type ProductLine } from './secret-scan.ts';

interface Entry {
  readonly source: string;
  /** The source's text so far; it only grows (a shorter text is scanned again from the start). */
  readonly read: () => string;
  readonly productLines: readonly ProductLine[];
  scannedChars: number;
  scannedLines: number;
  lastLine: string;
}

interface Ledger {
  readonly secrets: Set<string>;
  readonly entries: Entry[];
}

declare global {
  var toolbridgeSecretLedger: Ledger | undefined;
}

function ledger(): Ledger {
  globalThis.toolbridgeSecretLedger ??= { secrets: new Set(), entries: [] };
  return globalThis.toolbridgeSecretLedger;
}

/**
 * `npm start` without an API prints a dev token for MCP Inspector, once, on stdout (src/serve.ts
 * tokenLines): a token meant for the user, not a log line. Only that line right after its heading
 * passes; a token anywhere else on the same stream is still a finding.
 */
export const DEV_BANNER_TOKEN: ProductLine = {
  why: 'the dev banner prints a client token for MCP Inspector by design',
  line: /^ {2}Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+$/,
  previous: /^ {2}Dev bearer token /,
};

/** The names of environment variables whose values are secret (the gateway's and Redis's). */
const SECRET_VARIABLE = /SECRET|TOKEN|PASSWORD/;

/** Registers the secret values of an environment a gateway or CLI process is started with. */
export function registerEnvSecrets(env: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_VARIABLE.test(name)) registerSecret(value);
  }
}

/** Values no output may carry, for the rest of the test file. */
export function registerSecret(...values: readonly (string | undefined)[]): void {
  for (const value of values) if (value !== undefined && value !== '') ledger().secrets.add(value);
}

/** A source whose text `read` returns, scanned after each test for what it gained meanwhile. */
export function recordOutput(
  source: string,
  read: () => string,
  productLines: readonly ProductLine[] = [],
): void {
  ledger().entries.push({
    source,
    read,
    productLines,
    scannedChars: 0,
    scannedLines: 0,
    lastLine: '',
  });
}

/** Text that is complete already (the output of a process run synchronously, say). */
export function recordText(source: string, text: string, productLines?: readonly ProductLine[]) {
  recordOutput(source, () => text, productLines);
}

export interface ChildOutput {
  /**
   * 'product output' for a command whose stdout is a credential by design (`keys new`, `token`):
   * that stream is not scanned; stderr still is.
   */
  readonly stdout?: 'scan' | 'product output';
}

/**
 * Feeds a child's piped stdout and stderr to the ledger. Call it right after spawn, where the
 * caller reads the streams with 'data' listeners anyway: a listener switches a stream to flowing
 * mode, and a caller that meant to read it later (readline, an async iterator) would miss data.
 */
export function recordChild(child: ChildProcess, name: string, options: ChildOutput = {}): void {
  const streams = [
    ['stdout', options.stdout === 'product output' ? null : child.stdout],
    ['stderr', child.stderr],
  ] as const;
  for (const [label, stream] of streams) {
    if (stream === null) continue;
    let text = '';
    stream.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
    recordOutput(`${name} (pid ${child.pid ?? '?'}) ${label}`, () => text, [DEV_BANNER_TOKEN]);
  }
}

/**
 * What the sources gained since the last scan, scanned for every registered secret and credential
 * shape. Up to the last complete line unless `final`: a credential split across two writes is
 * seen whole next time.
 */
export function takeFindings(final: boolean): Finding[] {
  const { secrets, entries } = ledger();
  const findings: Finding[] = [];
  for (const entry of entries) {
    const text = entry.read();
    if (text.length < entry.scannedChars) {
      entry.scannedChars = 0;
      entry.scannedLines = 0;
      entry.lastLine = '';
    }
    const end = final ? text.length : text.lastIndexOf('\n', text.length) + 1;
    if (end <= entry.scannedChars) continue;
    const chunk = text.slice(entry.scannedChars, end);
    findings.push(
      ...scanText(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk, {
        source: entry.source,
        secrets,
        productLines: entry.productLines,
        firstLine: entry.scannedLines,
        previousLine: entry.lastLine,
      }),
    );
    const lines = chunk.split('\n');
    entry.scannedChars = end;
    entry.scannedLines += lines.length - 1;
    entry.lastLine = lines.at(-2) ?? entry.lastLine;
  }
  return findings;
}

/** Forgets the file's sources and secrets (after its last test). */
export function clearLedger(): void {
  ledger().secrets.clear();
  ledger().entries.length = 0;
}
