export { createUpstream } from './client.ts';
export { DEFAULTS as UPSTREAM_DEFAULTS, type UpstreamOptions } from './options.ts';
export type {
  BackendIdentity,
  CallOptions,
  HttpMethod,
  Upstream,
  UpstreamRequest,
  UpstreamResponse,
} from './types.ts';
