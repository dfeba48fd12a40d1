export { createUpstream } from './client.ts';
export { DEFAULTS as UPSTREAM_DEFAULTS, type UpstreamOptions } from './options.ts';
export { DEFAULT_MINTED_ISSUER, MAX_MINTED_LIFETIME_SECONDS, type MintOptions } from './mint.ts';
export { TOKEN_EXCHANGE_PATH, type TokenExchangeOptions } from './token-exchange.ts';
export type {
  BackendIdentity,
  ExchangedIdentity,
  IssuedIdentity,
  MintedIdentity,
  PresentedIdentity,
  CallOptions,
  HttpMethod,
  Upstream,
  UpstreamRequest,
  UpstreamResponse,
} from './types.ts';
