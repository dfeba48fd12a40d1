/**
 * TOOLBRIDGE_LOG_LEVEL=DEBUG: one line per request to the API with what the runbook's tenant-header
 * troubleshooting needs, and nothing secret. INFO stays as it was.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { capturingLogger } from '../helpers/log-capture.ts';
import { callTool, connect, startStack, TENANT } from './stack.ts';

const UpstreamLine = z.object({
  level: z.literal('debug'),
  msg: z.literal('upstream request'),
  method: z.string(),
  target: z.string(),
  status: z.union([z.number(), z.literal('no answer')]),
  ms: z.number(),
  tenant: z.string(),
  timestamp: z.string().regex(/^\d+$/),
  signedMessage: z.string(),
  hmacPrefix: z.string().regex(/^[0-9a-f]{8}$/),
  session: z.enum(['creating', 'reused', 'opened', 'refreshed']),
});

describe('DEBUG lines per upstream request', () => {
  it('say what was signed, how the sync session was had, and the answer; never a secret', async () => {
    const log = capturingLogger('debug');
    const stack = await startStack({ pinnedTenant: TENANT, logger: log.logger });
    const token = await stack.token();
    const client = await connect(stack.gateway.url, token, '2025');
    await callTool(client, 'list_notes', { limit: 1 }); // opens the session
    await callTool(client, 'list_notes', { limit: 1 }); // reuses it
    stack.front.restartBackend(); // the API forgets the session: 428, then a new one
    await callTool(client, 'list_notes', { limit: 1 });

    const lines = log
      .records()
      .filter((record) => record['msg'] === 'upstream request')
      .map((record) => UpstreamLine.parse(record));
    expect(lines.map((line) => [line.method, line.session, line.status])).toEqual([
      ['POST', 'creating', 201],
      ['GET', 'opened', 200],
      ['GET', 'reused', 200],
      ['GET', 'reused', 428],
      ['POST', 'creating', 201],
      ['GET', 'refreshed', 200],
    ]);
    // Each line matches what the API received: tenant, timestamp, the signature's first 8 hex.
    const sent = stack.front.requests;
    expect(sent).toHaveLength(lines.length);
    lines.forEach((line, i) => {
      const headers = sent[i]?.headers ?? {};
      expect(line.tenant).toBe(TENANT);
      expect(line.timestamp).toBe(headers['x-tb-timestamp']);
      expect(line.signedMessage).toBe(`${TENANT}:${line.timestamp}`);
      expect(headers['x-tb-signature']?.startsWith(line.hmacPrefix)).toBe(true);
      expect(log.text()).not.toContain(headers['x-tb-signature']);
    });
    for (const secret of [token, stack.jwtSecret, stack.tenantHeaderSecret]) {
      expect(log.text()).not.toContain(secret);
    }
  });

  it('are not written at INFO', async () => {
    const log = capturingLogger('info');
    const stack = await startStack({ logger: log.logger });
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    await callTool(client, 'list_notes', { limit: 1 });
    expect(log.records().map((record) => record['msg'])).not.toContain('upstream request');
    expect(log.records().filter((record) => record['msg'] === 'tool call')).toHaveLength(1);
  });

  it('at TRACE also name the headers sent (never their values) and the sizes', async () => {
    const log = capturingLogger('trace');
    const stack = await startStack({ logger: log.logger });
    const token = await stack.token();
    const client = await connect(stack.gateway.url, token, '2025');
    await callTool(client, 'create_note', { title: 't', content: 'c' });
    const last = log.records().filter((record) => record['msg'] === 'upstream request')[1];
    const sizes = z
      .object({ method: z.literal('POST'), bytesSent: z.number(), bytesReceived: z.number() })
      .parse(last);
    expect(sizes.bytesSent).toBeGreaterThan(0);
    expect(sizes.bytesReceived).toBeGreaterThan(0);
    expect(last?.['headersSent']).toContain('Authorization');
    expect(log.text()).not.toContain(token);
  });
});
