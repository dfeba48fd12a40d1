import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  DEV_BANNER_TOKEN,
  recordChild,
  recordOutput,
  recordText,
  registerSecret,
  takeFindings,
} from './secret-ledger.ts';
import { describeFindings, hintOf, scanText } from './secret-scan.ts';

/** Built at run time, so this file's own text holds no credential shape. */
const KEY = `tbk_${'7f'.repeat(32)}`;
const JWT = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiJ1c2VyLTEifQ', 'c2lnbmF0dXJlLXZhbHVl'].join('.');
const SECRET = `registered-${'9c'.repeat(12)}`;

const scan = (text: string) => scanText(text, { source: 'unit', secrets: [SECRET] });

describe('scanText', () => {
  it.each([
    ['a registered secret', `{"msg":"x","secret":"${SECRET}"}`, 'registered secret'],
    [
      'a registered secret inside a JSON string',
      JSON.stringify(`a"${SECRET}`),
      'registered secret',
    ],
    ['a raw service key', `refused key ${KEY} for tenant`, 'service key'],
    ['a JWT', `token=${JWT}`, 'JWT'],
    [
      'a bearer credential',
      'authorization: Bearer opaque_0123456789abcdefXYZ',
      'bearer credential',
    ],
    [
      'a bearer credential in JSON',
      '{"sent":"Bearer opaque_0123456789abcdefXYZ"}',
      'bearer credential',
    ],
    ['the suite marker', 'tenant-secret-SENTINEL-1', 'SENTINEL marker'],
  ])('finds %s, with its line', (_name, leak, kind) => {
    const findings = scan(`clean line\n${leak}\nclean again`);
    expect(findings).toContainEqual(expect.objectContaining({ source: 'unit', kind, line: 2 }));
  });

  it.each([
    ['redacted values', '{"authorization":"[REDACTED]","msg":"Bearer [REDACTED]"}'],
    ['a bearer challenge', 'Bearer resource_metadata="http://127.0.0.1/.well-known/x"'],
    ['an error challenge', 'Bearer error="invalid_token", error_description="expired"'],
    ['an unsigned token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ['a short key-like id', 'tbk_0123 is not a key'],
    ['a short secret', 'the word short'],
    ['the curl hint', 'curl -H "Authorization: Bearer $TOKEN"'],
  ])('passes %s', (_name, text) => {
    expect(scanText(text, { source: 'unit', secrets: ['short'] })).toEqual([]);
  });

  it('reports a hint and the line, never the value', () => {
    const text = [`a ${SECRET}`, `b ${KEY}`, `c ${JWT}`, 'd Bearer opaque_0123456789abcdefXYZ'];
    const report = describeFindings(scan(text.join('\n')));
    for (const value of [SECRET, KEY, JWT, 'opaque_0123456789abcdefXYZ']) {
      expect(report.includes(value)).toBe(false);
      expect(report.includes(value.slice(0, 12))).toBe(false);
    }
    expect(report).toContain(`unit, line 2: service key ${hintOf(KEY)}`);
    expect(hintOf(KEY)).toBe('tbk_…(68 chars)');
  });

  it('numbers lines after the part of the source scanned before', () => {
    const findings = scanText(`x\n${KEY}`, { source: 'unit', firstLine: 40 });
    expect(findings.map(({ line }) => line)).toEqual([42]);
  });

  it("lets the dev banner's token line pass, and only right after its heading", () => {
    const heading = '  Dev bearer token (sub=dev-user, 24 h), for MCP Inspector:';
    const banner = `${heading}\n  Bearer ${JWT}`;
    expect(scanText(banner, { source: 'unit', productLines: [DEV_BANNER_TOKEN] })).toEqual([]);
    expect(
      scanText(`  Bearer ${JWT}`, {
        source: 'unit',
        productLines: [DEV_BANNER_TOKEN],
        previousLine: heading,
      }),
    ).toEqual([]);
    const elsewhere = scanText(`${heading}\nother\n  Bearer ${JWT}`, {
      source: 'unit',
      productLines: [DEV_BANNER_TOKEN],
    });
    expect(elsewhere.map(({ kind }) => kind)).toEqual(['JWT', 'bearer credential']);
  });
});

describe('the ledger', () => {
  it('scans what a source gained, complete lines first, and names the line in the source', () => {
    let text = 'one\n';
    recordOutput('growing', () => text);
    expect(takeFindings(false)).toEqual([]);
    text += `two ${KEY.slice(0, 30)}`;
    // The key is half written: not scanned yet, and not missed either.
    expect(takeFindings(false)).toEqual([]);
    text += `${KEY.slice(30)}\nthree\n`;
    expect(takeFindings(false)).toEqual([
      { source: 'growing', kind: 'service key', line: 2, hint: hintOf(KEY) },
    ]);
    expect(takeFindings(true)).toEqual([]);
  });

  it('finds a registered secret in a source recorded before it was registered', () => {
    recordText('early', `said ${SECRET} too soon\n`);
    registerSecret(SECRET);
    expect(takeFindings(false).map(({ kind }) => kind)).toEqual(['registered secret']);
  });

  it("scans a child's stderr but not a stdout that is product output", async () => {
    const script = `process.stdout.write('${KEY}\\n'); process.stderr.write('${KEY}\\n');`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    recordChild(child, 'keys new', { stdout: 'product output' });
    await once(child, 'close');
    const findings = takeFindings(false);
    expect(findings.map(({ source }) => source)).toEqual([`keys new (pid ${child.pid}) stderr`]);
  });
});
