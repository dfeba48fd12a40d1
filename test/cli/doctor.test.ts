import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { listen } from '../helpers/loopback.ts';
import {
  TENANT_SECRET,
  WRONG_JWT_SECRET,
  WRONG_TENANT_SECRET,
  config,
  doctor,
  leaks,
  startApi,
  token,
} from './helpers.ts';

const SECRET_LINE =
  "✘ TOOLBRIDGE_TENANT_HEADER_SECRET does not match the API's TENANT_HEADER_SECRET";
const JWT_LINE = '✘ the API rejected TOOLBRIDGE_JWT_TOKEN (expired, wrong key, or issuer/audience)';

/** The environment of a gateway in shared-token mode in front of `url`. */
async function remote(url: string, overrides: Record<string, string | undefined> = {}) {
  const jwt = await token();
  return {
    jwt,
    cfg: config({
      TOOLBRIDGE_GO_API_BASE_URL: url,
      TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
      TOOLBRIDGE_JWT_TOKEN: jwt,
      ...overrides,
    }),
  };
}

describe('doctor against the embedded ToolBridge API on loopback', () => {
  it('passes every check with the right secret and a valid token', async () => {
    const url = await startApi();
    const { cfg, jwt } = await remote(url);
    const { code, lines, text } = await doctor(cfg);
    expect(code).toBe(0);
    const port = new URL(url).port;
    expect(lines[0]).toMatch(/^✔ configuration: Go API http:\/\/127\.0\.0\.1:\d+, tenant "acme"/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^✔ backend reachable \\(127\\.0\\.0\\.1:${port}\\): GET /healthz → 200`),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^✔ clock skew: 0\.\d s \(measured from \/v1\/sync\/info serverTime\)$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^✔ session creation with signed headers: POST \/v1\/sync\/sessions → 201 Created \(tenant "acme" from TOOLBRIDGE_TENANT_ID, sub "user-1", epoch 1\)$/,
      ),
    );
    expect(lines.at(-1)).toBe('doctor: all checks passed');
    expect(text).not.toMatch(/^[✘⚠–]/m);
    expect(leaks(text, [jwt])).toEqual([]);
  });

  it('names the secret mismatch when TOOLBRIDGE_TENANT_HEADER_SECRET is wrong', async () => {
    const { cfg, jwt } = await remote(await startApi(), {
      TOOLBRIDGE_TENANT_HEADER_SECRET: WRONG_TENANT_SECRET,
    });
    const { code, lines, text } = await doctor(cfg);
    expect(code).toBe(1);
    expect(lines).toContain(SECRET_LINE);
    expect(text).toContain('answered 401 "Unauthorized: invalid tenant headers" for tenant "acme"');
    expect(text).toContain('  fix: ');
    expect(lines.at(-1)).toBe('doctor: 1 check failed');
    expect(leaks(text, [jwt])).toEqual([]);
  });

  it('blames the token when it is signed with another key', async () => {
    const jwt = await token({ sub: 'user-1' }, { secret: WRONG_JWT_SECRET });
    const { cfg } = await remote(await startApi(), { TOOLBRIDGE_JWT_TOKEN: jwt });
    const { code, lines, text } = await doctor(cfg);
    expect(code).toBe(1);
    expect(lines).toContain(JWT_LINE);
    expect(text).not.toContain('expired at');
    expect(text).not.toContain(SECRET_LINE);
    expect(leaks(text, [jwt])).toEqual([]);
  });

  it('says when the token expired', async () => {
    const exp = Math.floor(Date.now() / 1000) - 3600;
    const jwt = await token({ sub: 'user-1' }, { expiresAt: exp });
    const { cfg } = await remote(await startApi(), { TOOLBRIDGE_JWT_TOKEN: jwt });
    const { code, lines, text } = await doctor(cfg);
    expect(code).toBe(1);
    expect(lines).toContain(
      `${JWT_LINE}; the token expired at ${new Date(exp * 1000).toISOString()}`,
    );
    expect(leaks(text, [jwt])).toEqual([]);
  });

  it.each([
    [-400_000, 'ahead of'],
    [400_000, 'behind'],
  ])('fails on a clock %i ms off and skips the session check', async (shift, direction) => {
    const { cfg, jwt } = await remote(await startApi());
    const { code, lines, text } = await doctor(cfg, { now: () => Date.now() - shift });
    expect(code).toBe(1);
    expect(lines).toContain(
      "✘ clock skew of 400 s exceeds the API's 300 s window; tenant signatures will be rejected",
    );
    expect(text).toContain(`this machine's clock is 400 s ${direction} the API's`);
    expect(lines).toContainEqual(expect.stringMatching(/^– session creation: skipped/));
    expect(text).not.toContain(SECRET_LINE);
    expect(leaks(text, [jwt])).toEqual([]);
  });

  it.each([-100_000, 100_000])('only warns on a clock %i ms off', async (shift) => {
    const { cfg, jwt } = await remote(await startApi());
    const { code, lines, text } = await doctor(cfg, { now: () => Date.now() - shift });
    expect(code).toBe(0);
    expect(lines).toContainEqual(
      expect.stringMatching(/^⚠ clock skew of 100 s is inside the API's 300 s window/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^✔ session creation with signed headers/));
    expect(leaks(text, [jwt])).toEqual([]);
  });

  it('skips the session check without a shared token, explaining per-user mode', async () => {
    const { cfg } = await remote(await startApi(), { TOOLBRIDGE_JWT_TOKEN: undefined });
    const { code, lines } = await doctor(cfg);
    expect(code).toBe(0);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^– session creation with signed headers: skipped\. No TOOLBRIDGE_JWT_TOKEN: in per-user mode/,
      ),
    );
  });

  it("signs for the shared token's tenant claim when no tenant is pinned", async () => {
    const jwt = await token({ sub: 'user-2', tenant_id: 'Zürich-租户' });
    const { cfg } = await remote(await startApi(), {
      TOOLBRIDGE_JWT_TOKEN: jwt,
      TOOLBRIDGE_TENANT_ID: undefined,
    });
    const { code, lines } = await doctor(cfg);
    expect(code).toBe(0);
    expect(lines).toContainEqual(
      expect.stringContaining(
        `→ 201 Created (tenant "Zürich-租户" from the 'tenant_id' claim of TOOLBRIDGE_JWT_TOKEN, sub "user-2"`,
      ),
    );
  });

  it('skips the session check when neither a pinned tenant nor a tenant claim exists', async () => {
    const { cfg } = await remote(await startApi(), { TOOLBRIDGE_TENANT_ID: undefined });
    const { code, lines } = await doctor(cfg);
    expect(code).toBe(0);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^– session creation with signed headers: skipped\. No TOOLBRIDGE_TENANT_ID/,
      ),
    );
  });

  it('has nothing remote to check without TOOLBRIDGE_GO_API_BASE_URL', async () => {
    const { code, lines } = await doctor(config({}));
    expect(code).toBe(0);
    expect(lines[0]).toMatch(
      /^✔ configuration: no TOOLBRIDGE_GO_API_BASE_URL, .*embedded ToolBridge API/,
    );
  });
});

describe('doctor against APIs that misbehave (loopback fakes)', () => {
  it('reads the skew from the Date header when /v1/sync/info is missing', async () => {
    const server = createServer((request, response) => {
      response.writeHead(request.url === '/healthz' ? 200 : 404).end('ok');
    });
    const { cfg } = await remote(await listen(server), { TOOLBRIDGE_JWT_TOKEN: undefined });
    const { code, lines } = await doctor(cfg);
    expect(code).toBe(0);
    expect(lines).toContainEqual(
      expect.stringMatching(/^✔ clock skew: \d\.\d s \(measured from the Date header, ±1 s\)$/),
    );
  });

  it('reports an unexpected health status', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(404).end('404 page not found');
    });
    const url = await listen(server);
    const { cfg } = await remote(`${url}/api`);
    const { code, lines } = await doctor(cfg);
    expect(code).toBe(1);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^✘ backend reachable \(127\.0\.0\.1:\d+\): GET \/api\/healthz answered 404 Not Found, expected 200$/,
      ),
    );
  });

  it("quotes the API's error text for other session statuses", async () => {
    const server = createServer((request, response) => {
      if (request.url === '/v1/sync/sessions') {
        response
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"error":"Failed to load epoch","correlation_id":"c-1"}\n');
        return;
      }
      response.writeHead(request.url === '/healthz' ? 200 : 404).end('ok');
    });
    const { cfg, jwt } = await remote(await listen(server));
    const { code, lines, text } = await doctor(cfg);
    expect(code).toBe(1);
    expect(lines).toContain(
      '✘ session creation with signed headers: POST /v1/sync/sessions answered 500 Internal Server Error: Failed to load epoch',
    );
    expect(leaks(text, [jwt])).toEqual([]);
  });
});
