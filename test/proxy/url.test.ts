import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { parseBaseUrl, requestTarget } from '../../src/proxy/url.ts';
import { createFakeBackend, SESSION_PATH } from './fake-backend.ts';
import { identity, unitUpstream } from './setup.ts';

describe('base URL', () => {
  it.each([
    ['https://h/api', 'https://h', '/api'],
    ['https://h/api/', 'https://h', '/api'],
    ['https://h/a/b//', 'https://h', '/a/b'],
    ['http://127.0.0.1:8081', 'http://127.0.0.1:8081', ''],
    ['http://127.0.0.1:8081/', 'http://127.0.0.1:8081', ''],
    ['https://h:443/x', 'https://h', '/x'],
  ])('%s → origin %s, prefix %j', (base, origin, prefix) => {
    expect(parseBaseUrl(base)).toEqual({ origin, prefix });
  });

  it.each([
    'not a url',
    'ftp://h/api',
    'https://user:pass@h/api',
    'https://h/api?x=1',
    'https://h/api#f',
  ])('rejects %s without echoing it', (base) => {
    let caught: unknown;
    try {
      parseBaseUrl(base);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect(caught).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(String(caught)).not.toContain('pass');
  });
});

describe('request target', () => {
  it.each([
    ['', '/v1/notes', undefined, '/v1/notes'],
    ['/api', '/v1/notes', [], '/api/v1/notes'],
    ['/api', '/v1/notes', [['limit', '100']], '/api/v1/notes?limit=100'],
    [
      '/api',
      '/v1/notes',
      [
        ['limit', '5'],
        ['cursor', 'a b+c/d=e&f'],
        ['includeDeleted', 'true'],
      ],
      '/api/v1/notes?limit=5&cursor=a+b%2Bc%2Fd%3De%26f&includeDeleted=true',
    ],
    [
      '',
      '/v1/x',
      [
        ['z', '1'],
        ['a', '2'],
        ['z', '3'],
      ],
      '/v1/x?z=1&a=2&z=3',
    ],
    ['', '/v1/x', [['q', 'é日']], '/v1/x?q=%C3%A9%E6%97%A5'],
  ] as const)('%j + %j + %j → %s', (prefix, path, query, target) => {
    expect(requestTarget(prefix, { path, ...(query === undefined ? {} : { query }) })).toBe(target);
  });

  it('refuses a path that does not start with a slash', () => {
    expect(() => requestTarget('/api', { path: 'v1/notes' })).toThrow(RangeError);
  });
});

describe('the client keeps the base URL path prefix (trap 9)', () => {
  it('sends the session POST and the data call below the prefix', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, undefined, { baseUrl: 'http://backend.test/api/' });
    fake.expectSession(`/api${SESSION_PATH}`);
    fake.expect('GET', '/api/v1/notes?limit=5&cursor=a+b', { status: 200, body: { items: [] } });

    const response = await upstream.call(
      {
        method: 'GET',
        path: '/v1/notes',
        query: [
          ['limit', '5'],
          ['cursor', 'a b'],
        ],
      },
      identity,
    );

    expect(response).toEqual({ status: 200, body: { items: [] } });
    expect(fake.seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/sync/sessions',
      'GET /api/v1/notes?limit=5&cursor=a+b',
    ]);
  });
});
