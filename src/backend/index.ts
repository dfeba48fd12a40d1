export { createBackendHandler, type BackendOptions } from './handler.ts';
export { startBackend, type RunningBackend } from './server.ts';
export { GO_RATE_LIMIT, type RateLimitConfig } from './rate-limit.ts';
