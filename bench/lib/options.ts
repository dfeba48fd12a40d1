/** The command line of bench/gateway.ts: its options, checked, or usage and exit code 64. */
import { parseArgs } from 'node:util';

const USAGE = `Usage: node --expose-gc bench/gateway.ts [-d seconds] [-r rounds] [-c connections] [-n sessions] [-w seconds] [--backend-auth forward|mint] [--only redis | --no-redis]

  -d, --duration <s>           seconds per measured phase (default 8; thirteen phases, four more for Redis)
  -r, --rounds <k>             latency rounds each phase is split into (default 4)
  -c, --connections <n>        closed-loop workers = pool connections per path (default 16)
  -n, --sessions <n>           idle 2025-era sessions for the memory figure (default 2000)
  -w, --warmup <s>             warm-up seconds per path before measuring (default 2)
  --gateway-node-flags=<f>     extra node flags for the gateway, e.g. --gateway-node-flags=--cpu-prof
  --backend-auth <mode>        TOOLBRIDGE_BACKEND_AUTH of the gateways: forward (default) or mint
  --only redis                 only the session-store comparison: Redis mode against memory mode
  --no-redis                   leave that comparison out (it needs redis-server on PATH)
`;

export function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        duration: { type: 'string', short: 'd', default: '8' },
        rounds: { type: 'string', short: 'r', default: '4' },
        connections: { type: 'string', short: 'c', default: '16' },
        sessions: { type: 'string', short: 'n', default: '2000' },
        warmup: { type: 'string', short: 'w', default: '2' },
        'gateway-node-flags': { type: 'string', default: '' },
        'backend-auth': { type: 'string', default: 'forward' },
        only: { type: 'string' },
        redis: { type: 'boolean', default: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowNegative: true,
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(64);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string, integer: boolean) => {
    const value = Number(text);
    if (!(value > 0) || (integer && !Number.isInteger(value))) {
      process.stderr.write(
        `--${name} expects a positive ${integer ? 'integer' : 'number'}\n${USAGE}`,
      );
      process.exit(64);
    }
    return value;
  };
  const backendAuth = (['forward', 'mint'] as const).find(
    (mode) => mode === values['backend-auth'],
  );
  if (backendAuth === undefined) {
    process.stderr.write(`--backend-auth expects forward or mint\n${USAGE}`);
    process.exit(64);
  }
  if (values.only !== undefined && values.only !== 'redis') {
    process.stderr.write(`--only expects redis\n${USAGE}`);
    process.exit(64);
  }
  if (values.only === 'redis' && !values.redis) {
    process.stderr.write(`--only redis and --no-redis leave nothing to run\n${USAGE}`);
    process.exit(64);
  }
  return {
    /** The paths (gateway both eras, relay, direct), their latency, and memory per session. */
    paths: values.only === undefined,
    /** The session-store comparison. */
    redis: values.redis,
    duration: positive('duration', values.duration, false),
    rounds: positive('rounds', values.rounds, true),
    connections: positive('connections', values.connections, true),
    sessions: positive('sessions', values.sessions, true),
    warmup: positive('warmup', values.warmup, false),
    gatewayNodeFlags: values['gateway-node-flags'].split(' ').filter((flag) => flag !== ''),
    /** What the gateways show the API: the caller's token, or one they mint per user. */
    backendAuth,
  };
}
