// Language detection on short chat messages: eld restricted to our six languages plus the training words,
// with the patient's known language winning ties and texts without evidence.
import { describe, expect, it } from 'vitest';
import { LanguageDetector } from './language.js';
import { loadTrainingData } from './training-data.js';

const detector = new LanguageDetector(loadTrainingData().corpus);
const lang = (text: string, preference?: Parameters<LanguageDetector['detect']>[1]) => detector.detect(text, preference).language;

describe('language', () => {
  it('recognises one-word thanks and greetings', () => {
    expect(lang('merci')).toBe('fr');
    expect(lang('grazie')).toBe('it');
    expect(lang('gracias')).toBe('es');
    expect(lang('obrigado')).toBe('pt');
    expect(lang('danke')).toBe('de');
    expect(lang('thanks')).toBe('en');
    expect(lang('bonjour')).toBe('fr');
    expect(lang('hola')).toBe('es');
    expect(lang('moin')).toBe('de');
  });

  it('keeps the known language for texts that say nothing ("ok", numbers) and for ties', () => {
    expect(lang('ok', 'it')).toBe('it');
    expect(lang('ok', 'de')).toBe('de');
    expect(lang('120/80', 'pt')).toBe('pt');
    expect(lang('?', 'es')).toBe('es');
    expect(detector.detect('', undefined)).toEqual({ language: 'en', confidence: 0 });
  });

  it('lets clear evidence override the known language', () => {
    expect(lang('merci beaucoup', 'en')).toBe('fr');
    expect(lang('ich möchte einen Termin für morgen', 'fr')).toBe('de');
    expect(lang('quiero cancelar mi cita de mañana', 'pt')).toBe('es');
    expect(lang('quero cancelar a minha consulta de amanhã', 'es')).toBe('pt');
  });

  it('reads chat spellings and messages without accents', () => {
    expect(lang('rdv demain svp')).toBe('fr');
    expect(lang('need appt tmrw pls')).toBe('en');
    expect(lang('vorrei un appuntamento x domani')).toBe('it');
    expect(lang('obg pela ajuda')).toBe('pt');
    expect(lang('nao consigo ir amanha')).toBe('pt');
    expect(lang('manana no puedo ir')).toBe('es');
  });

  it('reads the marked letters of very short texts ("sí" is Spanish, "sì" Italian, "já" Portuguese)', () => {
    expect(lang('sí')).toBe('es');
    expect(lang('sì')).toBe('it');
    expect(lang('já')).toBe('pt');
    expect(lang('não')).toBe('pt');
    expect(lang('grüß dich')).toBe('de');
    expect(lang('¿cita?')).toBe('es');
  });

  it('gives a confidence in 0..1', () => {
    const r = detector.detect('bonjour, je voudrais un rendez-vous');
    expect(r.language).toBe('fr');
    expect(r.confidence).toBeGreaterThan(0.5);
    expect(r.confidence).toBeLessThanOrEqual(1);
  });
});
