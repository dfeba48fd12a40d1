import {
  pino,
  stdTimeFunctions,
  type DestinationStream,
  type Logger,
  type LoggerOptions as PinoOptions,
} from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config-values.ts';

export type { Logger };

export const REDACTED = '[REDACTED]';

/** Keys whose values are never logged, at any depth (headers, options, error properties). */
const SENSITIVE_KEY =
  /authorization|cookie|secret|token|password|passwd|api[-_]?key|credential|signature/i;
/** Credentials that can hide inside free text: error messages, stacks, URLs. */
const CREDENTIAL_IN_TEXT = /\b(Bearer|Basic)\s+[^\s"',;\\]+/gi;
const JWT_IN_TEXT = /\beyJ[\w-]*\.[\w-]+\.[\w-]*/g;
/** A raw service key (src/auth/service-keys.ts), e.g. one a runtime sent where it should not. */
const SERVICE_KEY_IN_TEXT = /\btbk_[0-9a-fA-F]{16,}/g;
const MAX_DEPTH = 8;

/**
 * Removes credentials from text: the literal values of the configured secrets (as written and as
 * JSON-escaped), bearer/basic credentials, and anything shaped like a JWT or a service key.
 */
export function createTextScrubber(
  secrets: readonly (string | undefined)[],
): (text: string) => string {
  const literals = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    literals.add(secret);
    literals.add(JSON.stringify(secret).slice(1, -1));
  }
  const ordered = [...literals].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const literal of ordered) out = out.replaceAll(literal, REDACTED);
    return out
      .replace(CREDENTIAL_IN_TEXT, `$1 ${REDACTED}`)
      .replace(JWT_IN_TEXT, REDACTED)
      .replace(SERVICE_KEY_IN_TEXT, REDACTED);
  };
}

/**
 * Deep-copies a value for logging with the values of sensitive keys replaced, at any depth. Errors
 * become plain objects (type, message, stack, cause and own properties) so the same rule reaches
 * their properties and causes.
 */
export function redactKeys(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactKeys(item, depth + 1, seen));
    const out: Record<string, unknown> = {};
    if (value instanceof Error) {
      out['type'] = value.name;
      out['message'] = value.message;
      if (value.stack !== undefined) out['stack'] = value.stack;
      if (value.cause !== undefined) out['cause'] = redactKeys(value.cause, depth + 1, seen);
    }
    for (const [key, item] of Object.entries(value)) {
      out[key] = SENSITIVE_KEY.test(key) ? REDACTED : redactKeys(item, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export interface LoggerOptions {
  level: LogLevel;
  /** Secret values to strip from every log line, wherever they appear. */
  secrets?: readonly (string | undefined)[];
  /** Human-readable output; meant for a TTY only. */
  pretty?: boolean;
  /** Where lines go (stdout by default); tests pass a collecting stream. */
  destination?: DestinationStream;
}

/**
 * A pino logger that cannot print a secret. Two layers: objects handed to a log call have
 * sensitive keys redacted before pino sees them; every finished line then passes a text scrubber,
 * which also covers messages, stacks and child bindings (pino does not format those per call).
 */
export function createLogger({
  level,
  secrets = [],
  pretty: human = false,
  destination,
}: LoggerOptions): Logger {
  const scrubText = createTextScrubber(secrets);
  const target: DestinationStream = human
    ? pretty({ colorize: true, translateTime: 'SYS:standard', destination: destination ?? 1 })
    : (destination ?? pino.destination(1));
  const options = {
    name: 'toolbridge-mcp',
    level,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Errors arrive already turned into plain objects by redactKeys.
    serializers: { err: (err: unknown) => err },
    hooks: {
      logMethod(args, method) {
        const [head, ...rest] = args;
        if (head instanceof Error) {
          // An Error given first is logged under `err`, its message as the line's msg.
          const msg = typeof rest[0] === 'string' ? [] : [head.message];
          Reflect.apply(method, this, [{ err: redactKeys(head) }, ...msg, ...rest]);
        } else {
          Reflect.apply(method, this, [redactKeys(head), ...rest]);
        }
      },
    },
  } satisfies PinoOptions;
  return pino(options, {
    write(line: string) {
      target.write(scrubText(line));
    },
  });
}
