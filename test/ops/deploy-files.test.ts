import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config.ts';

const root = resolve(import.meta.dirname, '../..');

const FlyApp = z.object({
  app: z.string(),
  kill_signal: z.literal('SIGTERM'),
  kill_timeout: z.string().regex(/^\d+s$/),
  build: z.object({ dockerfile: z.string() }),
  deploy: z.object({ strategy: z.string(), max_unavailable: z.number() }),
  env: z.record(z.string(), z.string()),
  http_service: z.object({
    internal_port: z.number(),
    auto_stop_machines: z.enum(['off', 'stop', 'suspend']),
    auto_start_machines: z.boolean(),
    min_machines_running: z.number().optional(),
    concurrency: z.object({ type: z.string(), soft_limit: z.number(), hard_limit: z.number() }),
    checks: z
      .array(z.object({ method: z.literal('GET'), path: z.string(), timeout: z.string() }))
      .min(1),
  }),
  metrics: z.object({ port: z.number(), path: z.literal('/metrics') }),
});

/** Machines `fly deploy` creates on an app's first deploy, and the fewest docs/deploy.md runs. */
const DEFAULT_MACHINES = 2;

describe.each(['fly.staging.toml', 'fly.tenant.example.toml'])('%s', (file) => {
  const text = readFileSync(resolve(root, file), 'utf8');
  const fly = FlyApp.parse(parse(text));
  const store = /^# Session store: (memory|redis)$/m.exec(text)?.[1];

  it('builds the image that exists and serves the port the image exposes', () => {
    expect(existsSync(resolve(root, fly.build.dockerfile))).toBe(true);
    const dockerfile = readFileSync(resolve(root, fly.build.dockerfile), 'utf8');
    expect(dockerfile).toContain(`EXPOSE ${fly.http_service.internal_port}`);
    expect(fly.env['TOOLBRIDGE_PORT']).toBe(String(fly.http_service.internal_port));
  });

  it('scrapes /metrics on the port the gateway serves it on, not the public MCP port', () => {
    expect(loadConfig({ env: fly.env }).metricsPort).toBe(fly.metrics.port);
    expect(fly.metrics.port).not.toBe(fly.http_service.internal_port);
  });

  it('checks /healthz and waits longer than the drain before killing', () => {
    expect(fly.http_service.checks.map((check) => check.path)).toEqual(['/healthz']);
    const drain = loadConfig({ env: fly.env }).shutdownTimeoutSeconds;
    expect(Number.parseInt(fly.kill_timeout, 10)).toBeGreaterThan(drain);
  });

  it('sets only variables the gateway knows, and no secrets', () => {
    expect(loadConfig({ env: fly.env }).warnings).toEqual([]);
    for (const name of Object.keys(fly.env)) {
      expect(name).not.toMatch(/SECRET|TOKEN/);
    }
  });

  // Fly's proxy stops machines it finds idle; a stopped machine's in-memory sessions are gone.
  it('names its session store, and lets Fly stop machines only when sessions outlive them', () => {
    expect(store).toBeDefined();
    const { auto_stop_machines: autoStop, min_machines_running: minRunning } = fly.http_service;
    if (store === 'memory') {
      expect(autoStop === 'off' || (minRunning ?? 0) >= DEFAULT_MACHINES).toBe(true);
    }
    // A machine Fly stops must come back when traffic needs it.
    if (autoStop !== 'off') expect(fly.http_service.auto_start_machines).toBe(true);
  });

  // Every open GET /mcp or GET /sse stream is a request in flight for Fly's proxy, for as long as
  // the client stays connected: the limits must hold idle clients and leave room for their calls.
  it('counts requests, with room for idle streams and the calls in flight beside them', () => {
    const { type, soft_limit: soft, hard_limit: hard } = fly.http_service.concurrency;
    expect(type).toBe('requests');
    expect(soft).toBeGreaterThanOrEqual(200);
    expect(hard - soft).toBeGreaterThanOrEqual(100);
  });

  it('deploys one machine at a time, so another keeps serving', () => {
    expect(fly.deploy).toEqual({ strategy: 'rolling', max_unavailable: 1 });
  });

  it('has the limits docs/deploy.md derives', () => {
    const { soft_limit: soft, hard_limit: hard } = fly.http_service.concurrency;
    const doc = readFileSync(resolve(root, 'docs/deploy.md'), 'utf8');
    expect(doc).toContain(`soft_limit = ${soft}`);
    expect(doc).toContain(`hard_limit = ${hard}`);
  });
});

const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
const filesIn = (dir: string) =>
  existsSync(resolve(root, dir))
    ? readdirSync(resolve(root, dir)).map((name) => `${dir}/${name}`)
    : [];

describe('deploy advice', () => {
  // Everything a person deploying reads: the Fly files, the docs, and the scripts that could run flyctl.
  const files = [
    'README.md',
    'Dockerfile.mcp-only',
    'fly.staging.toml',
    'fly.tenant.example.toml',
    ...filesIn('docs').filter((path) => path.endsWith('.md')),
    ...filesIn('scripts'),
    ...filesIn('.ci'),
  ];

  // One machine per app was the advice while sessions could live on one machine only.
  it.each(files)('%s does not tell anyone to run a single machine', (file) => {
    const text = read(file);
    expect(text).not.toMatch(/--ha[= ]+false/);
    expect(text).not.toMatch(/scale count 1(?!\d)/);
  });

  it('leaves the README a newcomer page that points to docs/deploy.md', () => {
    const readme = read('README.md');
    // Lines as an editor counts them: the final newline ends the last line, it starts none.
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(320);
    expect(readme).toContain('](docs/deploy.md)');
    expect(readme).toMatch(/^npm start {3}# start the gateway$/m);
    expect(readme).toMatch(/^npm test {4}# typecheck, lint, and every test$/m);
  });
});
