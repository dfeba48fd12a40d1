export {
  GO_MAX_SKEW_SECONDS,
  SIGNATURE_HEADER,
  TENANT_ID_HEADER,
  TIMESTAMP_HEADER,
  fromWireValue,
  sign,
  toWireValue,
} from './scheme.ts';
export {
  createTenantSigner,
  describeSigned,
  type TenantHeaders,
  type TenantSigner,
} from './sign.ts';
export {
  createTenantVerifier,
  type IncomingHeaders,
  type TenantHeaderFailure,
  type TenantVerification,
  type TenantVerifier,
} from './verify.ts';
