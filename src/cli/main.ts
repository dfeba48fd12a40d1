import { parseArgs } from 'node:util';
import { runDoctor, runKeysNew, runSign, runToken } from './index.ts';
import { describeConfig } from '../config-describe.ts';
import { loadConfigFromProcess, type ConfigMode } from '../config.ts';
import { loadDevSecret } from '../dev-secrets.ts';
import { AppError } from '../errors.ts';
import { VERSION } from '../gateway.ts';
import { createLogger } from '../log.ts';
import { serve } from '../serve.ts';
import { redisUrlPasswords } from '../store/redis-target.ts';

/**
 * sysexits(3) codes, so supervisors can tell a usage or configuration error from a crash, and
 * both from a port or host that is not available (a restart may help there, not with 78).
 */
const EX_USAGE = 64;
const EX_UNAVAILABLE = 69;
const EX_CONFIG = 78;

const USAGE = `Usage: toolbridge-mcp [--stdio]        serve MCP (HTTP by default)
       toolbridge-mcp doctor [--identity-token <jwt>]
                                            check the configuration against the ToolBridge API
                                            (and a sample identity token from an agent platform)
       toolbridge-mcp sign [--tenant <id>]  print signed X-TB-* headers for a curl call
       toolbridge-mcp token [--sub <s>] [--tenant <id>] [--ttl <3600|45m|24h|30d>]
                                            print a client token (HS256, default 24h, at most 30d)
       toolbridge-mcp keys new --id <id> [--scope <s>]... [--tenant <id>]...
                                            print a new service key for an agent runtime, once
       toolbridge-mcp --help | --version

Serves MCP over HTTP (Streamable HTTP at /mcp, legacy SSE at /sse) or, with --stdio, over
standard input/output. Configuration comes from TOOLBRIDGE_* environment variables and ./.env
(see README.md). Without TOOLBRIDGE_GO_API_BASE_URL an embedded ToolBridge API is started.
`;

const COMMANDS = ['serve', 'doctor', 'sign', 'token', 'keys'] as const;
type Command = (typeof COMMANDS)[number];
const isCommand = (name: string): name is Command => COMMANDS.some((command) => command === name);

/** The commands that read each option; the others refuse it rather than silently ignore it. */
type OptionName = 'tenant' | 'sub' | 'ttl' | 'id' | 'scope' | 'identity-token';
const OPTION_COMMANDS: readonly (readonly [OptionName, readonly Command[]])[] = [
  ['tenant', ['sign', 'token', 'keys']],
  ['sub', ['token']],
  ['ttl', ['token']],
  ['id', ['keys']],
  ['scope', ['keys']],
  ['identity-token', ['doctor']],
];
/** The commands that take a subcommand, and the ones they know. */
const SUBCOMMANDS: Partial<Record<Command, readonly string[]>> = { keys: ['new'] };

function usageError(message: string): number {
  process.stderr.write(`toolbridge-mcp: ${message}\n${USAGE}`);
  return EX_USAGE;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        stdio: { type: 'boolean', default: false },
        // Several for `keys new`; sign and token take one.
        tenant: { type: 'string', multiple: true },
        sub: { type: 'string' },
        ttl: { type: 'string' },
        id: { type: 'string' },
        scope: { type: 'string', multiple: true },
        'identity-token': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [name = 'serve', ...extra] = positionals;
  if (!isCommand(name)) return usageError(`unknown command ${JSON.stringify(name)}`);
  const subcommands = SUBCOMMANDS[name];
  const [sub, ...rest] = subcommands === undefined ? [undefined, ...extra] : extra;
  if (subcommands !== undefined && (sub === undefined || !subcommands.includes(sub))) {
    return usageError(
      `${name} expects ${subcommands.map((known) => JSON.stringify(known)).join(' or ')}`,
    );
  }
  if (rest.length > 0) return usageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  for (const [option, commands] of OPTION_COMMANDS) {
    if (values[option] !== undefined && !commands.includes(name)) {
      const listed = `${commands.slice(0, -1).join(', ')}${commands.length > 1 ? ' and ' : ''}${commands.at(-1) ?? ''}`;
      return usageError(`--${option} is an option of ${listed}, not of ${name}`);
    }
  }
  if (values.stdio && name !== 'serve') return usageError(`--stdio does not apply to ${name}`);
  const tenants = values.tenant ?? [];
  if (tenants.length > 1 && name !== 'keys') return usageError(`--tenant is given once to ${name}`);
  const [tenant] = tenants;
  const print = (line: string) => {
    process.stdout.write(`${line}\n`);
  };
  const err = (line: string) => {
    process.stderr.write(`${line}\n`);
  };
  // A key is made before any gateway knows it: no configuration needed, or read.
  if (name === 'keys') {
    return runKeysNew(print, { id: values.id, scopes: values.scope, tenants, err });
  }
  const mode: ConfigMode = name === 'serve' ? (values.stdio ? 'stdio' : 'http') : 'cli';

  let config;
  try {
    config = loadConfigFromProcess(mode);
  } catch (error) {
    // An AppError's message is safe to show by construction; anything else is a bug.
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`toolbridge-mcp: ${error.message}\n`);
    return EX_CONFIG;
  }
  if (name === 'doctor') {
    return runDoctor(config, print, { identityToken: values['identity-token'] });
  }
  if (name === 'sign') {
    return runSign(config, print, {
      ...(tenant === undefined ? {} : { tenantId: tenant }),
      err,
    });
  }
  if (name === 'token') {
    const { sub, ttl } = values;
    return runToken(config, print, {
      ...(sub === undefined ? {} : { sub }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(ttl === undefined ? {} : { ttl }),
      // The same file `npm start` in this directory keeps its secret in.
      devSecret: () => loadDevSecret(process.cwd()),
      err,
    });
  }

  const log = createLogger({
    level: config.logLevel,
    secrets: [
      config.tenantHeaderSecret,
      config.jwtToken,
      config.auth.jwtSecret,
      config.backChannel.identitySecret,
      config.backendAuth.secret,
      config.redisPassword,
      ...redisUrlPasswords(config.redisUrl),
    ],
    // stdout carries the protocol in stdio mode, so logs go to stderr there.
    pretty: !values.stdio && process.stdout.isTTY,
    ...(values.stdio ? { destination: process.stderr } : {}),
  });
  for (const warning of config.warnings) log.warn(warning);
  log.info({ config: describeConfig(config) }, 'starting');
  try {
    await serve(config, values.stdio ? 'stdio' : 'http', log, { stateDir: process.cwd() });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`toolbridge-mcp: ${error.message}\n`);
    return error.code === 'LISTEN_FAILED' ? EX_UNAVAILABLE : EX_CONFIG;
  }
  return 0;
}

const code = await main();
// Once the gateway has stopped (or a command has finished), nothing left is worth waiting for:
// a TCP connect to an API host that went away would otherwise hold the process for the rest of
// its connect timeout, past the drain the platform allows. Writes to stdout are synchronous here.
process.exit(code);
