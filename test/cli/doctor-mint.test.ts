import { describe, expect, it } from 'vitest';
import { DOCTOR_SUBJECT } from '../../src/cli/doctor.ts';
import { MINTED_REFUSED } from '../../src/cli/session-check.ts';
import { TENANT_SECRET, WRONG_JWT_SECRET, config, doctor, leaks, startApi } from './helpers.ts';

/**
 * TOOLBRIDGE_BACKEND_AUTH=mint: the gateway sends the API only tokens it mints, so the doctor's
 * session check mints one the same way and opens a session with it, against the embedded API.
 */
const minting = (url: string, env: Record<string, string> = {}) =>
  config({
    TOOLBRIDGE_GO_API_BASE_URL: url,
    TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
    TOOLBRIDGE_BACKEND_AUTH: 'mint',
    ...env,
  });

describe('doctor with TOOLBRIDGE_BACKEND_AUTH=mint', () => {
  it('opens a session with a token minted as the gateway mints them', async () => {
    const { code, lines, text } = await doctor(minting(await startApi()));
    expect(code).toBe(0);
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^✔ session creation with signed headers: POST /v1/sync/sessions → 201 Created \\(tenant "acme" from TOOLBRIDGE_TENANT_ID, sub "${DOCTOR_SUBJECT}"`,
        ),
      ),
    );
    expect(leaks(text)).toEqual([]);
  });

  it('names the backend secret when the API refuses the minted token', async () => {
    const cfg = minting(await startApi(), { TOOLBRIDGE_BACKEND_JWT_SECRET: WRONG_JWT_SECRET });
    const { code, lines, text } = await doctor(cfg);
    expect(code).toBe(1);
    expect(lines).toContain(`✘ ${MINTED_REFUSED}`);
    expect(text).toContain('TOOLBRIDGE_BACKEND_JWT_SECRET');
    expect(text).toContain(`answered 401 "unauthorized" for sub "${DOCTOR_SUBJECT}"`);
    expect(leaks(text)).toEqual([]);
  });
});
