/**
 * Legacy SSE (GET /sse) when the client hangs up before the handler runs, as during a slow
 * authentication: no session may be left behind, with its keepalive timer writing to nobody.
 */
import { Server } from '@modelcontextprotocol/server';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { createSseHandlers } from '../../src/mcp/sse.ts';
import { openRequest, requestAndLeave, whenGone } from '../helpers/client-left.ts';
import { memorySessions } from '../helpers/sessions.ts';

function sseApp(waitForClientToLeave: boolean) {
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const newServer = () => new Server({ name: 't', version: '1' }, { capabilities: {} });
  const { sessions } = memorySessions(newServer);
  const handlers = createSseHandlers(newServer, sessions);
  let opened: () => void = () => undefined;
  const handled = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const app = express();
  app.get('/sse', (req, res) => {
    const ready = waitForClientToLeave ? whenGone(req) : Promise.resolve();
    void ready.then(() => handlers.open(req, res)).then(opened);
  });
  return { app, sessions, handled };
}

describe('GET /sse', () => {
  it('opens no session for a client that left while the request was authenticated', async () => {
    const { app, sessions, handled } = sseApp(true);
    await requestAndLeave(app, '/sse');
    await handled;
    expect(sessions.count('sse')).toBe(0);
  });

  it('(control) a client still there gets a session, which ends when it leaves', async () => {
    const { app, sessions, handled } = sseApp(false);
    const { leave } = await openRequest(app, '/sse');
    await handled;
    expect(sessions.count('sse')).toBe(1);
    leave();
    await expect.poll(() => sessions.count('sse')).toBe(0);
  });
});
