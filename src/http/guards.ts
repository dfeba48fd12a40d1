import type { NextFunction, Request, Response } from 'express';
import type { RejectionLog } from './rejections.ts';

/**
 * DNS-rebinding and cross-site protection (MCP Streamable HTTP security guidance). A browser
 * request carries an Origin: it must be listed in TOOLBRIDGE_ALLOWED_ORIGINS or be a loopback
 * page. Host must name this service (the public base URL's host, a TOOLBRIDGE_ALLOWED_HOSTS name)
 * or loopback, when any is known; a gateway bound to all interfaces with neither cannot know its
 * names and skips the Host check. Requests without Origin (CLI and desktop clients) pass the
 * Origin check.
 */
export interface GuardOptions {
  allowedOrigins: readonly string[];
  allowedHosts?: readonly string[] | undefined;
  publicBaseUrl?: string | undefined;
  bindHost: string;
  /** Where a refusal is logged (one warning line); unset, nowhere. */
  rejected?: RejectionLog | undefined;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

const hostnameOf = (hostHeader: string): string => {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0] ?? '';
};

export function originGuard({
  allowedOrigins,
  allowedHosts = [],
  publicBaseUrl,
  bindHost,
  rejected = () => undefined,
}: GuardOptions) {
  const origins = new Set(allowedOrigins);
  const hosts = new Set([...LOOPBACK_NAMES, ...allowedHosts]);
  if (publicBaseUrl !== undefined) hosts.add(new URL(publicBaseUrl).hostname);
  const checkHost =
    publicBaseUrl !== undefined || allowedHosts.length > 0 || LOOPBACK_NAMES.has(bindHost);

  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.get('origin');
    if (origin !== undefined && !origins.has(origin)) {
      const loopbackPage = URL.canParse(origin) && LOOPBACK_NAMES.has(new URL(origin).hostname);
      if (!loopbackPage) {
        rejected(res, 403, 'origin.forbidden', 'the Origin is not allowed');
        res.status(403).json({ error: 'forbidden', error_description: 'Origin not allowed' });
        return;
      }
    }
    if (checkHost && !hosts.has(hostnameOf(req.get('host') ?? '').toLowerCase())) {
      rejected(res, 403, 'host.forbidden', 'the Host is not this service');
      res.status(403).json({ error: 'forbidden', error_description: 'Host not allowed' });
      return;
    }
    next();
  };
}
