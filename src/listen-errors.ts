import { AppError } from './errors.ts';

/**
 * Why the gateway could not listen, told in terms of the variable to change. Node reports these
 * as system errors (a code, the syscall, the port) that would otherwise end the process with a
 * stack trace; a supervisor gets exit 69 for them (src/cli/main.ts), distinct from a bad setting.
 */

export interface ListenTarget {
  readonly host: string;
  readonly port: number;
  readonly metricsPort?: number | undefined;
}

interface SystemErrorFacts {
  readonly code: string;
  readonly syscall: string | undefined;
  readonly port: number | undefined;
}

function factsOf(error: unknown): SystemErrorFacts | undefined {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') {
    return undefined;
  }
  return {
    code: error.code,
    syscall: 'syscall' in error && typeof error.syscall === 'string' ? error.syscall : undefined,
    port: 'port' in error && typeof error.port === 'number' ? error.port : undefined,
  };
}

function portProblem(code: string, port: number, target: ListenTarget): string {
  const { host, metricsPort } = target;
  const shared = metricsPort === target.port;
  const name = port === metricsPort && !shared ? 'TOOLBRIDGE_METRICS_PORT' : 'TOOLBRIDGE_PORT';
  if (code === 'EADDRINUSE') {
    return shared
      ? `port ${port} is already in use on ${host} (EADDRINUSE): TOOLBRIDGE_PORT and TOOLBRIDGE_METRICS_PORT both name it; give TOOLBRIDGE_METRICS_PORT a port of its own`
      : `port ${port} (${name}) is already in use on ${host} (EADDRINUSE): stop what listens there, or set ${name} to a free port`;
  }
  if (code === 'EACCES') {
    return `port ${port} (${name}) on ${host} needs privileges this process lacks (EACCES): set ${name} to a port from 1024 up`;
  }
  return `cannot listen on ${host} port ${port} (${code}): check TOOLBRIDGE_HOST and ${name}`;
}

/** An AppError to exit with when `error` is a failure to listen on `target`; else undefined. */
export function listenFailure(error: unknown, target: ListenTarget): AppError | undefined {
  const facts = factsOf(error);
  if (facts === undefined) return undefined;
  const { code, syscall, port } = facts;
  const host = JSON.stringify(target.host);
  let problem: string;
  if (syscall === 'getaddrinfo') {
    // EAI_AGAIN (resolver unreachable) may pass on its own, which is why this is not exit 78.
    problem = `TOOLBRIDGE_HOST ${host} cannot be resolved to an address (${code}): set it to an address of this machine, e.g. 127.0.0.1 or 0.0.0.0`;
  } else if (syscall === 'listen' && code === 'EADDRNOTAVAIL') {
    problem = `TOOLBRIDGE_HOST ${host} is not an address of this machine (EADDRNOTAVAIL): set it to one that is, e.g. 127.0.0.1 or 0.0.0.0`;
  } else if (syscall === 'listen' && port !== undefined) {
    problem = portProblem(code, port, target);
  } else {
    return undefined;
  }
  return new AppError('LISTEN_FAILED', `cannot listen: ${problem}`, { cause: error });
}
