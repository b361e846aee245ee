// FAQ topics: the seven built-in ones (the first five are NLU intents, shared/ARCHITECTURE.md) with list
// titles in every language, and staff-defined ones (a slug, with the title staff give each entry).
import { z } from 'zod';
import type { Intent, Language } from '../nlu/types.js';

export const BUILT_IN_TOPICS = ['opening_hours', 'location', 'insurance', 'payment', 'accessibility', 'what_to_bring', 'cancellation_policy'] as const;
export type BuiltInTopic = (typeof BUILT_IN_TOPICS)[number];
export function isBuiltInTopic(t: string): t is BuiltInTopic {
  return (BUILT_IN_TOPICS as readonly string[]).includes(t);
}

/** The NLU intents that are FAQ topics: a confident one answers directly. */
export const FAQ_NLU_INTENTS: readonly Intent[] = ['opening_hours', 'location', 'insurance', 'payment', 'accessibility'];

/** A built-in topic's name, or a custom topic's slug (migration 0015's check). */
export const topicSchema = z
  .string()
  .max(64)
  .refine((t) => isBuiltInTopic(t) || /^[a-z0-9]+(-[a-z0-9]+)*$/.test(t), 'must be a built-in topic or a lowercase slug such as flu-vaccine');

/** WhatsApp list-row titles (≤ 24 characters). */
export const BUILT_IN_TITLES: Record<BuiltInTopic, Record<Language, string>> = {
  opening_hours: { en: 'Opening hours', fr: 'Horaires', it: 'Orari', es: 'Horario', pt: 'Horário', de: 'Öffnungszeiten' },
  location: { en: 'Address and access', fr: 'Adresse et accès', it: 'Indirizzo', es: 'Dirección', pt: 'Morada e acesso', de: 'Adresse und Anfahrt' },
  insurance: { en: 'Insurance', fr: 'Assurance, mutuelle', it: 'Assicurazione', es: 'Seguro médico', pt: 'Seguro de saúde', de: 'Krankenversicherung' },
  payment: { en: 'Payment', fr: 'Paiement', it: 'Pagamento', es: 'Pago', pt: 'Pagamento', de: 'Bezahlung' },
  accessibility: { en: 'Accessibility', fr: 'Accessibilité', it: 'Accessibilità', es: 'Accesibilidad', pt: 'Acessibilidade', de: 'Barrierefreiheit' },
  what_to_bring: { en: 'What to bring', fr: 'Quoi apporter', it: 'Cosa portare', es: 'Qué traer', pt: 'O que levar', de: 'Was mitbringen' },
  cancellation_policy: { en: 'Cancel or move', fr: 'Annuler ou déplacer', it: 'Annullare o spostare', es: 'Cancelar o cambiar', pt: 'Cancelar ou alterar', de: 'Absagen, verschieben' },
};

/** The list title of a topic in a language: the entry's own, the built-in one, or its question cut to fit. */
export function topicTitle(topic: string, language: Language, entryTitle: string | null, question: string): string {
  if (entryTitle) return entryTitle;
  if (isBuiltInTopic(topic)) return BUILT_IN_TITLES[topic][language];
  const chars = [...question];
  return chars.length <= 24 ? question : `${chars.slice(0, 23).join('').trimEnd()}…`;
}
