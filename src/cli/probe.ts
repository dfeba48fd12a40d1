import type { IncomingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { Agent, request, type Dispatcher } from 'undici';

/**
 * One diagnostic HTTP request to the ToolBridge API, and a plain-words account of why it got no
 * answer. Failures name the host and port, never a header value (those carry the credentials).
 */

export interface Target {
  /** `scheme://host[:port]` */
  readonly origin: string;
  /** The base URL's path, no trailing slash (`''` for the root). */
  readonly prefix: string;
  /** `host:port` with the scheme's default port spelled out, for messages. */
  readonly hostPort: string;
  readonly hostname: string;
}

export function targetOf(baseUrl: string): Target {
  const url = new URL(baseUrl);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return {
    origin: url.origin,
    prefix: url.pathname.replace(/\/+$/, ''),
    hostPort: `${url.hostname}:${port}`,
    hostname: url.hostname,
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** Local clock (the doctor's `now`) just before sending and just after the body arrived. */
  readonly sentAt: number;
  readonly receivedAt: number;
}

export type ProbeResult =
  | { readonly ok: true; readonly reply: Reply }
  | { readonly ok: false; readonly problem: string; readonly fix: string };

export interface ProbeContext {
  readonly target: Target;
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** An Agent whose connect, header and body phases are each bounded by the doctor's timeout. */
export function createProbeAgent(timeoutMs: number): Agent {
  return new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

export async function probe(
  ctx: ProbeContext,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  headers: Record<string, string> = {},
): Promise<ProbeResult> {
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  const sentAt = ctx.now();
  try {
    const response = await request(`${ctx.target.origin}${ctx.target.prefix}${path}`, {
      method,
      headers,
      dispatcher: ctx.dispatcher,
      signal,
    });
    const text = await response.body.text();
    return {
      ok: true,
      reply: {
        status: response.statusCode,
        headers: response.headers,
        text,
        sentAt,
        receivedAt: ctx.now(),
      },
    };
  } catch (error) {
    return { ok: false, ...describeFailure(error, ctx.target, ctx.timeoutMs, signal.aborted) };
  }
}

/** `code`s of an error, its causes and (for Happy Eyeballs' AggregateError) its members. */
export function errorCodes(error: unknown, depth = 0): string[] {
  if (depth > 5 || !(error instanceof Error)) return [];
  const own = 'code' in error && typeof error.code === 'string' ? [error.code] : [];
  const members = error instanceof AggregateError ? error.errors : [];
  return [
    ...own,
    ...errorCodes(error.cause, depth + 1),
    ...members.flatMap((member: unknown) => errorCodes(member, depth + 1)),
  ];
}

const DNS = /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME|EAI_NODATA)$/;
const TLS =
  /^(EPROTO|ERR_TLS_.*|ERR_SSL_.*|.*CERT.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_.*)$/;
const TIMEOUT =
  /^(ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT)$/;

export function describeFailure(
  error: unknown,
  target: Target,
  timeoutMs: number,
  timedOut: boolean,
): { problem: string; fix: string } {
  const codes = errorCodes(error);
  const find = (pattern: RegExp) => codes.find((code) => pattern.test(code));
  const urlFix = 'check TOOLBRIDGE_GO_API_BASE_URL';
  const dns = find(DNS);
  if (dns !== undefined) {
    return {
      problem: `DNS lookup of ${target.hostname} failed (${dns})`,
      fix: `${urlFix} (host name) and this machine's DNS resolver`,
    };
  }
  if (codes.includes('ECONNREFUSED')) {
    return {
      problem: `connection to ${target.hostPort} refused (ECONNREFUSED): nothing is listening there`,
      fix: `start the ToolBridge API, or ${urlFix} (host and port)`,
    };
  }
  const tls = find(TLS);
  if (tls !== undefined) {
    return {
      problem: `TLS handshake with ${target.hostPort} failed (${tls})`,
      fix: `${urlFix} (https:// against a plain-HTTP port fails like this); for a private CA set NODE_EXTRA_CA_CERTS`,
    };
  }
  const timeout = find(TIMEOUT);
  if (timedOut || timeout !== undefined) {
    return {
      problem: `no answer from ${target.hostPort} within ${timeoutMs} ms (timeout${timeout === undefined ? '' : `, ${timeout}`})`,
      fix: `check that ${target.hostPort} is reachable from this machine (firewall, VPN, proxy)`,
    };
  }
  const shown = codes[0] ?? (error instanceof Error ? error.name : 'unknown error');
  return {
    problem: `${target.hostPort} is unreachable (${shown})`,
    fix: `check that ${target.hostPort} is reachable from this machine`,
  };
}

export const statusLine = (status: number): string =>
  `${status} ${STATUS_CODES[status] ?? ''}`.trim();

const MAX_TEXT = 200;

/** The error text of a Go answer (`{"error": …}` or a text/plain line), as one short line. */
export function errorText(text: string): string | undefined {
  let shown = text;
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === 'object' && json !== null && 'error' in json) {
      if (typeof json.error === 'string') shown = json.error;
    }
  } catch {
    // Not JSON: the text itself is the message (Go's http.Error).
  }
  const line = shown.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  if (line === '') return undefined;
  return line.length <= MAX_TEXT ? line : `${line.slice(0, MAX_TEXT - 1)}…`;
}
