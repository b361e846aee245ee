// What a Graph API error means for a send: parsing the error body and classifying its code (cloud-api.md §9).
import { z } from 'zod';

export type GraphError = {
  httpStatus: number;
  code: number | null;
  title: string | null;
  details: string | null;
  fbtraceId: string | null;
};

/**
 * - retry: transient; back off and resend the same message.
 * - retry_recipient: pair rate limit; only this recipient waits, other sends go on.
 * - permanent: this send will never succeed as it is; do not resend.
 * - fix: the request or setup is wrong; a human must change something before a resend.
 * - pause: nothing can be sent (token, billing, restricted account); stop the whole queue and alert.
 */
export type GraphErrorAction = 'retry' | 'retry_recipient' | 'permanent' | 'fix' | 'pause';
export type RetryAction = Extract<GraphErrorAction, 'retry' | 'retry_recipient'>;
export type Classification = { action: GraphErrorAction; reason: string };

const errorBodySchema = z.object({
  error: z.object({
    message: z.string().optional().catch(undefined),
    code: z.number().int().optional().catch(undefined),
    error_data: z.object({ details: z.string().optional().catch(undefined) }).loose().optional().catch(undefined),
    fbtrace_id: z.string().optional().catch(undefined),
  }),
});

/** Reads `{error:{message, type, code, error_data:{details}, fbtrace_id}}`; anything else yields nulls, never a throw. */
export function parseGraphError(httpStatus: number, body: unknown): GraphError {
  const parsed = errorBodySchema.safeParse(typeof body === 'string' ? parseJsonOrNull(body) : body);
  if (!parsed.success) return { httpStatus, code: null, title: null, details: null, fbtraceId: null };
  const { message, code, error_data, fbtrace_id } = parsed.data.error;
  return {
    httpStatus,
    code: code ?? null,
    // Messages read "(#131030) Recipient phone number not in allowed list"; the code is kept separately.
    title: message === undefined ? null : message.replace(/^\(#\d+\)\s*/, '') || null,
    details: error_data?.details ?? null,
    fbtraceId: fbtrace_id ?? null,
  };
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const RULES: readonly { codes: readonly (number | readonly [number, number])[]; action: GraphErrorAction; reason: string }[] = [
  { codes: [130429], action: 'retry', reason: 'throughput limit of the business number' },
  // 17 and 613 are the generic Graph user/call rate limits; the spec's examples use them beside 4 and 80007.
  { codes: [4, 17, 613, 80007], action: 'retry', reason: 'API call rate limit' },
  { codes: [131000], action: 'retry', reason: 'unknown Cloud API error' },
  { codes: [1, 2, 131016, 133004], action: 'retry', reason: 'service temporarily unavailable' },
  { codes: [131057], action: 'retry', reason: 'business number in maintenance' },
  { codes: [131064], action: 'retry', reason: 'limited for template-category misuse until the enforcement period ends' },
  { codes: [131056], action: 'retry_recipient', reason: 'pair rate limit for this recipient' },
  // 104 is "an access token is required": as fatal for every send as an expired one.
  { codes: [0, 104, 190], action: 'pause', reason: 'access token invalid or expired' },
  { codes: [131042], action: 'pause', reason: 'payment method problem' },
  { codes: [368, 131031, 130497], action: 'pause', reason: 'account restricted or disabled' },
  { codes: [131047], action: 'permanent', reason: 'customer service window closed; send a template' },
  { codes: [131026], action: 'permanent', reason: 'recipient cannot receive this message' },
  { codes: [131048], action: 'permanent', reason: 'spam rate limit' },
  { codes: [131049], action: 'permanent', reason: 'per-user marketing limit' },
  { codes: [131050], action: 'permanent', reason: 'recipient stopped marketing messages' },
  { codes: [130403], action: 'permanent', reason: 'recipient blocked by the business' },
  { codes: [131051], action: 'permanent', reason: 'unsupported message type' },
  { codes: [131052], action: 'permanent', reason: 'media could not be downloaded' },
  { codes: [100, 131008, 131009, 135000, 33], action: 'fix', reason: 'invalid or missing parameter' },
  { codes: [131021], action: 'fix', reason: 'sender and recipient are the same number' },
  { codes: [131053], action: 'fix', reason: 'media could not be uploaded (type or size)' },
  { codes: [[132000, 132018], 132068], action: 'fix', reason: 'template or Flow problem' },
  { codes: [131062], action: 'fix', reason: 'this message needs a phone number recipient, not a BSUID' },
  { codes: [133010, 131045], action: 'fix', reason: 'business number not registered' },
  { codes: [3, 10, [200, 299], 131005], action: 'fix', reason: 'missing permission' },
];

/** What to do about a failed send, from the Cloud API error code and, for unknown codes, the HTTP status. */
export function classify(code: number | null, httpStatus?: number): Classification {
  if (code !== null) {
    for (const rule of RULES) {
      if (rule.codes.some((c) => (typeof c === 'number' ? c === code : code >= c[0] && code <= c[1]))) {
        return { action: rule.action, reason: `${rule.reason} (${code})` };
      }
    }
  }
  const what = code === null ? 'no error code' : `unknown error code ${code}`;
  // No status at all means no answer (network failure, timeout): the send is in doubt, like a 5xx.
  if (httpStatus === undefined && code === null) return { action: 'retry', reason: 'no answer from the Cloud API' };
  if (httpStatus === undefined) return { action: 'fix', reason: what };
  if (httpStatus >= 500 || httpStatus === 408) return { action: 'retry', reason: `${what}, HTTP ${httpStatus}` };
  if (httpStatus === 429) return { action: 'retry', reason: `${what}, HTTP 429` };
  return { action: 'fix', reason: `${what}, HTTP ${httpStatus}` };
}

export function classifyGraphError(error: GraphError): Classification {
  return classify(error.code, error.httpStatus);
}

const SECOND = 1000;
const RETRY_CAP_MS = 5 * 60 * SECOND;
const RECIPIENT_CAP_MS = 15 * 60 * SECOND;

/**
 * Delay before resend number `attempt` (0 = first resend). retry: 1 s doubling, capped at 5 min, with jitter
 * between 50 % and 100 % so that many queued sends do not come back at once. retry_recipient: Meta's pair-rate
 * rule of 4^n seconds, capped at 15 min, plus up to 10 % jitter.
 */
export function backoffMs(action: RetryAction, attempt: number, random: () => number = Math.random): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const r = Math.min(Math.max(random(), 0), 1);
  if (action === 'retry') {
    const base = Math.min(SECOND * 2 ** n, RETRY_CAP_MS);
    return Math.round(base * (0.5 + 0.5 * r));
  }
  const base = Math.min(SECOND * 4 ** n, RECIPIENT_CAP_MS);
  return Math.round(base * (1 + 0.1 * r));
}
