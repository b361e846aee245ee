import { describe, expect, it } from 'vitest';
import { extractDateOfBirth } from './date-of-birth.js';

const now = new Date('2026-12-01T10:00:00Z');

describe('date of birth', () => {
  it('reads numeric dates day-first outside English, two-digit years in the past', () => {
    expect(extractDateOfBirth('12/03/1985', 'fr', now)).toBe('1985-03-12');
    expect(extractDateOfBirth('12.03.85', 'de', now)).toBe('1985-03-12');
    expect(extractDateOfBirth('nata il 05/07/2001', 'it', now)).toBe('2001-07-05');
    expect(extractDateOfBirth('05/07/19', 'es', now)).toBe('2019-07-05');
  });

  it('reads month names in six languages', () => {
    expect(extractDateOfBirth('born 3 March 1985', 'en', now)).toBe('1985-03-03');
    expect(extractDateOfBirth('born March 3rd, 1985', 'en', now)).toBe('1985-03-03');
    expect(extractDateOfBirth('né le 3 mars 1985', 'fr', now)).toBe('1985-03-03');
    expect(extractDateOfBirth('nací el 3 de marzo de 1985', 'es', now)).toBe('1985-03-03');
    expect(extractDateOfBirth('nasci a 3 de março de 1985', 'pt', now)).toBe('1985-03-03');
    expect(extractDateOfBirth('geboren am 3. März 1985', 'de', now)).toBe('1985-03-03');
  });

  it('in English takes the unambiguous reading and refuses an ambiguous one', () => {
    expect(extractDateOfBirth('03/13/1985', 'en', now)).toBe('1985-03-13');
    expect(extractDateOfBirth('13/03/1985', 'en', now)).toBe('1985-03-13');
    expect(extractDateOfBirth('03/04/1985', 'en', now)).toBeUndefined();
  });

  it('only plausible dates of birth, only when the message reads as one', () => {
    expect(extractDateOfBirth('born 12/03/2030', 'en', now)).toBeUndefined();
    expect(extractDateOfBirth('born 1/1/1890', 'en', now)).toBeUndefined();
    expect(extractDateOfBirth('data de nascimento 31/02/1990', 'pt', now)).toBeUndefined();
    expect(extractDateOfBirth('je ne peux pas venir, opéré le 12/03/2020', 'fr', now)).toBeUndefined();
    expect(extractDateOfBirth('rdv le 12/03/2027 svp', 'fr', now)).toBeUndefined();
  });
});
