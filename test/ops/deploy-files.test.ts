import { existsSync, readFileSync } from 'node:fs';
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
  env: z.record(z.string(), z.string()),
  http_service: z.object({
    internal_port: z.number(),
    auto_stop_machines: z.string(),
    concurrency: z.object({ type: z.string(), soft_limit: z.number(), hard_limit: z.number() }),
    checks: z
      .array(z.object({ method: z.literal('GET'), path: z.string(), timeout: z.string() }))
      .min(1),
  }),
  metrics: z.object({ port: z.number(), path: z.literal('/metrics') }),
});

describe.each(['fly.staging.toml', 'fly.tenant.example.toml'])('%s', (file) => {
  const fly = FlyApp.parse(parse(readFileSync(resolve(root, file), 'utf8')));

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
    expect(fly.http_service.concurrency.hard_limit).toBeGreaterThan(
      fly.http_service.concurrency.soft_limit,
    );
  });
});
