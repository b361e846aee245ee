// The sandbox fetches a media `link` from a send as Meta would, but from inside the operator's network: so it
// fetches only what Meta could reach. http(s) only; public addresses only, checked on the address each socket
// actually connects to (a name that resolves to 127.0.0.1 or to a cloud metadata service is refused, however it
// resolved a moment earlier); redirects only within the same origin, a few, each checked again; the type's size
// limit counted while reading; one timeout over the whole fetch. A refused link is not connected to at all.
//
// Loopback and private addresses are allowed for one origin only: the app's own PUBLIC_URL. A developer running
// the sandbox on a laptop (PUBLIC_URL http://127.0.0.1:3000) may link files the app itself serves; any other
// local service (a database, an admin port, another app) stays out of reach. Link-local and metadata addresses
// are refused even there: nothing legitimate is served from them.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** Never: link-local (cloud metadata lives there), metadata addresses, multicast, documentation, reserved. */
const NEVER = new net.BlockList();
/** Only for the app's own origin: loopback, private, shared (CGNAT), unspecified, and IPv6 forms that embed them. */
const LOCAL = new net.BlockList();
for (const [addr, prefix] of [
  ['169.254.0.0', 16], ['100.100.100.200', 32], ['192.0.2.0', 24], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NEVER.addSubnet(addr, prefix, 'ipv4');
for (const [addr, prefix] of [['fe80::', 10], ['fd00:ec2::254', 128], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64]] as const) NEVER.addSubnet(addr, prefix, 'ipv6');
for (const [addr, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['192.0.0.0', 24], ['198.18.0.0', 15],
] as const) LOCAL.addSubnet(addr, prefix, 'ipv4');
// ::/96 covers :: and ::1 and the old IPv4-compatible form; NAT64, 6to4 and Teredo can all lead back to IPv4.
for (const [addr, prefix] of [['::', 96], ['fc00::', 7], ['fec0::', 10], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2002::', 16], ['2001::', 32]] as const) LOCAL.addSubnet(addr, prefix, 'ipv6');

/** Names of cloud metadata services, refused before any lookup. */
const METADATA_HOSTS = new Set([
  'metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.internal', 'instance-data', 'instance-data.ec2.internal',
  'metadata.tencentyun.com', 'metadata.platformequinix.com',
]);

export type AddressClass = 'public' | 'local' | 'never';

export function classifyAddress(address: string): AddressClass {
  const ip = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) is not part of the address
  const family = net.isIP(ip);
  if (family === 0) return 'never';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (NEVER.check(ip, type)) return 'never';
  if (LOCAL.check(ip, type)) return 'local';
  return 'public';
}

export interface LinkFetchOptions {
  maxBytes: number;
  /** The app's own origin (PUBLIC_URL), where local addresses are allowed. */
  ownOrigin: string | null;
  timeoutMs?: number;
  maxRedirects?: number;
  /** Checks the Content-Type before the body is read: a problem (Meta-style details) stops there. */
  checkType?: (mimeType: string) => string | null;
  /** Name resolution (tests give one that answers like a rebinding DNS server). */
  lookup?: typeof dns.lookup;
}

export type LinkFetch =
  | { ok: true; bytes: Buffer; mimeType: string }
  | { ok: false; reason: 'refused' | 'http_status' | 'unsupported_type' | 'too_large' | 'unreachable' | 'timeout'; details: string };

class Refused extends Error {
  constructor(readonly details: string) {
    super(details);
  }
}
class TooLarge extends Error {}

const REFUSED_ADDRESS = 'The media link points to an address WhatsApp cannot reach (only public internet addresses are fetched).';

/** Fetches a link under the rules above. Details are PHI-free: they never repeat the link. */
export async function fetchLink(link: string, o: LinkFetchOptions): Promise<LinkFetch> {
  const signal = AbortSignal.timeout(o.timeoutMs ?? 15_000);
  const maxRedirects = o.maxRedirects ?? 3;
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return { ok: false, reason: 'refused', details: 'The media link is not a valid URL.' };
  }
  const origin = url.origin;
  try {
    for (let hop = 0; ; hop++) {
      const r = await request(url, o, signal);
      if (r.kind === 'redirect') {
        r.res.destroy();
        if (hop >= maxRedirects) throw new Refused(`The media link redirected more than ${maxRedirects} times.`);
        const next = new URL(r.location, url);
        if (next.origin !== origin) throw new Refused('The media link redirected to another host.');
        url = next;
        continue;
      }
      return r.result;
    }
  } catch (e) {
    if (e instanceof Refused) return { ok: false, reason: 'refused', details: e.details };
    if (e instanceof TooLarge) return { ok: false, reason: 'too_large', details: `The file behind the media link is larger than ${o.maxBytes} bytes.` };
    if (signal.aborted) return { ok: false, reason: 'timeout', details: 'Downloading the media from the link took too long.' };
    return { ok: false, reason: 'unreachable', details: 'Downloading the media from the link failed (unreachable).' };
  }
}

type Step = { kind: 'redirect'; location: string; res: http.IncomingMessage } | { kind: 'done'; result: LinkFetch };

function request(url: URL, o: LinkFetchOptions, signal: AbortSignal): Promise<Step> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Refused('The media link must be an http or https URL.'));
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (METADATA_HOSTS.has(host)) return Promise.reject(new Refused(REFUSED_ADDRESS));
  const allowLocal = o.ownOrigin !== null && url.origin === o.ownOrigin;
  const allowed = (address: string) => {
    const c = classifyAddress(address);
    return c === 'public' || (c === 'local' && allowLocal);
  };
  // An address in the URL is connected to without a lookup: check it here.
  if (net.isIP(host) && !allowed(host)) return Promise.reject(new Refused(REFUSED_ADDRESS));
  const resolve = o.lookup ?? dns.lookup;
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      // Every answer must be allowed: a mix of public and private answers is how rebinding attacks hide.
      if (addresses.length === 0 || !addresses.every((a) => allowed(a.address))) return callback(new Refused(REFUSED_ADDRESS), '');
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
  return new Promise<Step>((resolvePromise, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'GET',
      // A fresh connection each time, so every request goes through the lookup and connect checks.
      agent: false,
      lookup,
      signal,
      headers: { 'user-agent': 'PatientLine-Sandbox (simulated WhatsApp media fetch)', accept: '*/*' },
    });
    req.on('socket', (socket) => {
      // Belt and braces: whatever resolved, the peer the socket reached must be allowed.
      socket.once('connect', () => {
        if (socket.remoteAddress === undefined || !allowed(socket.remoteAddress)) req.destroy(new Refused(REFUSED_ADDRESS));
      });
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && typeof res.headers.location === 'string') return resolvePromise({ kind: 'redirect', location: res.headers.location, res });
      if (status < 200 || status >= 300) {
        res.destroy();
        return resolvePromise({ kind: 'done', result: { ok: false, reason: 'http_status', details: `Downloading the media from the link failed with HTTP ${status}.` } });
      }
      const mimeType = (res.headers['content-type'] ?? 'application/octet-stream').split(';')[0]?.trim().toLowerCase() ?? '';
      const typeProblem = o.checkType?.(mimeType) ?? null;
      if (typeProblem !== null) {
        res.destroy();
        return resolvePromise({ kind: 'done', result: { ok: false, reason: 'unsupported_type', details: typeProblem } });
      }
      const declared = Number(res.headers['content-length'] ?? 'NaN');
      if (declared > o.maxBytes) {
        res.destroy();
        return reject(new TooLarge());
      }
      const parts: Buffer[] = [];
      let read = 0;
      res.on('data', (piece: Buffer) => {
        read += piece.length;
        if (read > o.maxBytes) return res.destroy(new TooLarge());
        parts.push(piece);
      });
      res.on('error', reject);
      res.on('end', () => {
        resolvePromise({ kind: 'done', result: { ok: true, bytes: Buffer.concat(parts, read), mimeType } });
      });
    });
    req.end();
  });
}
