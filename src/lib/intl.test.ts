import { describe, expect, it } from 'vitest';
import { dateTimeFormat, numberFormat } from './intl.js';

describe('cached Intl formatters', () => {
  it('gives the same formatter for the same locale and options (equal, not identical, objects), another otherwise', () => {
    const a = dateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });
    expect(dateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' })).toBe(a);
    expect(dateTimeFormat('fr-FR', { timeZone: 'America/Sao_Paulo', hour: '2-digit', minute: '2-digit' })).not.toBe(a);
    expect(dateTimeFormat('de-DE', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' })).not.toBe(a);
    expect(numberFormat('de-DE', { maximumFractionDigits: 2 })).toBe(numberFormat('de-DE', { maximumFractionDigits: 2 }));
  });

  it('formats as a new formatter would', () => {
    const at = new Date('2026-03-29T01:30:00Z'); // the spring-forward night in Paris
    const o: Intl.DateTimeFormatOptions = { timeZone: 'Europe/Paris', weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hour12: false };
    expect(dateTimeFormat('it-IT', o).format(at)).toBe(new Intl.DateTimeFormat('it-IT', o).format(at));
    expect(numberFormat('fr-FR', { maximumFractionDigits: 2 }).format(5.8)).toBe('5,8');
  });
});
