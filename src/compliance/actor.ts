// Who an /api request acts as, for the audit log.
import type { FastifyRequest } from 'fastify';
import type { AuditActor } from './audit.js';

export function actorOf(req: FastifyRequest): AuditActor {
  const p = req.principal;
  if (!p) return { type: 'system', id: 'anonymous' };
  if (p.kind === 'user') return { type: 'staff', id: p.id };
  return { type: 'token', id: p.id };
}
