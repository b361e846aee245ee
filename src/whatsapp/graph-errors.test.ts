import { describe, expect, it } from 'vitest';
import { errorBodies } from '../../test/meta-spec.js';
import { backoffMs, classify, classifyGraphError, parseGraphError, type GraphErrorAction } from './graph-errors.js';

const table: [GraphErrorAction, number[]][] = [
  ['retry', [130429, 4, 80007, 131000, 1, 2, 131016, 133004, 131057, 131064, 17, 613]],
  ['retry_recipient', [131056]],
  ['pause', [0, 190, 104, 131042, 368, 131031, 130497]],
  ['permanent', [131047, 131026, 131048, 131049, 131050, 130403, 131051, 131052]],
  [
    'fix',
    [
      100, 131008, 131009, 135000, 33, 131021, 131053, 132000, 132001, 132005, 132007, 132012, 132015, 132016, 132018,
      132068, 131062, 133010, 131045, 3, 10, 200, 250, 299, 131005,
    ],
  ],
];

describe('classify', () => {
  for (const [action, codes] of table) {
    it.each(codes)(`%i → ${action}`, (code) => {
      // The listed codes do not depend on the HTTP status.
      for (const status of [undefined, 200, 400, 403, 429, 500, 503]) {
        const c = classify(code, status);
        expect(c.action).toBe(action);
        expect(c.reason).toContain(String(code));
      }
    });
  }

  it('covers every code of 132000–132018', () => {
    for (let code = 132000; code <= 132018; code++) expect(classify(code).action).toBe('fix');
    expect(classify(131999, 400).action).toBe('fix'); // unknown 4xx, not the range
    expect(classify(132019, 500).action).toBe('retry'); // unknown 5xx: outside the range
  });

  it('sends unknown codes by HTTP status: 5xx retry, 4xx fix', () => {
    expect(classify(999999, 500).action).toBe('retry');
    expect(classify(999999, 502).action).toBe('retry');
    expect(classify(999999, 400).action).toBe('fix');
    expect(classify(999999, 404).action).toBe('fix');
    expect(classify(null, 503).action).toBe('retry');
    expect(classify(null, 401).action).toBe('fix');
  });

  it('retries 429 and 408 without a known code (rate limit, request timeout)', () => {
    expect(classify(null, 429).action).toBe('retry');
    expect(classify(999999, 408).action).toBe('retry');
  });

  it('retries when there was no answer at all, and asks a human for an unknown code from a webhook', () => {
    expect(classify(null).action).toBe('retry');
    expect(classify(999999).action).toBe('fix');
  });

  it('never puts anything but the code in the reason', () => {
    expect(classify(131047).reason).toBe('customer service window closed; send a template (131047)');
  });
});

describe('parseGraphError', () => {
  it('reads the documented send error shape (cloud-api.md §5)', () => {
    const body = {
      error: {
        message: '(#131030) Recipient phone number not in allowed list',
        type: 'OAuthException',
        code: 131030,
        error_data: { messaging_product: 'whatsapp', details: 'Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.' },
        fbtrace_id: 'AbCdEfGhIjK',
      },
    };
    expect(parseGraphError(400, body)).toEqual({
      httpStatus: 400,
      code: 131030,
      title: 'Recipient phone number not in allowed list',
      details: 'Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.',
      fbtraceId: 'AbCdEfGhIjK',
    });
  });

  it('reads a pair rate-limit error and classifies it for the recipient only', () => {
    const err = parseGraphError(400, {
      error: {
        message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
        type: 'OAuthException',
        code: 131056,
        error_data: { messaging_product: 'whatsapp', details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.' },
        fbtrace_id: 'A1',
      },
    });
    expect(err.title).toBe('(Business Account, Consumer Account) pair rate limit hit');
    expect(classifyGraphError(err).action).toBe('retry_recipient');
  });

  it('accepts the body as JSON text', () => {
    const text = JSON.stringify({ error: { message: '(#4) Application request limit reached', type: 'OAuthException', code: 4, fbtrace_id: 'X' } });
    expect(parseGraphError(429, text)).toEqual({ httpStatus: 429, code: 4, title: 'Application request limit reached', details: null, fbtraceId: 'X' });
  });

  it('keeps a message that has no (#code) prefix', () => {
    expect(parseGraphError(401, { error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190 } }).title).toBe(
      'Invalid OAuth access token',
    );
  });

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['an HTML error page', '<html>502 Bad Gateway</html>'],
    ['an empty object', {}],
    ['a string error', { error: 'boom' }],
  ])('yields nulls for %s, without throwing', (_label, body) => {
    expect(parseGraphError(502, body)).toEqual({ httpStatus: 502, code: null, title: null, details: null, fbtraceId: null });
  });

  it('ignores fields of the wrong type instead of failing the whole body', () => {
    expect(parseGraphError(400, { error: { code: '100', message: 42, fbtrace_id: 'T', error_data: { details: 7 } } })).toEqual({
      httpStatus: 400,
      code: null,
      title: null,
      details: null,
      fbtraceId: 'T',
    });
  });

  it('parses every error example of the spec', () => {
    const bodies = errorBodies();
    expect(bodies.length).toBeGreaterThan(100);
    const actions = new Set<string>();
    for (const { at, body } of bodies) {
      const err = parseGraphError(400, body);
      expect(err.code, at).toBe(body.error['code']);
      const message = body.error['message'];
      if (typeof message === 'string') expect(err.title, at).toBe(message.replace(/^\(#\d+\)\s*/, ''));
      const trace = body.error['fbtrace_id'];
      expect(err.fbtraceId, at).toBe(typeof trace === 'string' ? trace : null);
      actions.add(classifyGraphError(err).action);
    }
    expect([...actions].sort()).toEqual(['fix', 'pause', 'retry']);
  });

  it('classifies the spec shared responses as their names say', () => {
    const byName = new Map(errorBodies().map(({ at, body }) => [at, body]));
    const at = (name: string) => {
      const body = byName.get(`$.components.responses.${name}.value`);
      if (!body) throw new Error(`no example ${name}`);
      return classifyGraphError(parseGraphError(400, body)).action;
    };
    expect(at('TooManyRequests.content.application/json.examples.RateLimitExceeded')).toBe('retry');
    expect(at('Unauthorized.content.application/json.examples.InvalidAccessToken')).toBe('pause');
    expect(at('NotFound.content.application/json.examples.TemplateNotFound')).toBe('fix');
    expect(at('InternalServerError.content.application/json.examples.UnexpectedError')).toBe('retry');
  });
});

describe('backoffMs', () => {
  const low = () => 0;
  const high = () => 1;
  const mid = () => 0.5;

  it('retry doubles from 1 s with jitter between 50 % and 100 %', () => {
    expect([0, 1, 2, 3].map((n) => backoffMs('retry', n, high))).toEqual([1000, 2000, 4000, 8000]);
    expect([0, 1, 2, 3].map((n) => backoffMs('retry', n, low))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs('retry', 2, mid)).toBe(3000);
  });

  it('retry is capped at 5 minutes', () => {
    expect(backoffMs('retry', 8, high)).toBe(256_000);
    expect(backoffMs('retry', 9, high)).toBe(300_000);
    expect(backoffMs('retry', 50, high)).toBe(300_000);
    expect(backoffMs('retry', 5000, low)).toBe(150_000);
  });

  it('retry_recipient follows 4^n seconds plus up to 10 %', () => {
    expect([0, 1, 2, 3].map((n) => backoffMs('retry_recipient', n, low))).toEqual([1000, 4000, 16_000, 64_000]);
    expect([0, 1, 2].map((n) => backoffMs('retry_recipient', n, high))).toEqual([1100, 4400, 17_600]);
  });

  it('retry_recipient is capped at 15 minutes before jitter', () => {
    expect(backoffMs('retry_recipient', 4, low)).toBe(256_000);
    expect(backoffMs('retry_recipient', 5, low)).toBe(900_000);
    expect(backoffMs('retry_recipient', 40, high)).toBe(990_000);
  });

  it('stays within bounds for any random value and treats bad attempts as 0', () => {
    for (let n = 0; n < 30; n++) {
      for (const r of [0, 0.1, 0.37, 0.99, 1]) {
        const retry = backoffMs('retry', n, () => r);
        expect(retry).toBeGreaterThanOrEqual(500);
        expect(retry).toBeLessThanOrEqual(300_000);
        const pair = backoffMs('retry_recipient', n, () => r);
        expect(pair).toBeGreaterThanOrEqual(1000);
        expect(pair).toBeLessThanOrEqual(990_000);
      }
    }
    expect(backoffMs('retry', -3, high)).toBe(1000);
    expect(backoffMs('retry', Number.NaN, high)).toBe(1000);
    expect(backoffMs('retry', 1.9, high)).toBe(2000);
    expect(backoffMs('retry', 0, () => 7)).toBe(1000);
  });

  it('uses Math.random by default', () => {
    const v = backoffMs('retry', 3);
    expect(v).toBeGreaterThanOrEqual(4000);
    expect(v).toBeLessThanOrEqual(8000);
  });
});
