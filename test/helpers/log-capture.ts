import { Writable } from 'node:stream';
import { z } from 'zod';
import type { GatewaySettings } from '../../src/gateway-settings.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { recordOutput, registerSecret } from './secret-ledger.ts';

/**
 * A logger writing JSON lines into memory, and the records it wrote so far. The lines also go to
 * the secret ledger (test/setup/secret-scan.ts), and `secrets` are registered there: the logger
 * scrubs them, and the scan checks that it did.
 */
export function capturingLogger(
  level: 'trace' | 'debug' | 'info' | 'warn' = 'info',
  secrets: readonly string[] = [],
): { logger: Logger; records: () => Record<string, unknown>[]; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const text = () => lines.join('\n');
  registerSecret(...secrets);
  recordOutput(`capturingLogger(${level})`, () => (lines.length === 0 ? '' : `${text()}\n`));
  return {
    logger: createLogger({ level, secrets: [...secrets], destination }),
    records: () => lines.map((line) => z.record(z.string(), z.unknown()).parse(JSON.parse(line))),
    text,
  };
}

/**
 * The logger of a gateway a helper starts when the test brings none: everything down to TRACE
 * (where the most request detail is) goes to the secret ledger only, so the scan sees every line
 * the gateway would write. It scrubs what src/cli/main.ts has its logger scrub for the same
 * settings, so a finding is a line production would write too.
 */
export function gatewayLogger(source: string, settings: GatewaySettings): Logger {
  let text = '';
  recordOutput(source, () => text);
  const destination = {
    write(line: string) {
      text += line;
    },
  };
  const secrets = [
    settings.tenantHeaderSecret,
    settings.sharedToken,
    settings.auth.jwtSecret,
    settings.backChannel?.identitySecret,
    settings.backendAuth?.secret,
  ];
  // The Redis password is not among them (main.ts does not scrub it): registered, it must not show.
  registerSecret(...secrets, settings.redisPassword);
  return createLogger({ level: 'trace', secrets, destination });
}
