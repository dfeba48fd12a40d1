import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/hmac-vectors.json' with { type: 'json' };
import { createTenantSigner, createTenantVerifier } from '../../src/tenant-headers/index.ts';
import { listen, onCleanup } from '../helpers/loopback.ts';

const unicode = fixture.vectors.find((v) => v.id === 'v4-unicode-tenant')!;
function pool(origin: string): Pool {
  const client = new Pool(origin);
  onCleanup(() => client.close());
  return client;
}

describe('tenant headers over a real loopback socket (undici)', () => {
  it('puts a non-ASCII tenant id on the wire as its UTF-8 bytes', async () => {
    const received: Buffer[] = [];
    const raw = createTcpServer((socket) => {
      let head = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        if (head.includes('\r\n\r\n')) {
          received.push(head);
          socket.end('HTTP/1.1 204 No Content\r\n\r\n');
        }
      });
    });
    const origin = await listen(raw);
    const signer = createTenantSigner({ tenantId: unicode.tenant_id, secret: unicode.secret });
    const response = await pool(origin).request({
      path: '/',
      method: 'GET',
      headers: signer.headers(),
    });
    await response.body.dump();

    const lines = received[0]!
      .subarray(0, received[0]!.indexOf('\r\n\r\n'))
      .toString('latin1')
      .split('\r\n');
    const tenantLine = lines.find((line) => line.toLowerCase().startsWith('x-tb-tenant-id:'))!;
    const valueBytes = Buffer.from(tenantLine.slice('x-tb-tenant-id:'.length).trim(), 'latin1');
    expect(valueBytes.toString('hex')).toBe(unicode.x_tb_tenant_id_wire_bytes_hex);
  });

  it('is accepted by a node:http server that verifies the bytes it received', async () => {
    const verify = createTenantVerifier({ secret: unicode.secret });
    const server = createHttpServer((request, response) => {
      const result = verify(request.headers);
      response.writeHead(result.ok ? 200 : 401, { 'content-type': 'application/json' });
      response.end(JSON.stringify(result));
    });
    const client = pool(await listen(server));
    const call = async (headers: Record<string, string>) => {
      const response = await client.request({ path: '/', method: 'GET', headers });
      return { status: response.statusCode, body: await response.body.json() };
    };

    const signer = createTenantSigner({ tenantId: unicode.tenant_id, secret: unicode.secret });
    const accepted = await call({ ...signer.headers() });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ ok: true, tenantId: unicode.tenant_id });

    const wrongKey = createTenantSigner({ tenantId: unicode.tenant_id, secret: 'not-the-secret' });
    expect(await call({ ...wrongKey.headers() })).toEqual({
      status: 401,
      body: { ok: false, code: 'SIGNATURE_MISMATCH' },
    });
  });
});
