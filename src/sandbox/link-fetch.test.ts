// The sandbox's linked-media fetch over real sockets: a canary on 127.0.0.1 that must never be called, a
// file server that redirects, streams far past the limit, or trickles; and a resolver that rebinds.
import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, fetchLink } from './link-fetch.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6a4a50000000049454e44ae426082', 'hex');
const MB = 1024 * 1024;

interface Started { server: http.Server; origin: string; port: number }
async function listen(handler: http.RequestListener): Promise<Started> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, origin: `http://127.0.0.1:${port}`, port };
}

let canary: Started;
let canaryConnections = 0;
let files: Started;
const hits: string[] = [];
const sent = new Map<string, { bytes: number; completed: boolean }>();

/** Streams `total` bytes as fast as the client reads them, recording what left. */
function stream(path: string, res: http.ServerResponse, total: number, headers: http.OutgoingHttpHeaders) {
  const record = { bytes: 0, completed: false };
  sent.set(path, record);
  res.writeHead(200, headers);
  const piece = Buffer.alloc(64 * 1024, 7);
  const pump = () => {
    while (record.bytes < total && !res.destroyed) {
      record.bytes += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end(() => { record.completed = true; });
  };
  pump();
}

beforeAll(async () => {
  canary = await listen((_req, res) => res.end('canary'));
  canary.server.on('connection', () => canaryConnections++);
  files = await listen((req, res) => {
    const path = req.url ?? '/';
    hits.push(path);
    if (path === '/dot.png') return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG);
    if (path === '/to-canary') return void res.writeHead(302, { location: `${canary.origin}/stolen` }).end();
    if (path === '/to-postgres') return void res.writeHead(302, { location: 'http://127.0.0.1:5432/' }).end();
    if (path === '/to-metadata') return void res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (path === '/to-localhost-name') return void res.writeHead(307, { location: `http://localhost:${files.port}/dot.png` }).end();
    if (path === '/to-same') return void res.writeHead(302, { location: '/hop2' }).end();
    if (path === '/hop2') return void res.writeHead(303, { location: `${files.origin}/dot.png` }).end();
    if (path.startsWith('/loop')) return void res.writeHead(302, { location: `/loop${hits.length}` }).end();
    if (path === '/huge-chunked') return stream(path, res, 300 * MB, { 'content-type': 'image/png' });
    if (path === '/huge-declared') return stream(path, res, 300 * MB, { 'content-type': 'image/png', 'content-length': 300 * MB });
    if (path === '/slow') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 100);
      return;
    }
    res.writeHead(404).end();
  });
});
afterAll(async () => {
  for (const s of [canary, files]) {
    s.server.closeAllConnections();
    await new Promise<void>((r) => s.server.close(() => r()));
  }
});

const opts = (extra: Partial<Parameters<typeof fetchLink>[1]> = {}) => ({ maxBytes: 5 * MB, ownOrigin: files.origin, ...extra });

describe('which addresses the sandbox may fetch from', () => {
  it.each([
    ['8.8.8.8', 'public'], ['2606:4700:4700::1111', 'public'], ['93.184.216.34', 'public'],
    ['127.0.0.1', 'local'], ['127.8.9.10', 'local'], ['10.1.2.3', 'local'], ['172.20.0.1', 'local'], ['192.168.1.1', 'local'], ['100.64.0.1', 'local'],
    ['0.0.0.0', 'local'], ['::', 'local'], ['::1', 'local'], ['::ffff:127.0.0.1', 'local'], ['::ffff:10.0.0.1', 'local'], ['fd12:3456::1', 'local'], ['64:ff9b::7f00:1', 'local'],
    ['169.254.169.254', 'never'], ['169.254.0.1', 'never'], ['::ffff:169.254.169.254', 'never'], ['fe80::1', 'never'], ['fe80::1%eth0', 'never'],
    ['fd00:ec2::254', 'never'], ['100.100.100.200', 'never'], ['224.0.0.1', 'never'], ['255.255.255.255', 'never'], ['not-an-ip', 'never'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe('fetchLink', () => {
  it('fetches a file from an allowed origin', async () => {
    const r = await fetchLink(`${files.origin}/dot.png`, opts());
    expect(r).toStrictEqual({ ok: true, bytes: PNG, mimeType: 'image/png' });
  });

  it.each([
    (p: number) => `http://127.0.0.1:${p}/x`,
    (p: number) => `http://localhost:${p}/x`,
    (p: number) => `http://[::1]:${p}/x`,
    (p: number) => `http://[::ffff:127.0.0.1]:${p}/x`,
    (p: number) => `http://0x7f000001:${p}/x`,
    (p: number) => `http://127.1:${p}/x`,
    (p: number) => `http://0.0.0.0:${p}/x`,
    (p: number) => `https://127.0.0.1:${p}/x`,
  ])('never connects to a loopback service other than the app (%#)', async (make) => {
    const before = canaryConnections;
    const r = await fetchLink(make(canary.port), opts());
    expect(r).toMatchObject({ ok: false, reason: 'refused' });
    expect(canaryConnections).toBe(before);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/iam/', 'http://[fd00:ec2::254]/latest/meta-data/', 'http://100.100.100.200/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/', 'http://METADATA.google.internal./', 'http://[fe80::1]/', 'http://169.254.1.1:8080/',
  ])('refuses %s, even when it is the app\'s own origin', async (link) => {
    const r = await fetchLink(link, opts({ ownOrigin: new URL(link).origin }));
    expect(r).toMatchObject({ ok: false, reason: 'refused' });
  });

  it.each(['ftp://example.org/a.png', 'file:///etc/passwd', 'data:image/png;base64,AAAA', 'gopher://127.0.0.1:5432/', 'not a url'])('refuses %s', async (link) => {
    expect(await fetchLink(link, opts())).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('checks the addresses a name resolves to when connecting (DNS rebinding), every one of them', async () => {
    const before = canaryConnections;
    for (const answers of [[{ address: '127.0.0.1', family: 4 }], [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }], [{ address: '169.254.169.254', family: 4 }]]) {
      const lookup = ((_host: string, _o: unknown, cb: (e: null, a: dns.LookupAddress[]) => void) => cb(null, answers)) as unknown as typeof dns.lookup;
      const r = await fetchLink(`http://cdn.example.test:${canary.port}/x`, opts({ lookup }));
      expect(r).toMatchObject({ ok: false, reason: 'refused' });
    }
    expect(canaryConnections).toBe(before);
  });

  it('follows same-origin redirects, re-checking each', async () => {
    expect(await fetchLink(`${files.origin}/to-same`, opts())).toMatchObject({ ok: true, mimeType: 'image/png' });
  });

  it.each(['/to-canary', '/to-postgres', '/to-metadata', '/to-localhost-name'])('does not follow a redirect to another origin (%s)', async (path) => {
    const before = canaryConnections;
    const r = await fetchLink(`${files.origin}${path}`, opts());
    expect(r).toStrictEqual({ ok: false, reason: 'refused', details: 'The media link redirected to another host.' });
    expect(canaryConnections).toBe(before);
  });

  it('stops after a few redirects', async () => {
    const from = hits.length;
    const r = await fetchLink(`${files.origin}/loop`, opts({ maxRedirects: 3 }));
    expect(r).toStrictEqual({ ok: false, reason: 'refused', details: 'The media link redirected more than 3 times.' });
    expect(hits.slice(from).filter((h) => h.startsWith('/loop'))).toHaveLength(4);
  });

  it('stops reading a 300 MB body without Content-Length just past the limit', async () => {
    const r = await fetchLink(`${files.origin}/huge-chunked`, opts());
    expect(r).toStrictEqual({ ok: false, reason: 'too_large', details: `The file behind the media link is larger than ${5 * MB} bytes.` });
    const s = sent.get('/huge-chunked')!;
    expect(s.completed).toBe(false);
    expect(s.bytes).toBeGreaterThan(5 * MB);
    expect(s.bytes).toBeLessThan(25 * MB);
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const r = await fetchLink(`${files.origin}/huge-declared`, opts());
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
    expect(sent.get('/huge-declared')!.completed).toBe(false);
    expect(sent.get('/huge-declared')!.bytes).toBeLessThan(25 * MB);
  });

  it('gives up on a link that is too slow', async () => {
    expect(await fetchLink(`${files.origin}/slow`, opts({ timeoutMs: 500 }))).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('stops before the body when the type is not one the message takes', async () => {
    const checkType = (mime: string) => (mime === 'application/pdf' ? null : `Media type ${mime} is not supported for document messages.`);
    const r = await fetchLink(`${files.origin}/huge-declared`, opts({ maxBytes: 400 * MB, checkType }));
    expect(r).toStrictEqual({ ok: false, reason: 'unsupported_type', details: 'Media type image/png is not supported for document messages.' });
    expect(sent.get('/huge-declared')!.bytes).toBeLessThan(25 * MB);
  });

  it('reports an HTTP error status', async () => {
    expect(await fetchLink(`${files.origin}/missing.png`, opts())).toStrictEqual({ ok: false, reason: 'http_status', details: 'Downloading the media from the link failed with HTTP 404.' });
  });
});
