// The confirmation text staff bookings send (when the patient consented to care messages and their 24 h
// window is open): date and time in the location's zone and the patient's language, the practitioner, the
// address or the video link, and the preparation instructions. The chat flow has its own, richer one.
import type { LocalizedText } from '../db/schema.js';

const LINES: Record<string, { booked: string; with: string; video: string; where: string; prepare: string }> = {
  en: { booked: 'Your appointment is booked', with: 'with', video: 'Video link', where: 'Address', prepare: 'Before you come' },
  fr: { booked: 'Votre rendez-vous est confirmé', with: 'avec', video: 'Lien vidéo', where: 'Adresse', prepare: 'Avant de venir' },
  it: { booked: 'Il suo appuntamento è prenotato', with: 'con', video: 'Link video', where: 'Indirizzo', prepare: 'Prima di venire' },
  es: { booked: 'Su cita está reservada', with: 'con', video: 'Enlace de vídeo', where: 'Dirección', prepare: 'Antes de venir' },
  pt: { booked: 'A sua consulta está marcada', with: 'com', video: 'Link de vídeo', where: 'Morada', prepare: 'Antes de vir' },
  de: { booked: 'Ihr Termin ist gebucht', with: 'bei', video: 'Video-Link', where: 'Adresse', prepare: 'Vor dem Termin' },
};

export function pick(text: LocalizedText | null, language: string, fallback: string): string | null {
  if (!text) return null;
  return text[language] ?? text[fallback] ?? Object.values(text)[0] ?? null;
}

export interface ConfirmationInput {
  language: string;
  defaultLanguage: string;
  zone: string;
  start: Date;
  service: LocalizedText;
  instructions: LocalizedText | null;
  practitioner: string;
  address: string;
  videoUrl: string | null;
}

export function confirmationText(c: ConfirmationInput): string {
  const lang = LINES[c.language] ? c.language : LINES[c.defaultLanguage] ? c.defaultLanguage : 'en';
  const l = LINES[lang]!;
  const when = new Intl.DateTimeFormat(lang, { timeZone: c.zone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' }).format(c.start);
  const lines = [`${l.booked}: ${pick(c.service, lang, c.defaultLanguage)}, ${when}, ${l.with} ${c.practitioner}.`];
  lines.push(c.videoUrl ? `${l.video}: ${c.videoUrl}` : `${l.where}: ${c.address}`);
  const prep = pick(c.instructions, lang, c.defaultLanguage);
  if (prep) lines.push(`${l.prepare}: ${prep}`);
  return lines.join('\n').slice(0, 4096);
}
