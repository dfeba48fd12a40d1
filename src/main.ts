#!/usr/bin/env node
import { describeConfig, loadConfigFromProcess } from './config.ts';
import { AppError } from './errors.ts';
import { createLogger } from './log.ts';

/** sysexits(3) codes, so supervisors can tell a usage or configuration error from a crash. */
const EX_USAGE = 64;
const EX_CONFIG = 78;

const USAGE = `Usage: toolbridge-mcp [--help]

Configuration comes from TOOLBRIDGE_* environment variables and ./.env (see README.md).
`;

/** The composition root: arguments, then configuration, then logging. */
function main(args: readonly string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`toolbridge-mcp: unknown argument ${JSON.stringify(args[0])}\n${USAGE}`);
    return EX_USAGE;
  }
  let config;
  try {
    config = loadConfigFromProcess();
  } catch (error) {
    // An AppError's message is safe to show by construction; anything else is a bug.
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`toolbridge-mcp: ${error.message}\n`);
    return EX_CONFIG;
  }
  const log = createLogger({
    level: config.logLevel,
    secrets: [config.tenantHeaderSecret, config.jwtToken],
    pretty: process.stdout.isTTY,
  });
  for (const warning of config.warnings) log.warn(warning);
  log.info({ config: describeConfig(config) }, 'configuration is valid');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
