import { AppError } from '../errors.ts';
import type { UpstreamRequest } from './types.ts';

export interface BaseUrl {
  /** `scheme://host[:port]`: what the connection pool is opened for. */
  readonly origin: string;
  /** The base URL's path without a trailing slash (`''` for the root). */
  readonly prefix: string;
}

/**
 * Splits the configured base URL once. The path prefix is kept and every request path is
 * appended to it as text: `new URL(path, base)` would resolve `/v1/…` against the host and drop
 * `/api` (CONTRACT.md trap 9). The URL is never echoed: a misplaced credential must not leak.
 */
export function parseBaseUrl(baseUrl: string): BaseUrl {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new AppError('CONFIG_INVALID', 'The ToolBridge API base URL is not a valid URL', {
      cause: error,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('CONFIG_INVALID', 'The ToolBridge API base URL must be http or https');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new AppError(
      'CONFIG_INVALID',
      'The ToolBridge API base URL must not carry credentials, a query or a fragment',
    );
  }
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}

/**
 * The request target sent on the wire: prefix + path + query. The query is encoded as
 * application/x-www-form-urlencoded (space as `+`), in the given order, as httpx `params=` did.
 */
export function requestTarget(
  prefix: string,
  request: Pick<UpstreamRequest, 'path' | 'query'>,
): string {
  if (!request.path.startsWith('/')) {
    throw new RangeError(
      `an upstream path must start with "/", got ${JSON.stringify(request.path)}`,
    );
  }
  const query = request.query ?? [];
  if (query.length === 0) return `${prefix}${request.path}`;
  const search = new URLSearchParams(query.map(([name, value]): [string, string] => [name, value]));
  return `${prefix}${request.path}?${search.toString()}`;
}
