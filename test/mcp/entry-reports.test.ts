/**
 * What the SDK entries report (src/mcp/entry-reports.ts): one line per request, judged by its
 * answer: a client's mistake is a warning without a stack, a bug an error with one.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../src/log.ts';
import { recordOutput } from '../helpers/secret-ledger.ts';
import { createEntryReports } from '../../src/mcp/entry-reports.ts';

const Line = z.looseObject({
  level: z.string(),
  msg: z.string(),
  requestId: z.string().optional(),
  status: z.number().optional(),
  err: z.looseObject({ message: z.string(), stack: z.string() }).optional(),
});

function setup() {
  const lines: z.infer<typeof Line>[] = [];
  let text = '';
  recordOutput('entry reports log', () => text);
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(line: Buffer, _encoding, done) {
        text += line.toString();
        lines.push(Line.parse(JSON.parse(line.toString())));
        done();
      },
    }),
  });
  const rejections: unknown[][] = [];
  const reports = createEntryReports<string>({
    logger,
    rejected: (...args) => rejections.push(args),
    loggerFor: (requestId) => logger.child({ requestId }),
  });
  return { lines, rejections, reports };
}

const naming: unknown = expect.stringContaining('factory exploded');
const withStack: unknown = expect.objectContaining({ message: 'factory exploded', stack: naming });

const rpcAnswer = (status: number, message: string) =>
  Response.json({ jsonrpc: '2.0', error: { code: -32600, message }, id: null }, { status });

describe('createEntryReports', () => {
  it('a 4xx is the client’s: one rejection with the answer’s reason, no line, the answer intact', async () => {
    const { lines, rejections, reports } = setup();
    const exchange = reports.begin('req-1');
    const answer = await exchange.run(() => {
      reports.onerror(new Error('Rejected inbound request (method-header-mismatch): …'));
      return Promise.resolve(rpcAnswer(400, 'Bad Request: headers and body disagree'));
    });
    const sent = await exchange.settle(answer);
    expect(rejections).toEqual([
      ['req-1', 400, 'mcp.rejected', 'Bad Request: headers and body disagree'],
    ]);
    expect(lines).toEqual([]);
    expect(sent.status).toBe(400);
    expect(await sent.json()).toMatchObject({ error: { code: -32600 } });
  });

  it('a 4xx without a JSON-RPC body takes its reason from the report', async () => {
    const { rejections, reports } = setup();
    const exchange = reports.begin('req-2');
    const answer = await exchange.run(() => {
      reports.onerror(new Error('Not Acceptable'));
      return Promise.resolve(new Response('nope', { status: 406 }));
    });
    await exchange.settle(answer);
    expect(rejections).toEqual([['req-2', 406, 'mcp.rejected', 'Not Acceptable']]);
  });

  it.each([401, 404, 499])('a %i is routine: nothing is logged', async (status) => {
    const { lines, rejections, reports } = setup();
    const exchange = reports.begin('req-3');
    const answer = await exchange.run(() => {
      reports.onerror(new Error('Session not found'));
      return Promise.resolve(rpcAnswer(status, 'x'));
    });
    await exchange.settle(answer);
    expect(rejections).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('a 5xx is a bug: an error line with the reported stack and the request id', async () => {
    const { lines, rejections, reports } = setup();
    const exchange = reports.begin('req-4');
    const answer = await exchange.run(async () => {
      await Promise.resolve();
      reports.onerror(new Error('factory exploded'));
      return rpcAnswer(500, 'Internal server error');
    });
    await exchange.settle(answer);
    expect(rejections).toEqual([]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        requestId: 'req-4',
        status: 500,
        err: withStack,
      }),
    ]);
  });

  it('a report beside a success, after the answer, or outside any request is an error', async () => {
    const { lines, rejections, reports } = setup();
    const exchange = reports.begin('req-5');
    const answer = await exchange.run(() => {
      reports.onerror(new Error('beside'));
      return Promise.resolve(new Response('{}', { status: 200 }));
    });
    await exchange.settle(answer);
    await exchange.run(() => {
      reports.onerror(new Error('after'));
      return Promise.resolve();
    });
    reports.onerror(new Error('outside'));
    expect(rejections).toEqual([]);
    expect(lines.map((line) => [line.level, line.requestId, line.err?.message])).toEqual([
      ['error', 'req-5', 'beside'],
      ['error', 'req-5', 'after'],
      ['error', undefined, 'outside'],
    ]);
    for (const line of lines) expect(line.err?.stack).toEqual(expect.any(String));
  });
});
