import type { Logger } from '../log.ts';
import { describeSigned, type TenantHeaders } from '../tenant-headers/index.ts';
import type { RawReply } from './reply.ts';

/**
 * The DEBUG line per request to the ToolBridge API: the runbook's first step when the API refuses
 * the tenant headers is to compare what was signed here with what the API computed. At TRACE the
 * line also names the headers sent and the sizes and correlation id of the exchange.
 */

/** How the call came by its sync session (CONTRACT.md A.2 steps 5–7). */
export type SessionUse =
  /** This request is the session creation itself. */
  | 'creating'
  /** A cached session, or one another call was already opening. */
  | 'reused'
  /** This call opened the identity's first session. */
  | 'opened'
  /** This call replaced a session that was about to expire or that the API had refused. */
  | 'refreshed'
  /** A request outside sync sessions: the token exchange (TOOLBRIDGE_BACKEND_AUTH=exchange). */
  | 'none';

export interface ExchangeNote {
  readonly tenantId: string;
  readonly signed: TenantHeaders;
  readonly session: SessionUse;
}

export interface Exchange {
  readonly method: string;
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly reply: RawReply | undefined;
  readonly seconds: number;
}

export function logExchange(logger: Logger, note: ExchangeNote, exchange: Exchange): void {
  const { method, target, reply } = exchange;
  const fields: Record<string, unknown> = {
    method,
    target,
    status: reply?.status ?? 'no answer',
    ms: Math.round(exchange.seconds * 10_000) / 10,
    tenant: note.tenantId,
    ...describeSigned(note.tenantId, note.signed),
    session: note.session,
  };
  if (logger.isLevelEnabled('trace')) {
    // Names only: values include the bearer token.
    fields['headersSent'] = Object.keys(exchange.headers);
    fields['bytesSent'] = exchange.body === undefined ? 0 : Buffer.byteLength(exchange.body);
    fields['bytesReceived'] = reply === undefined ? undefined : Buffer.byteLength(reply.text);
    fields['correlationId'] = exchange.headers['X-Correlation-ID'];
  }
  logger.debug(fields, 'upstream request');
}
