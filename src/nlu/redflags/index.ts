// Red-flag emergency detection: runs first on every inbound text, in every supported language, before
// consent, flows or a human handoff. Replaced by the real detector (issue 13): until then it finds nothing.
import type { Language, RedFlag } from '../types.js';

export function detectRedFlags(_text: string, _language?: Language): RedFlag[] {
  return [];
}
