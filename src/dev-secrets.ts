import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/**
 * The embedded API's JWT secret, kept across restarts so that a dev token pasted into Claude
 * Desktop, mcp-remote or MCP Inspector keeps working after the next `npm start`. It lives in the
 * working directory (`npm start` runs in the checkout, where `.toolbridge/` is git-ignored),
 * readable by its owner only. A file that cannot be trusted (open to other users, not ours to
 * parse) is replaced; one that cannot be read or written leaves a secret for this run only. In
 * both cases `note` says so, and never the secret.
 */

export const DEV_SECRETS_FILE = join('.toolbridge', 'dev-secrets.json');

const DevSecretsFile = z.object({ version: z.literal(1), jwtSecret: z.string().min(32) });

export interface DevSecret {
  readonly secret: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** False when the secret could not be kept in the file and is good for this run only. */
  readonly kept: boolean;
  /** Something about the file worth telling the user; never the secret. */
  readonly note: string | undefined;
}

type Found =
  | { readonly kind: 'ok'; readonly secret: string }
  | { readonly kind: 'missing' }
  /** Not to be trusted: replaced with a new secret. */
  | { readonly kind: 'replace'; readonly why: string }
  /** Cannot be used or replaced here. */
  | { readonly kind: 'unusable'; readonly why: string };

const codeOf = (error: unknown): string =>
  error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'unknown error';

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

function read(path: string): Found {
  let fd: number;
  try {
    // O_NOFOLLOW: a symbolic link could point the secret anywhere, or at a file someone else reads.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'replace', why: `${path} was a symbolic link` };
    return { kind: 'unusable', why: `cannot read ${path} (${code})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { kind: 'unusable', why: `${path} is not a regular file` };
    // Windows has no such mode bits; its ACLs keep a user's files private by default.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      return { kind: 'replace', why: `${path} was open to other users (mode ${octal(stat.mode)})` };
    }
    const text = readFileSync(fd, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { kind: 'replace', why: `${path} was not valid JSON` };
    }
    const parsed = DevSecretsFile.safeParse(json);
    if (!parsed.success) return { kind: 'replace', why: `${path} held no usable dev secret` };
    return { kind: 'ok', secret: parsed.data.jwtSecret };
  } catch (error) {
    return { kind: 'unusable', why: `cannot read ${path} (${codeOf(error)})` };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes through a temporary file, so no reader ever sees half a file. A new file is linked into
 * place, which fails if another process created one meanwhile: then both use that one.
 */
function write(path: string, secret: string, fresh: boolean): 'written' | 'lost-race' {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temp = `${path}.${process.pid}.tmp`;
  const body = {
    version: 1,
    about:
      "toolbridge-mcp's development secret for its embedded ToolBridge API. Delete this file to revoke every token signed with it.",
    jwtSecret: secret,
  };
  try {
    writeFileSync(temp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    if (!fresh) {
      renameSync(temp, path);
      return 'written';
    }
    try {
      linkSync(temp, path);
    } catch (error) {
      if (codeOf(error) === 'EEXIST') return 'lost-race';
      throw error;
    }
    return 'written';
  } finally {
    rmSync(temp, { force: true });
  }
}

const newSecret = () => randomBytes(32).toString('base64url');

/** The kept dev secret under `dir`, created or replaced as needed. */
export function loadDevSecret(dir: string, generate: () => string = newSecret): DevSecret {
  const path = join(dir, DEV_SECRETS_FILE);
  const found = read(path);
  if (found.kind === 'ok') return { secret: found.secret, path, kept: true, note: undefined };
  const secret = generate();
  if (found.kind === 'unusable') return { secret, path, kept: false, note: found.why };
  const replaced =
    found.kind === 'replace'
      ? `${found.why}; replaced with a new secret, so tokens signed before no longer work`
      : undefined;
  try {
    if (write(path, secret, found.kind === 'missing') === 'lost-race') {
      const theirs = read(path);
      if (theirs.kind === 'ok') return { secret: theirs.secret, path, kept: true, note: undefined };
      return { secret, path, kept: false, note: `${path} changed while it was being created` };
    }
  } catch (error) {
    return { secret, path, kept: false, note: `cannot write ${path} (${codeOf(error)})` };
  }
  return { secret, path, kept: true, note: replaced };
}
