export { DOCTOR_TIMEOUT_MS, runDoctor, type DoctorOptions } from './doctor.ts';
export { EX_CONFIG, EX_USAGE, runSign, type SignOptions } from './sign.ts';
export { runKeysNew, type KeysOptions } from './keys.ts';
export type { Sink } from './report.ts';
export { MAX_TTL_SECONDS, parseTtl, runToken, type TokenOptions } from './token.ts';
