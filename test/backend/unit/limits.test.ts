import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startBackend } from '../../../src/backend/index.ts';
import { onCleanup } from '../../helpers/loopback.ts';

/**
 * List limits need more than 1000 rows for one user, which the Go rate limit (10/s) makes too
 * slow for the black-box contract suite; here the embedded API runs with a roomy limit instead.
 */

const JWT_SECRET = 'list-limits-jwt-secret';
const Page = z.object({
  items: z.array(z.object({ uid: z.string() })),
  nextCursor: z.string().optional(),
});

describe('list limit: default 500, clamped to 1000', () => {
  it('pages 1001 notes as Go does', async () => {
    const backend = await startBackend({
      port: 0,
      jwtSecret: JWT_SECRET,
      rateLimit: { windowSeconds: 1, maxRequests: 100_000, burst: 100_000 },
    });
    onCleanup(() => backend.close());
    const token = await new SignJWT({ sub: 'lister' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(JWT_SECRET));
    const auth = { authorization: `Bearer ${token}` };
    const session = z
      .object({ id: z.string() })
      .parse(
        await (
          await fetch(`${backend.url}/v1/sync/sessions`, { method: 'POST', headers: auth })
        ).json(),
      );
    const headers = { ...auth, 'x-sync-session': session.id, 'x-sync-epoch': '1' };
    for (let i = 0; i < 1001; i += 1) {
      const created = await fetch(`${backend.url}/v1/notes`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ title: `n${i}` }),
      });
      expect(created.status).toBe(201);
    }
    const page = async (query: string) =>
      Page.parse(await (await fetch(`${backend.url}/v1/notes${query}`, { headers })).json());

    expect((await page('')).items).toHaveLength(500);
    expect((await page('?limit=0')).items).toHaveLength(500);
    expect((await page('?limit=abc')).items).toHaveLength(500);
    const clamped = await page('?limit=5000');
    expect(clamped.items).toHaveLength(1000);
    const rest = await page(`?limit=5000&cursor=${clamped.nextCursor ?? ''}`);
    expect(rest.items).toHaveLength(1);
    const end = await page(`?cursor=${rest.nextCursor ?? ''}`);
    expect(end).toEqual({ items: [] });
  }, 60_000);
});

describe('choices the contract leaves open', () => {
  async function userOf() {
    const backend = await startBackend({ port: 0, jwtSecret: JWT_SECRET });
    onCleanup(() => backend.close());
    const token = await new SignJWT({ sub: 'chooser' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(JWT_SECRET));
    const auth = { authorization: `Bearer ${token}` };
    const created = await fetch(`${backend.url}/v1/sync/sessions`, {
      method: 'POST',
      headers: auth,
    });
    const { id } = z.object({ id: z.string() }).parse(await created.json());
    return { url: backend.url, headers: { ...auth, 'x-sync-session': id, 'x-sync-epoch': '1' } };
  }

  it('refuses a body over 1 MiB with 413 and a Go-style error, and stores nothing', async () => {
    const { url, headers } = await userOf();
    const big = JSON.stringify({ title: 'x'.repeat(1024 * 1024) });
    const response = await fetch(`${url}/v1/notes`, { method: 'POST', headers, body: big });
    expect(response.status).toBe(413);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({
      error: 'request body too large',
      correlation_id: response.headers.get('x-correlation-id'),
    });
    const list = await fetch(`${url}/v1/notes`, { headers });
    expect(Page.parse(await list.json()).items).toEqual([]);
  });

  it('ignores Content-Type as Go does: a JSON body is decoded whatever its declared type', async () => {
    const { url, headers } = await userOf();
    const post = (contentType: string, body: string) =>
      fetch(`${url}/v1/notes`, {
        method: 'POST',
        headers: { ...headers, 'content-type': contentType },
        body,
      });
    expect((await post('text/plain', '{"title":"typed as text"}')).status).toBe(201);
    const form = await post('application/x-www-form-urlencoded', 'title=form');
    expect(form.status).toBe(400);
    expect(await form.json()).toMatchObject({ error: 'invalid JSON' });
    const list = await fetch(`${url}/v1/notes`, { headers });
    expect(Page.parse(await list.json()).items).toHaveLength(1);
  });

  it('answers a null create body with an empty 500, as Go under chi Recoverer', async () => {
    const { url, headers } = await userOf();
    const response = await fetch(`${url}/v1/notes`, { method: 'POST', headers, body: 'null' });
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('');
  });

  it('answers a malformed percent-encoding in the path with 400 and keeps serving', async () => {
    const { url, headers } = await userOf();
    const response = await fetch(`${url}/v1/notes/%E0%A4%A`, { headers });
    expect(response.status).toBe(400);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
