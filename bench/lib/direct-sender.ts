/** The benchmark's direct path (and the relay's): the REST call the gateway makes for get_note. */
import { z } from 'zod';
import { createTenantSigner } from '../../src/tenant-headers/index.ts';
import type { Send } from './load.ts';
import { send, type Endpoint } from './mcp.ts';

/** The direct path: a sync session once, then GETs signed as the gateway signs them. */
export async function directSender(
  to: Endpoint,
  authorization: string,
  tenantId: string,
  tenantSecret: string,
  uid: string,
): Promise<Send> {
  const signer = createTenantSigner({ tenantId, secret: tenantSecret });
  const opened = await send(to, 'POST', '/v1/sync/sessions', {
    authorization,
    accept: 'application/json',
    ...signer.headers(),
  });
  const session = z.object({ id: z.string(), epoch: z.number() }).parse(JSON.parse(opened.text));
  const headers = {
    authorization,
    accept: 'application/json',
    'x-sync-session': session.id,
    'x-sync-epoch': String(session.epoch),
  };
  return async () => {
    const reply = await send(to, 'GET', `/v1/notes/${uid}`, { ...headers, ...signer.headers() });
    return reply.status === 200 && reply.text.includes(uid);
  };
}
