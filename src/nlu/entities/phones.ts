// Phone numbers in a message, as E.164 when they can be normalised: an international prefix (+ or 00), or a
// national number of the default region (FR for the demo clinic: 0X XX XX XX XX → +33 X XX XX XX XX).
// Otherwise the digits as written. Rules, not a numbering-plan library: good enough to pre-fill a form a
// person then checks; dates ("12/03/1985"), blood pressures ("120/80") and times are not phone numbers.

/** National trunk prefix and country code of the regions we default to. */
const REGIONS: Record<string, { cc: string; nationalLength: number }> = {
  FR: { cc: '33', nationalLength: 10 },
  IT: { cc: '39', nationalLength: 10 },
  ES: { cc: '34', nationalLength: 9 },
  PT: { cc: '351', nationalLength: 9 },
  DE: { cc: '49', nationalLength: 11 },
  GB: { cc: '44', nationalLength: 11 },
};

export function normalizePhone(raw: string, region = 'FR'): string | null {
  const digits = raw.replace(/\D/g, '');
  const international = /^\s*(\+|00)/.test(raw);
  if (international) {
    const d = raw.trim().startsWith('+') ? digits : digits.slice(2);
    // "+33 (0)6 12 …": the national 0 in brackets is dropped.
    const withoutTrunk = /\(0\)/.test(raw) ? d.replace(/^(\d{1,3}?)0/, '$1') : d;
    return withoutTrunk.length >= 8 && withoutTrunk.length <= 15 ? `+${withoutTrunk}` : null;
  }
  const r = REGIONS[region];
  if (r && digits.startsWith('0') && !digits.startsWith('00')) {
    if (region === 'FR' && digits.length !== 10) return null;
    if (digits.length >= 9 && digits.length <= r.nationalLength + 1) return `+${r.cc}${digits.slice(1)}`;
  }
  if (r && region === 'ES' && digits.length === 9 && /^[6789]/.test(digits)) return `+34${digits}`;
  if (r && region === 'IT' && /^3\d{8,9}$/.test(digits)) return `+39${digits}`;
  return digits.length >= 8 && digits.length <= 15 ? digits : null;
}

export function extractPhones(text: string, region = 'FR'): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?<![\w/.,:+])(?:\+|00)?\d(?:[\d \u00a0().-]*\d)?(?![\w/]|[.,:]\d)/g)) {
    const raw = m[0];
    const digits = raw.replace(/\D/g, '');
    if (digits.length < 8 || digits.length > 15) continue;
    // Dates with dots or dashes ("12.03.1985", "2026-12-01").
    if (/^\d{1,4}[.-]\d{1,2}[.-]\d{2,4}$/.test(raw)) continue;
    const phone = normalizePhone(raw, region);
    if (phone && !out.includes(phone)) out.push(phone);
  }
  return out;
}
