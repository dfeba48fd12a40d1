export {
  createBackendHandler,
  startBackend,
  type BackendOptions,
  type RunningBackend,
} from './server.ts';
export { GO_RATE_LIMIT, type RateLimitConfig } from './rate-limit.ts';
