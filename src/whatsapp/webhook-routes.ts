// GET/POST /webhooks/whatsapp: verification, then signed intake. The body is taken as raw bytes (the
// signature covers them exactly), verified, parsed, stored (one statement; one transaction for a batch too
// large for one), and only then answered 200. No processing happens inside the request: a crash after the
// 200 loses nothing. A signed body is never answered 500 for its content: what cannot be stored is kept as a
// dead letter (inbound-store.ts); only JSON that does not parse at all gets a 400.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Cipher } from '../compliance/crypto.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Metrics } from '../analytics/metrics.js';
import { AppError } from '../lib/errors.js';
import type { IntakePressure } from '../lib/intake-pressure.js';
import { intakeWriter, storeWebhook } from './inbound-store.js';
import { verifySignature } from './signature.js';

export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024;

export interface WebhookDeps {
  config: Config;
  db: Db;
  cipher: Cipher;
  metrics: Metrics;
  /** Counts the webhooks in flight, so this process's background loops let them go first. */
  intake?: IntakePressure;
  /** Called after a webhook is committed: wakes the workers that process it. */
  onStored(what: { messages: number; statuses: number; otherEvents: number; standby?: number }): void;
}

export function webhookRoutes(deps: WebhookDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    // Group commit (intake-writer.ts): webhooks arriving while one is written go together in the next statement.
    const writer = intakeWriter(deps.db);
    // Raw bytes for every content type on this route: the HMAC is over what Meta sent, not a re-serialization.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));

    app.get('/webhooks/whatsapp', async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      if (q['hub.mode'] === 'subscribe' && q['hub.verify_token'] === deps.config.whatsapp.verifyToken && q['hub.challenge'] !== undefined) {
        return reply.type('text/plain').send(q['hub.challenge']);
      }
      throw new AppError('verification_failed', 403, 'Webhook verification failed');
    });

    app.post('/webhooks/whatsapp', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (req, reply) => {
      const end = deps.metrics.webhookDuration.startTimer();
      deps.intake?.enter();
      try {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const header = req.headers['x-hub-signature-256'];
        if (!verifySignature(raw, typeof header === 'string' ? header : undefined, deps.config.whatsapp.appSecret)) {
          deps.metrics.webhookRequests.inc({ outcome: 'unauthorized' });
          req.log.warn({ code: 'bad_signature' }, 'webhook refused: missing or wrong X-Hub-Signature-256');
          throw new AppError('bad_signature', 401, 'Missing or invalid X-Hub-Signature-256');
        }
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          deps.metrics.webhookRequests.inc({ outcome: 'malformed' });
          throw new AppError('malformed_json', 400, 'The body is not valid JSON');
        }
        const r = await storeWebhook(deps.db, deps.cipher, deps.config.whatsapp.phoneNumberId, raw, body, writer);
        if (r.messages) deps.metrics.inboundMessages.inc({ result: 'received' }, r.messages);
        if (r.messagesDeduped) deps.metrics.inboundMessages.inc({ result: 'deduped' }, r.messagesDeduped);
        if (r.statuses) deps.metrics.inboundStatuses.inc({ result: 'received' }, r.statuses);
        if (r.statusesDeduped) deps.metrics.inboundStatuses.inc({ result: 'deduped' }, r.statusesDeduped);
        for (const id of r.foreign) {
          deps.metrics.foreignPhoneNumber.inc();
          req.log.warn({ code: 'foreign_phone_number_id', phoneNumberId: id }, 'webhook change for a phone number that is not ours: ignored');
        }
        if (r.deadLetters) {
          deps.metrics.webhookRequests.inc({ outcome: 'dead_letter' });
          req.log.warn({ code: 'webhook_dead_letter', count: r.deadLetters }, 'signed webhook content failed the schema: kept in webhook_dead_letters');
        } else {
          deps.metrics.webhookRequests.inc({ outcome: 'stored' });
        }
        deps.onStored({ messages: r.messages, statuses: r.statuses, otherEvents: r.otherEvents, standby: r.standby });
        return reply.code(200).send({ ok: true });
      } finally {
        deps.intake?.leave();
        end();
      }
    });
  };
}
