/**
 * Session ids that name their Fly machine, and the answer a machine gives for a session another
 * one holds (src/mcp/fly-replay.ts), on a real loopback server.
 */
import { createServer } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { PLAIN_IDS, createFlyReplay, type ReplayAnswer } from '../../src/mcp/fly-replay.ts';
import { listen } from '../helpers/loopback.ts';

const HERE = '1781e79c4e0489';
const THERE = '3d8d9016b7e358';
const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const HEX = '9f86d081884c7d659a2feaa0c55ad015';
const SRC = `instance=${THERE};region=iad;t=1767225600000000`;

describe('session ids', () => {
  const { ids } = createFlyReplay({ machineId: HERE });

  it('name the machine before the random part, which reads back', () => {
    expect(ids.mint(UUID)).toBe(`${HERE}.${UUID}`);
    expect(ids.mint(HEX)).toBe(`${HERE}.${HEX}`);
    expect(ids.randomPart(ids.mint(HEX))).toBe(HEX);
  });

  it.each([
    [HEX, HEX],
    [`${THERE}.${HEX}`, HEX],
    [`fly_machine-1.${HEX}`, HEX],
    [`bad!.${HEX}`, `bad!.${HEX}`],
    [`.${HEX}`, `.${HEX}`],
    [`${'a'.repeat(65)}.${HEX}`, `${'a'.repeat(65)}.${HEX}`],
  ])('%s has the random part %s', (id, random) => {
    expect(ids.randomPart(id)).toBe(random);
  });

  it('stay bare without the mode', () => {
    expect(PLAIN_IDS.mint(UUID)).toBe(UUID);
    expect(PLAIN_IDS.randomPart(`${THERE}.${HEX}`)).toBe(`${THERE}.${HEX}`);
  });
});

/** The middlewares in front of handlers that say they were reached. */
async function startMachine() {
  const answers: ReplayAnswer[] = [];
  const fly = createFlyReplay({
    machineId: HERE,
    onAnswer: (_res, answer) => {
      answers.push(answer);
    },
  });
  const app = express();
  const reached: express.RequestHandler = (_req, res) => {
    res.status(299).send('reached');
  };
  app.all('/mcp', fly.mcp, reached);
  app.post('/messages/', fly.sse, reached);
  return { origin: await listen(createServer(app)), answers };
}

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  status: number;
  replay?: string;
  body: string;
  answer?: Omit<ReplayAnswer, 'holder'>;
}

const mcp = (id: string, headers: Record<string, string> = {}) => ({
  path: '/mcp',
  headers: { 'mcp-session-id': id, ...headers },
});
const messages = (id: string, headers: Record<string, string> = {}) => ({
  path: `/messages/?session_id=${encodeURIComponent(id)}`,
  headers,
});
const NOT_FOUND =
  '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}';
const replayed = (transport: ReplayAnswer['transport']) =>
  ({ transport, outcome: 'replayed' }) as const;
const astray = (transport: ReplayAnswer['transport']) =>
  ({ transport, outcome: 'holder_unavailable' }) as const;

const cases: Case[] = [
  {
    name: 'a 2025-era POST for another machine is replayed there',
    ...mcp(`${THERE}.${UUID}`),
    status: 409,
    replay: `prefer_instance=${THERE}`,
    body: '',
    answer: replayed('streamable_http'),
  },
  {
    name: 'so is its GET stream',
    method: 'GET',
    ...mcp(`${THERE}.${UUID}`),
    status: 409,
    replay: `prefer_instance=${THERE}`,
    body: '',
    answer: replayed('streamable_http'),
  },
  {
    name: 'and its DELETE',
    method: 'DELETE',
    ...mcp(`${THERE}.${UUID}`),
    status: 409,
    replay: `prefer_instance=${THERE}`,
    body: '',
    answer: replayed('streamable_http'),
  },
  {
    name: 'a legacy SSE post for another machine is replayed there',
    ...messages(`${THERE}.${HEX}`),
    status: 409,
    replay: `prefer_instance=${THERE}`,
    body: '',
    answer: replayed('sse'),
  },
  {
    name: 'a replay that reached the wrong machine is a clean 404, never replayed again',
    ...mcp(`${THERE}.${UUID}`, { 'fly-replay-src': SRC }),
    status: 404,
    body: NOT_FOUND,
    answer: astray('streamable_http'),
  },
  {
    name: 'as is one Fly could not deliver to its preferred machine',
    ...mcp(`${THERE}.${UUID}`, { 'fly-preferred-instance-unavailable': THERE }),
    status: 404,
    body: NOT_FOUND,
    answer: astray('streamable_http'),
  },
  {
    name: 'the SSE 404 is the legacy transport text',
    ...messages(`${THERE}.${HEX}`, { 'fly-replay-src': SRC }),
    status: 404,
    body: 'Could not find session',
    answer: astray('sse'),
  },
  {
    name: 'a session of this machine is served here',
    ...mcp(`${HERE}.${UUID}`),
    status: 299,
    body: 'reached',
  },
  {
    name: 'also when it came as a replay',
    ...messages(`${HERE}.${HEX}`, { 'fly-replay-src': SRC }),
    status: 299,
    body: 'reached',
  },
  { name: 'a bare UUID goes on as today', ...mcp(UUID), status: 299, body: 'reached' },
  { name: 'bare 32 hex goes on as today', ...messages(HEX), status: 299, body: 'reached' },
  { name: 'a garbled machine part goes on', ...mcp(`ab;c.${UUID}`), status: 299, body: 'reached' },
  { name: 'an empty machine part goes on', ...messages(`.${HEX}`), status: 299, body: 'reached' },
  {
    name: 'a garbled random part goes on',
    ...mcp(`${THERE}.${HEX}`),
    status: 299,
    body: 'reached',
  },
  {
    name: 'an SSE id with a UUID part goes on',
    ...messages(`${THERE}.${UUID}`),
    status: 299,
    body: 'reached',
  },
  { name: 'no id goes on', path: '/mcp', status: 299, body: 'reached' },
  { name: 'no session_id goes on', path: '/messages/', status: 299, body: 'reached' },
];

describe('a request for a session another machine holds', () => {
  it.each(cases)('$name', async (c) => {
    const { origin, answers } = await startMachine();
    const method = c.method ?? 'POST';
    const response = await fetch(`${origin}${c.path}`, {
      method,
      headers: c.headers ?? {},
      // Not JSON: whether a request is replayed never depends on its body.
      ...(method === 'POST' ? { body: '{not json' } : {}),
    });
    expect(response.status).toBe(c.status);
    expect(response.headers.get('fly-replay')).toBe(c.replay ?? null);
    expect(await response.text()).toBe(c.body);
    expect(answers).toEqual(c.answer === undefined ? [] : [{ ...c.answer, holder: THERE }]);
  });
});
