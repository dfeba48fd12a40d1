/**
 * The load balancer the multi-replica tests stand on: every request, keep-alive or not, goes to
 * the next replica in turn, and a stream stays open through it.
 */
import { createServer } from 'node:http';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startLoadBalancer } from '../helpers/haproxy.ts';
import { listen } from '../helpers/loopback.ts';

const replica = (name: string) =>
  listen(
    createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-replica': name });
        res.write(`data: ${name}\n\n`);
        return;
      }
      res.writeHead(200, { 'x-replica': name }).end(name);
    }),
  );

describe('startLoadBalancer (HAProxy)', () => {
  it('sends consecutive requests on one keep-alive connection to the replicas in turn', async () => {
    const lb = await startLoadBalancer([
      await replica('a'),
      await replica('b'),
      await replica('c'),
    ]);
    const agent = new Agent({ connections: 1 });
    const seen: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const answer = await request(lb, { dispatcher: agent });
      seen.push(await answer.body.text());
    }
    await agent.close();
    expect(new Set(seen)).toEqual(new Set(['a', 'b', 'c']));
    expect(seen.slice(0, 3)).toEqual(seen.slice(3));
  });

  it('keeps a stream open', async () => {
    const lb = await startLoadBalancer([await replica('a')]);
    const controller = new AbortController();
    const answer = await fetch(`${lb}/stream`, { signal: controller.signal });
    const reader = answer.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toBe('data: a\n\n');
    controller.abort();
  });
});
