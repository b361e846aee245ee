// Security headers for the HTML pages (the staff console, the sandbox phone) through @fastify/helmet: a strict
// CSP (same-origin scripts and styles, nothing inline, no framing), nosniff, no referrer. Register it inside
// the scope that serves pages; a scope may loosen a directive it truly needs (the sandbox's blob: images),
// never script-src.
import type { FastifyHelmetOptions } from '@fastify/helmet';

export type CspDirectives = Record<string, string[]>;

export const CONSOLE_CSP: Readonly<CspDirectives> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

export interface SecurityHeaderOptions {
  /** HSTS only when the public URL is https (a browser ignores it on http anyway, but says nothing wrong). */
  https: boolean;
  /** Directives that replace the console's for this scope. */
  csp?: CspDirectives;
}

export function securityHeaders(opts: SecurityHeaderOptions): FastifyHelmetOptions {
  return {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: { ...CONSOLE_CSP, ...opts.csp } },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: opts.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  };
}
