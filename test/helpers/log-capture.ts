import { Writable } from 'node:stream';
import { z } from 'zod';
import { createLogger, type Logger } from '../../src/log.ts';

/** A logger writing JSON lines into memory, and the records it wrote so far. */
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
  return {
    logger: createLogger({ level, secrets: [...secrets], destination }),
    records: () => lines.map((line) => z.record(z.string(), z.unknown()).parse(JSON.parse(line))),
    text: () => lines.join('\n'),
  };
}
