import { SignJWT } from 'jose';
import { startBackend } from '../../src/backend/index.ts';
import { runDoctor, type DoctorOptions } from '../../src/cli/doctor.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { onCleanup } from '../helpers/loopback.ts';

/** Distinctive values, so a leak anywhere in the output is caught by a substring search. */
export const JWT_SECRET = 'doctor-jwt-secret-SENTINEL-0001';
export const TENANT_SECRET = 'doctor-tenant-secret-SENTINEL-0002';
export const WRONG_TENANT_SECRET = 'doctor-wrong-tenant-SENTINEL-0003';
export const WRONG_JWT_SECRET = 'doctor-wrong-jwt-SENTINEL-0004';

/** The embedded ToolBridge API on loopback, closed after the test. */
export async function startApi(): Promise<string> {
  const api = await startBackend({
    port: 0,
    jwtSecret: JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
  });
  onCleanup(() => api.close());
  return api.url;
}

export function token(
  claims: Record<string, string> = { sub: 'user-1' },
  { secret = JWT_SECRET, expiresAt }: { secret?: string; expiresAt?: number } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  jwt.setExpirationTime(expiresAt ?? '1h');
  return jwt.sign(new TextEncoder().encode(secret));
}

/** A gateway configuration as an operator would write it (env values only). */
export function config(env: Record<string, string | undefined>): Config {
  return loadConfig({
    env: { TOOLBRIDGE_JWT_SECRET: JWT_SECRET, TOOLBRIDGE_TENANT_ID: 'acme', ...env },
  });
}

export async function doctor(cfg: Config, options: DoctorOptions = {}) {
  const lines: string[] = [];
  const code = await runDoctor(
    cfg,
    (line) => {
      lines.push(line);
    },
    { timeoutMs: 2_000, ...options },
  );
  return { code, lines, text: lines.join('\n') };
}

/** Every secret, every token given and each long part of the tokens. */
export function leaks(text: string, tokens: readonly string[] = []): string[] {
  const candidates = [
    JWT_SECRET,
    TENANT_SECRET,
    WRONG_TENANT_SECRET,
    WRONG_JWT_SECRET,
    'SENTINEL',
    ...tokens,
    ...tokens.flatMap((t) => t.split('.')),
  ].filter((value) => value.length >= 8);
  return candidates.filter((value) => text.includes(value));
}
