import { createServer, request, type IncomingMessage } from 'node:http';
import { listen } from './loopback.ts';

/**
 * A stand-in for Fly's proxy on loopback, as https://fly.io/docs/networking/dynamic-request-routing/
 * describes it: each request goes to the next machine in turn (Fly balances every request on its
 * own), and an answer carrying `fly-replay: instance=<id>` or `prefer_instance=<id>` is dropped
 * and the request sent again to that machine, with `fly-replay-src`. A `prefer_instance` whose
 * machine is gone goes to another one, also with `fly-preferred-instance-unavailable`; an
 * `instance` whose machine is gone is a 502. Bodies are buffered, as a replay needs them again.
 */
export interface FlyMachine {
  readonly id: string;
  readonly url: string;
}

export async function startFlyProxy(machines: readonly FlyMachine[]) {
  const gone = new Set<string>();
  /** The machine each request reached first, before any replay. */
  const landed: string[] = [];
  let turn = 0;

  const send = (to: FlyMachine, req: IncomingMessage, body: Buffer, extra: object) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const headers = { ...req.headers, ...extra };
      const out = request(`${to.url}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers });
      out.once('response', resolve).once('error', reject).end(body);
    });

  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) if (Buffer.isBuffer(chunk)) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      const live = machines.filter(({ id }) => !gone.has(id));
      const first = live[turn++ % live.length];
      if (first === undefined) throw new Error('no machine left');
      landed.push(first.id);
      let answer = await send(first, req, body, {});
      const replay = /^(instance|prefer_instance)=([\w-]+)$/.exec(
        String(answer.headers['fly-replay']),
      );
      if (replay !== null) {
        answer.resume();
        const [, field, id] = replay;
        const src = { 'fly-replay-src': `instance=${first.id};region=tst;t=${Date.now() * 1000}` };
        const target = live.find((machine) => machine.id === id);
        const other = live[turn++ % live.length];
        if (target !== undefined) answer = await send(target, req, body, src);
        else if (field === 'prefer_instance' && other !== undefined)
          answer = await send(other, req, body, {
            ...src,
            'fly-preferred-instance-unavailable': id,
          });
        else return void res.writeHead(502).end('replay target unavailable');
      }
      const final = answer;
      res.writeHead(final.statusCode ?? 502, final.headers);
      // A client that leaves (an SSE stream closed) leaves the machine too.
      res.once('close', () => {
        if (!final.complete) final.destroy();
      });
      final.pipe(res);
    })().catch(() => res.destroy());
  });
  return {
    url: await listen(server),
    landed,
    /** Takes a machine out of the app, as when Fly destroys it. */
    remove(id: string): void {
      gone.add(id);
    },
  };
}
