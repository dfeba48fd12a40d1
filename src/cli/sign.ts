import type { Config } from '../config.ts';
import { tenantId as tenantIdCheck } from '../config-values.ts';
import {
  GO_MAX_SKEW_SECONDS,
  SIGNATURE_HEADER,
  TENANT_ID_HEADER,
  TIMESTAMP_HEADER,
  sign,
} from '../tenant-headers/index.ts';
import type { Sink } from './report.ts';

/**
 * `toolbridge-mcp sign`: one set of X-TB-* headers for calling the API by hand (curl, Postman).
 * The signature is the output; the secret that made it never is.
 */

/** sysexits(3), as src/cli/main.ts uses them. */
export const EX_USAGE = 64;
export const EX_CONFIG = 78;

export interface SignOptions {
  /** Milliseconds since the Unix epoch; frozen in tests. */
  now?: () => number;
  /** Overrides TOOLBRIDGE_TENANT_ID (e.g. from a `--tenant` flag). */
  tenantId?: string;
  /** Where problems go; `out` unless given, so the headers alone can be piped elsewhere. */
  err?: Sink;
}

/** Single-quoted for POSIX shells: nothing inside is expanded. */
const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** The Go API's default address (CONTRACT.md B.8), for the example when no base URL is set. */
const EXAMPLE_BASE_URL = 'http://localhost:8081';

export function runSign(config: Config, out: Sink, options: SignOptions = {}): number {
  const err = options.err ?? out;
  const secret = config.tenantHeaderSecret;
  if (secret === undefined) {
    err(
      "toolbridge-mcp sign: TOOLBRIDGE_TENANT_HEADER_SECRET is not set: it must be the API's TENANT_HEADER_SECRET",
    );
    return EX_CONFIG;
  }
  const tenant = options.tenantId ?? config.tenantId;
  if (tenant === undefined || tenant === '') {
    err('toolbridge-mcp sign: no tenant: set TOOLBRIDGE_TENANT_ID or name one explicitly');
    return EX_USAGE;
  }
  // The configured id passed this check already; an explicit one must meet the same rules.
  const valid = tenantIdCheck(tenant);
  if (!valid.ok) {
    err(`toolbridge-mcp sign: the tenant id ${valid.problem}`);
    return EX_USAGE;
  }
  const nowMs = Math.floor((options.now ?? Date.now)());
  const timestamp = String(nowMs);
  const signature = sign(secret, tenant, timestamp);
  const headers: [string, string][] = [
    [TENANT_ID_HEADER, tenant],
    [TIMESTAMP_HEADER, timestamp],
    [SIGNATURE_HEADER, signature],
  ];
  for (const [name, value] of headers) out(`${name}: ${value}`);
  const validUntil = new Date(nowMs + GO_MAX_SKEW_SECONDS * 1000).toISOString();
  out(
    `# valid until ${validUntil}, ${GO_MAX_SKEW_SECONDS} s (the API accepts timestamps within ${GO_MAX_SKEW_SECONDS} s of its own clock)`,
  );
  const url = `${config.goApiBaseUrl ?? EXAMPLE_BASE_URL}/v1/sync/sessions`;
  // curl sends arguments as the terminal's (UTF-8) bytes: exactly what the signature covers.
  const flags = headers.map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`);
  out(`# curl -X POST ${shellQuote(url)} -H "Authorization: Bearer $TOKEN" ${flags.join(' ')}`);
  return 0;
}
