import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SANDBOX_PHONE_NUMBER_ID } from './config.js';

describe('loadConfig', () => {
  it('defaults to sandbox mode with the built-in simulator and the documented defaults', () => {
    const c = loadConfig({});
    expect(c.sandbox).toBe(true);
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.publicUrl).toBe('http://127.0.0.1:3000');
    expect(c.whatsapp.apiUrl).toBe('http://127.0.0.1:3000/sandbox/graph');
    expect(c.whatsapp.apiVersion).toBe('v26.0');
    expect(c.whatsapp.phoneNumberId).toBe(SANDBOX_PHONE_NUMBER_ID);
    expect(c.whatsapp.mps).toBe(80);
    expect(c.workerConnections).toBe(10);
    expect(c.seedDemo).toBe(true);
    expect(c.http).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, maxConnections: 1_000 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('uses the real Graph API and no demo seed once a token is set', () => {
    const c = loadConfig({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '123', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v' });
    expect(c.sandbox).toBe(false);
    expect(c.whatsapp.apiUrl).toBe('https://graph.facebook.com');
    expect(c.seedDemo).toBe(false);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ WHATSAPP_MPS: '0' }, 'WHATSAPP_MPS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ ENCRYPTION_KEY: 'c2hvcnQ=' }, 'ENCRYPTION_KEY'],
    [{ WHATSAPP_API_VERSION: '26' }, 'WHATSAPP_API_VERSION'],
    [{ SEED_DEMO: 'maybe' }, 'SEED_DEMO'],
    [{ DATABASE_PREPARED_STATEMENTS: 'off' }, 'DATABASE_PREPARED_STATEMENTS'],
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, 'HTTP_REQUEST_TIMEOUT_MS'],
    [{ HTTP_HEADERS_TIMEOUT_MS: 'soon' }, 'HTTP_HEADERS_TIMEOUT_MS'],
    [{ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }, 'HTTP_HEADERS_TIMEOUT_MS'],
    [{ HTTP_MAX_CONNECTIONS: '-1' }, 'HTTP_MAX_CONNECTIONS'],
    [{ DATABASE_WORKER_CONNECTIONS: '2' }, 'DATABASE_WORKER_CONNECTIONS'],
    [{ WHATSAPP_ACCESS_TOKEN: 't' }, 'WHATSAPP_PHONE_NUMBER_ID'],
    [{ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '1', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', DATABASE_URL: 'postgres://x/y' }, 'ENCRYPTION_KEY'],
  ])('names the bad variable in one line: %o', (env, variable) => {
    try {
      loadConfig(env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).variable).toBe(variable);
      expect((e as ConfigError).message).toMatch(new RegExp(`^${variable} `));
      expect((e as ConfigError).message).not.toContain('\n');
    }
  });

  it('DATABASE_PREPARED_STATEMENTS is on unless turned off', () => {
    expect(loadConfig({}).databasePreparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: '1' }).databasePreparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: '0' }).databasePreparedStatements).toBe(false);
  });

  it('VIDEO_URL_TEMPLATE defaults to Jitsi and must be https with {room}', () => {
    expect(loadConfig({}).videoUrlTemplate).toBe('https://meet.jit.si/{room}');
    expect(loadConfig({ VIDEO_URL_TEMPLATE: 'https://video.example.org/r/{room}?lang=fr' }).videoUrlTemplate).toBe('https://video.example.org/r/{room}?lang=fr');
    for (const bad of ['http://video.example.org/{room}', 'https://video.example.org/fixed', 'not a url {room}']) {
      expect(() => loadConfig({ VIDEO_URL_TEMPLATE: bad })).toThrow(ConfigError);
    }
  });

  it('HEAP_GROWING_PERCENT defaults to 50 and takes 0 (V8\'s own) to 400', () => {
    expect(loadConfig({}).heapGrowingPercent).toBe(50);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    for (const bad of ['-1', '401', '1.5', 'lots']) expect(() => loadConfig({ HEAP_GROWING_PERCENT: bad })).toThrow(ConfigError);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(3000);
  });
});
