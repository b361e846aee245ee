// The inbox API's shapes (zod: validation, serialisation and the OpenAPI document).
import { z } from 'zod';

export const listStates = ['needs_human', 'bot', 'closed', 'all'] as const;

export const conversationsQuery = z.object({
  state: z.enum(listStates).default('all'),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const patientParams = z.object({ patientId: z.string().max(64) });
export const alertParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

const iso = z.string();
const handoffSchema = z.object({
  id: z.string(),
  state: z.enum(['open', 'assigned', 'closed']),
  reason: z.string(),
  priority: z.enum(['emergency', 'high', 'normal']),
  assignedTo: z.string().nullable(),
  openedAt: iso,
  closedAt: iso.nullable(),
});

export const conversationSchema = z.object({
  patientId: z.string(),
  displayName: z.string().nullable(),
  phoneMasked: z.string().nullable(),
  language: z.string().nullable(),
  handoff: handoffSchema.nullable(),
  lastMessageAt: iso.nullable(),
  lastMessagePreview: z.string().nullable(),
  lastMessageDirection: z.enum(['in', 'out']).nullable(),
  unread: z.number().int(),
  windowOpen: z.boolean(),
  windowClosesAt: iso.nullable(),
  alerts: z.number().int(),
});

const contentSchema = z.object({ type: z.string(), text: z.string().nullable(), media: z.boolean(), choices: z.array(z.string()).optional() });

export const threadEntrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('in'), id: z.string(), at: iso, content: contentSchema }),
  z.object({ kind: z.literal('out'), id: z.string(), at: iso, content: contentSchema, delivery: z.enum(['queued', 'sent', 'delivered', 'read', 'failed', 'cancelled']), by: z.enum(['bot', 'staff']), errorCode: z.number().int().nullable() }),
  z.object({ kind: z.literal('note'), id: z.string(), at: iso, text: z.string().nullable(), authorId: z.string().nullable() }),
  z.object({ kind: z.literal('event'), id: z.string(), at: iso, event: z.string(), actorType: z.string(), actorId: z.string().nullable(), assignedTo: z.string().nullable() }),
  z.object({ kind: z.literal('standby'), id: z.string(), at: iso, item: z.string(), content: contentSchema, status: z.string().nullable() }),
]);

export const threadSchema = z.object({
  patientId: z.string(),
  displayName: z.string().nullable(),
  phoneMasked: z.string().nullable(),
  language: z.string().nullable(),
  handoff: handoffSchema.nullable(),
  windowOpen: z.boolean(),
  windowClosesAt: iso.nullable(),
  alerts: z.array(z.object({ id: z.number().int(), kind: z.string(), codes: z.array(z.string()), createdAt: iso })),
  entries: z.array(threadEntrySchema),
});

export const assignBody = z.object({ userId: z.uuid().optional() }).strict();
export const textBody = z.object({ text: z.string().trim().min(1).max(4096) }).strict();

export const actionResult = z.object({ handoffId: z.string().nullable(), outboxId: z.number().int().optional(), noteId: z.string().optional(), assignedTo: z.string().optional(), created: z.boolean().optional() });

export const alertsQuery = z.object({
  state: z.enum(['open', 'all']).default('open'),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const alertSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  patientId: z.string().nullable(),
  handoffId: z.string().nullable(),
  codes: z.array(z.string()),
  createdAt: iso,
  acknowledgedAt: iso.nullable(),
  acknowledgedBy: z.string().nullable(),
});
