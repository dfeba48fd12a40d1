/**
 * The gateway's sync-session cache seen from the wire (CONTRACT.md trap 1 improved on): one
 * session per identity, shared by concurrent calls, replaced once when the API stops accepting it.
 */
import { describe, expect, it } from 'vitest';
import { expectSessionPost } from './checks.ts';
import { ItemList, TENANT, callTool, connect, startStack, structuredOf, textOf } from './stack.ts';

describe('sync sessions', () => {
  it('concurrent first calls of one identity share one session POST', async () => {
    const stack = await startStack();
    stack.front.arm({
      method: 'POST',
      path: '/v1/sync/sessions',
      times: 1,
      action: { kind: 'delay', ms: 150 },
    });
    const token = await stack.token();
    const client = await connect(stack.gateway.url, token, '2025');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => callTool(client, 'list_notes', { limit: 3 })),
    );
    for (const result of results) ItemList.parse(structuredOf(result));
    expect(stack.front.sessionPosts()).toHaveLength(1);
    expect(stack.front.dataRequests()).toHaveLength(8);
  });

  it('tokens of other users and tenants each get their own session, signed for their tenant', async () => {
    const stack = await startStack();
    const identities = [
      { sub: 'user-1', tenant: TENANT },
      { sub: 'user-2', tenant: TENANT },
      { sub: 'user-1', tenant: 'tenant-b' },
    ];
    for (const identity of identities) {
      const token = await stack.token(identity);
      const client = await connect(stack.gateway.url, token, '2025');
      for (let i = 0; i < 3; i += 1) {
        ItemList.parse(structuredOf(await callTool(client, 'list_notes', {})));
      }
      const posts = stack.front.sessionPosts();
      const last = posts[posts.length - 1]!;
      expect(last.headers['x-debug-sub']).toBe(identity.sub);
      expect(last.headers['x-tb-tenant-id']).toBe(identity.tenant);
      expect(last.headers['authorization']).toBe(`Bearer ${token}`);
    }
    expect(stack.front.sessionPosts()).toHaveLength(3);
    const byTenant = stack.front.dataRequests().map((r) => r.headers['x-tb-tenant-id']);
    expect(byTenant).toEqual([
      TENANT,
      TENANT,
      TENANT,
      TENANT,
      TENANT,
      TENANT,
      'tenant-b',
      'tenant-b',
      'tenant-b',
    ]);
  });

  it('after a backend restart (428 for the old session) a new session is opened and the call retried once', async () => {
    const stack = await startStack();
    const token = await stack.token({ sub: 'user-1' });
    const client = await connect(stack.gateway.url, token, '2025');
    structuredOf(await callTool(client, 'list_notes', {}));
    stack.front.restartBackend();
    const created = structuredOf(
      await callTool(client, 'create_note', { title: 'after restart', content: 'x' }),
    );
    expect(created).toMatchObject({ version: 1, deletedAt: null });

    const posts = stack.front.sessionPosts();
    expect(posts).toHaveLength(2);
    expectSessionPost(posts[1]!, {
      token,
      sub: 'user-1',
      tenantHeaderSecret: stack.tenantHeaderSecret,
    });
    const creates = stack.front
      .dataRequests()
      .filter((r) => r.path === '/v1/notes' && r.method === 'POST');
    expect(creates).toHaveLength(2);
    expect(creates[0]!.headers['x-sync-session']).not.toBe(creates[1]!.headers['x-sync-session']);
    expect(creates[1]!.body).toEqual({ title: 'after restart', content: 'x' });
  });

  it('a 409 epoch_mismatch also renews the session once', async () => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    structuredOf(await callTool(client, 'list_notes', {}));
    stack.front.arm({
      method: 'GET',
      path: '/v1/notes',
      times: 1,
      action: {
        kind: 'respond',
        status: 409,
        body: { correlation_id: '', epoch: 2, error: 'epoch_mismatch' },
      },
    });
    structuredOf(await callTool(client, 'list_notes', {}));
    expect(stack.front.sessionPosts()).toHaveLength(2);
    expect(stack.front.dataRequests()).toHaveLength(3);
  });

  it('a session rejected twice is reported, not retried forever', async () => {
    const stack = await startStack();
    stack.front.arm({
      method: 'GET',
      path: '/v1/notes',
      action: {
        kind: 'respond',
        status: 428,
        body: { error: 'Invalid or expired sync session.', correlation_id: 'corr-428' },
      },
    });
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    const result = await callTool(client, 'list_notes', {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('428');
    expect(stack.front.sessionPosts()).toHaveLength(2);
    expect(stack.front.dataRequests()).toHaveLength(2);
  });

  it("with a shared backend token every caller acts as its user, for the caller's tenant", async () => {
    let shared = '';
    const stack = await startStack({
      sharedToken: async (mintToken) => {
        shared = await mintToken({ sub: 'service-user', tenant: null });
        return shared;
      },
    });
    for (const sub of ['user-1', 'user-2']) {
      const client = await connect(stack.gateway.url, await stack.token({ sub }), '2025');
      ItemList.parse(structuredOf(await callTool(client, 'list_notes', {})));
    }
    for (const request of stack.front.requests) {
      expect(request.headers['authorization']).toBe(`Bearer ${shared}`);
      expect(request.headers['x-tb-tenant-id']).toBe(TENANT);
    }
    // One backend identity, so one session.
    const posts = stack.front.sessionPosts();
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers['x-debug-sub']).toBe('service-user');
  });
});
