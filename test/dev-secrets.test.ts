import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_SECRETS_FILE, loadDevSecret } from '../src/dev-secrets.ts';

const root = mkdtempSync(join(tmpdir(), 'toolbridge-dev-secrets-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let counter = 0;
/** A fresh working directory, and the path of its dev secrets file. */
function workdir(): { dir: string; file: string } {
  counter += 1;
  const dir = join(root, String(counter));
  mkdirSync(dir);
  return { dir, file: join(dir, DEV_SECRETS_FILE) };
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
/** Compared without ever printing a secret in a failure message. */
const same = (a: string, b: string) => a === b;

describe('the kept dev secret', () => {
  it('is created once, owner-only, and the same on the next start', () => {
    const { dir, file } = workdir();
    const first = loadDevSecret(dir);
    expect(first).toMatchObject({ path: file, kept: true, note: undefined });
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(mode(file)).toBe('600');
    expect(mode(join(dir, '.toolbridge'))).toBe('700');
    const second = loadDevSecret(dir);
    expect(second).toMatchObject({ kept: true, note: undefined });
    expect(same(first.secret, second.secret), 'the same secret after a restart').toBe(true);
  });

  it('tightens a .toolbridge directory that others may enter', () => {
    const { dir } = workdir();
    mkdirSync(join(dir, '.toolbridge'), { mode: 0o755 });
    chmodSync(join(dir, '.toolbridge'), 0o755);
    expect(loadDevSecret(dir).kept).toBe(true);
    expect(mode(join(dir, '.toolbridge'))).toBe('700');
  });

  it.each([
    [
      'open to other users',
      0o644,
      '{"version":1,"jwtSecret":"x"}',
      'was open to other users (mode 0644)',
    ],
    ['not JSON', 0o600, '{"version":1,', 'was not valid JSON'],
    ['without a secret', 0o600, '{"version":1,"jwtSecret":"short"}', 'held no usable dev secret'],
  ])('replaces a file %s with a new secret, and says so', (_what, fileMode, text, why) => {
    const { dir, file } = workdir();
    loadDevSecret(dir);
    writeFileSync(file, text);
    chmodSync(file, fileMode);
    const replaced = loadDevSecret(dir);
    expect(replaced.kept).toBe(true);
    expect(replaced.note).toBe(
      `${file} ${why}; replaced with a new secret, so tokens signed before no longer work`,
    );
    expect(mode(file)).toBe('600');
    expect(same(loadDevSecret(dir).secret, replaced.secret), 'the new secret is kept').toBe(true);
  });

  it('replaces a symbolic link without writing through it', () => {
    const { dir, file } = workdir();
    const elsewhere = join(dir, 'elsewhere.json');
    writeFileSync(elsewhere, 'not to be touched');
    mkdirSync(join(dir, '.toolbridge'), { mode: 0o700 });
    symlinkSync(elsewhere, file);
    const replaced = loadDevSecret(dir);
    expect(replaced).toMatchObject({ kept: true });
    expect(replaced.note).toContain(`${file} was a symbolic link`);
    expect(readFileSync(elsewhere, 'utf8')).toBe('not to be touched');
    expect(statSync(file).isFile()).toBe(true);
  });

  it('leaves a directory in its place alone: a secret for this run only', () => {
    const { dir, file } = workdir();
    mkdirSync(file, { recursive: true });
    const result = loadDevSecret(dir);
    expect(result).toMatchObject({ kept: false, note: `${file} is not a regular file` });
    expect(statSync(file).isDirectory()).toBe(true);
  });

  it('uses a secret for this run only when the file cannot be created', () => {
    const { dir } = workdir();
    // A file where the working directory should be: no permission trick, so it holds for root.
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, '');
    const result = loadDevSecret(notADir);
    expect(result.kept).toBe(false);
    expect(result.note).toMatch(/^cannot (read|write) .*dev-secrets\.json \(ENOTDIR\)$/);
    expect(result.secret.length).toBeGreaterThanOrEqual(32);
  });
});
