/** The command line of bench/gateway.ts: its options, checked, or usage and exit code 64. */
import { parseArgs } from 'node:util';

export const USAGE = `Usage: node --expose-gc bench/gateway.ts [-d seconds] [-r rounds] [-c connections] [-n sessions] [-w seconds] [--only redis|auth-modes] [--no-redis] [--no-auth-modes]

  -d, --duration <s>           seconds per measured phase (default 8; thirteen phases, four more for Redis, six for the auth modes)
  -r, --rounds <k>             latency rounds each phase is split into (default 4)
  -c, --connections <n>        closed-loop workers = pool connections per path (default 16)
  -n, --sessions <n>           idle 2025-era sessions for the memory figure (default 2000)
  -w, --warmup <s>             warm-up seconds per path before measuring (default 2)
  --gateway-node-flags=<f>     extra node flags for the gateway, e.g. --gateway-node-flags=--cpu-prof
  --only redis                 only the session-store comparison: Redis mode against memory mode
  --only auth-modes            only the backend-auth comparison: forward, mint, service key + identity
  --no-redis                   leave the session-store comparison out (it needs redis-server on PATH)
  --no-auth-modes              leave the backend-auth comparison out
`;

const PHASES = ['redis', 'auth-modes'] as const;
/** The numeric options, and whether each must be a whole number. */
const NUMBERS = [
  ['duration', false],
  ['rounds', true],
  ['connections', true],
  ['sessions', true],
  ['warmup', false],
] as const;

export interface BenchOptions {
  /** The paths (gateway both eras, relay, direct), their latency, and memory per session. */
  readonly paths: boolean;
  /** The session-store comparison. */
  readonly redis: boolean;
  /** The backend-auth comparison. */
  readonly authModes: boolean;
  readonly duration: number;
  readonly rounds: number;
  readonly connections: number;
  readonly sessions: number;
  readonly warmup: number;
  readonly gatewayNodeFlags: readonly string[];
}

/** The options, or what to print and the exit code: 0 for --help, 64 for a usage error. */
export type Parsed =
  | { readonly ok: true; readonly options: BenchOptions }
  | { readonly ok: false; readonly code: 0 | 64; readonly text: string };

const usageError = (problem: string): Parsed => ({
  ok: false,
  code: 64,
  text: `${problem}\n${USAGE}`,
});

export function parseOptions(args: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        duration: { type: 'string', short: 'd', default: '8' },
        rounds: { type: 'string', short: 'r', default: '4' },
        connections: { type: 'string', short: 'c', default: '16' },
        sessions: { type: 'string', short: 'n', default: '2000' },
        warmup: { type: 'string', short: 'w', default: '2' },
        'gateway-node-flags': { type: 'string', default: '' },
        only: { type: 'string' },
        redis: { type: 'boolean', default: true },
        'auth-modes': { type: 'boolean', default: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowNegative: true,
    });
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) return { ok: false, code: 0, text: USAGE };
  const unfit = NUMBERS.find(([name, integer]) => {
    const value = Number(values[name]);
    return !(value > 0) || (integer && !Number.isInteger(value));
  });
  if (unfit !== undefined) {
    const [name, integer] = unfit;
    return usageError(`--${name} expects a positive ${integer ? 'integer' : 'number'}`);
  }
  const only = PHASES.find((phase) => phase === values.only);
  if (values.only !== undefined && only === undefined) {
    return usageError(`--only expects ${PHASES.join(' or ')}`);
  }
  const wanted = { redis: values.redis, 'auth-modes': values['auth-modes'] };
  if (only !== undefined && !wanted[only]) {
    return usageError(`--only ${only} and --no-${only} leave nothing to run`);
  }
  const runs = (phase: (typeof PHASES)[number]) => wanted[phase] && (only ?? phase) === phase;
  return {
    ok: true,
    options: {
      paths: only === undefined,
      redis: runs('redis'),
      authModes: runs('auth-modes'),
      duration: Number(values.duration),
      rounds: Number(values.rounds),
      connections: Number(values.connections),
      sessions: Number(values.sessions),
      warmup: Number(values.warmup),
      gatewayNodeFlags: values['gateway-node-flags'].split(' ').filter((flag) => flag !== ''),
    },
  };
}

/** The process's options; prints usage and exits on --help or a usage error. */
export function options(): BenchOptions {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed.ok) return parsed.options;
  (parsed.code === 0 ? process.stdout : process.stderr).write(parsed.text);
  process.exit(parsed.code);
}
