// The emergency reply in every language: the number first and prominent, within Cloud API limits, the crisis
// line only for self-harm and only when the clinic has one, the "talk to staff" button.
import { describe, expect, it } from 'vitest';
import { LANGUAGES, RED_FLAG_KINDS, type RedFlag } from '../nlu/types.js';
import { assertWithinLimits } from '../whatsapp/outbound.js';
import { emergencyReply } from './emergency.js';
import { CATALOGUES, demoClinic, translator } from './triage/testing.js';

const chest: RedFlag[] = [{ kind: 'chest_pain', match: 'chest pain' }];
const selfHarm: RedFlag[] = [{ kind: 'self_harm', match: 'want to die' }];
const bodyOf = (m: ReturnType<typeof emergencyReply>[number]): string =>
  m.type === 'text' ? m.text.body : m.type === 'interactive' ? m.interactive.body.text : '';

describe.each(LANGUAGES)('emergency reply in %s', (language) => {
  const t = translator(language);

  it('opens with a text that carries the emergency number in its first line, within limits', () => {
    for (const kind of RED_FLAG_KINDS) {
      const messages = emergencyReply([{ kind, match: 'x' }], demoClinic(), t);
      expect(messages[0]!.type).toBe('text');
      const body = bodyOf(messages[0]!);
      expect(body.split('\n')[0]).toContain('112');
      expect(body).not.toMatch(/\{\{|\}\}|emergency\.[a-z]/i);
      for (const m of messages) expect(() => assertWithinLimits(m)).not.toThrow();
    }
  });

  it('is in the patient language: every sentence comes from that catalogue', () => {
    const body = bodyOf(emergencyReply(chest, demoClinic(), t)[0]!);
    const section = CATALOGUES[language]['emergency']!;
    expect(body).toContain(section['whileWaiting']!);
    expect(body).toContain(section['staffAlerted']!.replace('{{number}}', '112'));
  });

  it('offers the crisis line for self-harm only, and only when the clinic has one', () => {
    const line = '3114';
    const withLine = demoClinic({ crisisLine: line });
    expect(bodyOf(emergencyReply(selfHarm, withLine, t)[0]!)).toContain(line);
    expect(bodyOf(emergencyReply(selfHarm, withLine, t)[0]!)).toContain('112');
    expect(bodyOf(emergencyReply(chest, withLine, t)[0]!)).not.toContain(line);
    const without = bodyOf(emergencyReply(selfHarm, demoClinic(), t)[0]!);
    expect(without).toContain('112');
    expect(without).not.toContain(CATALOGUES[language]['emergency']!['crisisLine']!.slice(0, 12));
  });

  it('uses the clinic’s own number', () => {
    const body = bodyOf(emergencyReply(chest, demoClinic({ emergencyNumber: '911' }), t)[0]!);
    expect(body.split('\n')[0]).toContain('911');
    expect(body).not.toContain('112');
  });

  it('follows with a "talk to staff" button for the handoff flow', () => {
    const second = emergencyReply(chest, demoClinic(), t)[1]!;
    expect(second.type).toBe('interactive');
    if (second.type !== 'interactive' || second.interactive.type !== 'button') throw new Error('expected reply buttons');
    expect(second.interactive.action.buttons.map((b) => b.reply.id)).toEqual(['handoff:human']);
    expect(second.interactive.body.text).toContain('112');
  });
});

it('adds the poisoning advice for poisoning only', () => {
  const t = translator('en');
  const poison = bodyOf(emergencyReply([{ kind: 'poisoning', match: 'bleach' }], demoClinic(), t)[0]!);
  expect(poison).toContain('packaging');
  expect(bodyOf(emergencyReply(chest, demoClinic(), t)[0]!)).not.toContain('packaging');
});

it('every emergency key exists in all six languages', () => {
  const keys = Object.keys(CATALOGUES.en['emergency']!).sort();
  expect(keys.length).toBeGreaterThan(5);
  for (const language of LANGUAGES) expect(Object.keys(CATALOGUES[language]['emergency']!).sort()).toEqual(keys);
});
