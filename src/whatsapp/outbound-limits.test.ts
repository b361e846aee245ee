import { describe, expect, it } from 'vitest';
import { OutboundLimitError, codePoints, ctaUrl, document, image, list, location, reaction, replyButtons, template, text, video } from './outbound.js';

/** Runs `build` and returns the OutboundLimitError it throws, failing the test if it throws nothing else. */
function limitError(build: () => unknown): OutboundLimitError {
  try {
    build();
  } catch (e) {
    if (e instanceof OutboundLimitError) return e;
    throw e;
  }
  throw new Error('expected an OutboundLimitError');
}

const s = (n: number, ch = 'a') => ch.repeat(n);
const buttons = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `b${i}`, title: `B${i}` }));
const rows = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `R${i}` }));

type Case = { field: string; max: number; build: (value: string) => unknown };

// Each documented length limit: max passes, max + 1 throws naming the field and the limit.
const lengthCases: Case[] = [
  { field: 'text body', max: 4096, build: (v) => text(v) },
  { field: 'body', max: 1024, build: (v) => replyButtons({ body: v, buttons: buttons(1) }) },
  { field: 'header text', max: 60, build: (v) => replyButtons({ body: 'b', header: v, buttons: buttons(1) }) },
  { field: 'footer text', max: 60, build: (v) => replyButtons({ body: 'b', footer: v, buttons: buttons(1) }) },
  { field: 'button title 2', max: 20, build: (v) => replyButtons({ body: 'b', buttons: [{ id: 'a', title: 'A' }, { id: 'b', title: v }] }) },
  { field: 'button id 3', max: 256, build: (v) => replyButtons({ body: 'b', buttons: [...buttons(2), { id: v, title: 'T' }] }) },
  { field: 'body', max: 4096, build: (v) => list({ body: v, button: 'Open', sections: [{ rows: rows(1) }] }) },
  { field: 'header text', max: 60, build: (v) => list({ body: 'b', header: v, button: 'Open', sections: [{ rows: rows(1) }] }) },
  { field: 'footer text', max: 60, build: (v) => list({ body: 'b', footer: v, button: 'Open', sections: [{ rows: rows(1) }] }) },
  { field: 'list button label', max: 20, build: (v) => list({ body: 'b', button: v, sections: [{ rows: rows(1) }] }) },
  { field: 'section title 2', max: 24, build: (v) => list({ body: 'b', button: 'Open', sections: [{ title: 'A', rows: rows(1, 'a') }, { title: v, rows: rows(1, 'b') }] }) },
  { field: 'row id 2', max: 200, build: (v) => list({ body: 'b', button: 'Open', sections: [{ rows: [{ id: 'x', title: 'X' }, { id: v, title: 'Y' }] }] }) },
  { field: 'row title 1', max: 24, build: (v) => list({ body: 'b', button: 'Open', sections: [{ rows: [{ id: 'x', title: v }] }] }) },
  { field: 'row description 1', max: 72, build: (v) => list({ body: 'b', button: 'Open', sections: [{ rows: [{ id: 'x', title: 'X', description: v }] }] }) },
  { field: 'body', max: 1024, build: (v) => ctaUrl({ body: v, displayText: 'Go', url: 'https://x.org' }) },
  { field: 'button display text', max: 20, build: (v) => ctaUrl({ body: 'b', displayText: v, url: 'https://x.org' }) },
  { field: 'header text', max: 60, build: (v) => ctaUrl({ body: 'b', header: v, displayText: 'Go', url: 'https://x.org' }) },
  { field: 'footer text', max: 60, build: (v) => ctaUrl({ body: 'b', footer: v, displayText: 'Go', url: 'https://x.org' }) },
  { field: 'image caption', max: 1024, build: (v) => image({ id: '1' }, v) },
  { field: 'video caption', max: 1024, build: (v) => video({ id: '1' }, v) },
  { field: 'document caption', max: 1024, build: (v) => document({ id: '1' }, { caption: v }) },
  { field: 'template header parameter 1', max: 60, build: (v) => template({ name: 't', language: 'fr', header: v }) },
];

describe('length limits', () => {
  for (const { field, max, build } of lengthCases) {
    it(`${field} ≤ ${max}`, () => {
      expect(() => build(s(max))).not.toThrow();
      const err = limitError(() => build(s(max + 1)));
      expect(err.code).toBe('outbound_limit');
      expect(err.field).toBe(field);
      expect(err.message).toBe(`${field} is ${max + 1} characters; the Cloud API allows ${max}`);
    });

    it(`${field} counts an emoji as one character`, () => {
      // 👍 is 2 UTF-16 units; 👍🏽 is 2 code points; both are counted as the Cloud API counts them.
      expect(() => build(s(max, '👍'))).not.toThrow();
      expect(limitError(() => build(s(max + 1, '👍'))).message).toContain(`is ${max + 1} characters`);
    });

    it(`${field} refuses blank text`, () => {
      for (const blank of ['', '   ', '\n\t', '\u200b', '\u00a0']) {
        expect(limitError(() => build(blank)).message).toBe(`${field} is empty`);
      }
    });
  }
});

describe('the message never quotes the value', () => {
  it('for a too-long title', () => {
    const secret = 'Résultat VIH positif!!';
    const err = limitError(() => replyButtons({ body: 'b', buttons: [{ id: 'a', title: 'x' }, { id: 'b', title: secret }] }));
    expect(err.message).toBe('button title 2 is 22 characters; the Cloud API allows 20');
    expect(err.message).not.toContain('VIH');
  });
});

describe('codePoints', () => {
  it('counts code points', () => {
    expect(codePoints('👍')).toBe(1);
    expect('👍'.length).toBe(2);
    expect(codePoints('👍🏽')).toBe(2);
    expect(codePoints('é')).toBe(1);
    expect(codePoints('')).toBe(0);
  });
});

describe('counts', () => {
  it('reply buttons: 1 to 3', () => {
    expect(limitError(() => replyButtons({ body: 'b', buttons: [] })).field).toBe('reply buttons');
    expect(() => replyButtons({ body: 'b', buttons: buttons(3) })).not.toThrow();
    expect(limitError(() => replyButtons({ body: 'b', buttons: buttons(4) })).message).toBe('reply buttons: 4 given; the Cloud API allows 1 to 3');
  });

  it('reply buttons: unique ids and titles, ids without outer spaces', () => {
    expect(limitError(() => replyButtons({ body: 'b', buttons: [{ id: 'a', title: 'A' }, { id: 'a', title: 'B' }] })).field).toBe('button id 2');
    expect(limitError(() => replyButtons({ body: 'b', buttons: [{ id: 'a', title: 'A' }, { id: 'b', title: 'A' }] })).field).toBe('button title 2');
    expect(limitError(() => replyButtons({ body: 'b', buttons: [{ id: ' a', title: 'A' }] })).field).toBe('button id 1');
  });

  it('list sections: 1 to 10', () => {
    const sections = (n: number) => Array.from({ length: n }, (_, i) => ({ title: `S${i}`, rows: [{ id: `r${i}`, title: 'R' }] }));
    expect(limitError(() => list({ body: 'b', button: 'Open', sections: [] })).field).toBe('list sections');
    expect(() => list({ body: 'b', button: 'Open', sections: sections(10) })).not.toThrow();
    expect(limitError(() => list({ body: 'b', button: 'Open', sections: sections(11) })).field).toBe('list sections');
  });

  it('list rows: at most 10 in total across sections', () => {
    expect(() => list({ body: 'b', button: 'Open', sections: [{ rows: rows(10) }] })).not.toThrow();
    expect(() => list({ body: 'b', button: 'Open', sections: [{ title: 'A', rows: rows(6, 'a') }, { title: 'B', rows: rows(4, 'b') }] })).not.toThrow();
    const err = limitError(() => list({ body: 'b', button: 'Open', sections: [{ title: 'A', rows: rows(6, 'a') }, { title: 'B', rows: rows(5, 'b') }] }));
    expect(err.message).toBe('list rows: 11 given; the Cloud API allows 1 to 10');
  });

  it('list: an empty section, a missing title with several sections, duplicate row ids', () => {
    expect(limitError(() => list({ body: 'b', button: 'Open', sections: [{ title: 'A', rows: rows(1) }, { title: 'B', rows: [] }] })).field).toBe('section 2 rows');
    expect(limitError(() => list({ body: 'b', button: 'Open', sections: [{ title: 'A', rows: rows(1, 'a') }, { rows: rows(1, 'b') }] })).field).toBe('section title 2');
    expect(limitError(() => list({ body: 'b', button: 'Open', sections: [{ title: 'A', rows: rows(1) }, { title: 'B', rows: rows(1) }] })).field).toBe('row id 2');
  });
});

describe('other rules', () => {
  it('cta_url needs an http(s) URL', () => {
    expect(() => ctaUrl({ body: 'b', displayText: 'Go', url: 'http://x.org/a' })).not.toThrow();
    for (const url of ['ftp://x.org', 'javascript:alert(1)', 'x.org', '', 'https://x.org/a b']) {
      expect(limitError(() => ctaUrl({ body: 'b', displayText: 'Go', url })).field).toBe('button url');
    }
  });

  it('media: link must be an http(s) URL, id must not be blank', () => {
    expect(limitError(() => image({ link: 'http(s)://image-url' })).field).toBe('image link');
    expect(limitError(() => document({ link: '/relative.pdf' })).field).toBe('document link');
    expect(limitError(() => image({ id: ' ' })).field).toBe('image id');
    expect(limitError(() => replyButtons({ body: 'b', header: { image: { link: 'nope' } }, buttons: buttons(1) })).field).toBe('header image link');
    expect(limitError(() => image({ id: '1' }, '')).field).toBe('image caption');
    expect(limitError(() => document({ id: '1' }, { filename: ' ' })).field).toBe('document filename');
  });

  it('location: coordinates in range', () => {
    expect(() => location({ latitude: 90, longitude: -180 })).not.toThrow();
    expect(limitError(() => location({ latitude: 90.1, longitude: 0 })).field).toBe('location latitude');
    expect(limitError(() => location({ latitude: 0, longitude: 180.5 })).field).toBe('location longitude');
    expect(limitError(() => location({ latitude: Number.NaN, longitude: 0 })).field).toBe('location latitude');
    expect(limitError(() => location({ latitude: 0, longitude: 0, name: '' })).field).toBe('location name');
  });

  it('reaction: one emoji or empty', () => {
    expect(limitError(() => reaction('wamid.1', 'ok')).field).toBe('reaction emoji');
    expect(limitError(() => reaction('wamid.1', '👍👍')).field).toBe('reaction emoji');
    expect(limitError(() => reaction('', '👍')).field).toBe('reaction message id');
  });

  it('template name: lowercase letters, digits and _, up to 512', () => {
    expect(() => template({ name: s(512, 'a'), language: 'fr' })).not.toThrow();
    for (const name of [s(513, 'a'), 'Appointment', 'appointment-reminder', 'rappel rdv', '', 'café']) {
      expect(limitError(() => template({ name, language: 'fr' })).field).toBe('template name');
    }
  });

  it('template language: a code like fr or en_US', () => {
    for (const language of ['fr', 'en_US', 'fil', 'zh_CN']) expect(() => template({ name: 't', language })).not.toThrow();
    for (const language of ['', 'FR', 'en-US', 'language-and-locale-code']) expect(limitError(() => template({ name: 't', language })).field).toBe('template language');
  });

  it('template parameters: not blank, no newline or tab, at most 4 consecutive spaces', () => {
    expect(() => template({ name: 't', language: 'fr', body: ['a    b'] })).not.toThrow();
    expect(limitError(() => template({ name: 't', language: 'fr', body: ['ok', 'a     b'] })).field).toBe('template body parameter 2');
    expect(limitError(() => template({ name: 't', language: 'fr', body: ['line\nbreak'] })).field).toBe('template body parameter 1');
    expect(limitError(() => template({ name: 't', language: 'fr', body: ['tab\there'] })).field).toBe('template body parameter 1');
    expect(limitError(() => template({ name: 't', language: 'fr', body: [''] })).field).toBe('template body parameter 1');
    expect(limitError(() => template({ name: 't', language: 'fr', header: 'a\nb' })).field).toBe('template header parameter 1');
  });

  it('template parameters: named or positional, not both; names lowercase and unique', () => {
    expect(() => template({ name: 't', language: 'fr', body: [{ name: 'first_name', text: 'A' }, { name: 'date', text: 'B' }] })).not.toThrow();
    expect(limitError(() => template({ name: 't', language: 'fr', body: [{ name: 'first_name', text: 'A' }, 'B'] })).field).toBe('template body parameters');
    expect(limitError(() => template({ name: 't', language: 'fr', body: [{ name: 'FirstName', text: 'A' }] })).field).toBe('template body parameter 1 name');
    expect(limitError(() => template({ name: 't', language: 'fr', body: [{ name: 'a', text: 'A' }, { name: 'a', text: 'B' }] })).field).toBe('template body parameter name 2');
  });

  it('template buttons: index 0 to 9, unique, non-blank payload', () => {
    expect(() => template({ name: 't', language: 'fr', buttons: [{ subType: 'quick_reply', index: 9, payload: 'p' }] })).not.toThrow();
    for (const index of [-1, 10, 1.5]) {
      expect(limitError(() => template({ name: 't', language: 'fr', buttons: [{ subType: 'quick_reply', index, payload: 'p' }] })).field).toBe('template button index');
    }
    expect(
      limitError(() => template({ name: 't', language: 'fr', buttons: [{ subType: 'quick_reply', index: 0, payload: 'p' }, { subType: 'url', index: 0, text: 'x' }] })).field,
    ).toBe('template button index 2');
    expect(limitError(() => template({ name: 't', language: 'fr', buttons: [{ subType: 'quick_reply', index: 0, payload: ' ' }] })).field).toBe('template button 0 payload');
    expect(limitError(() => template({ name: 't', language: 'fr', buttons: [{ subType: 'url', index: 1, text: '' }] })).field).toBe('template button 1 text');
  });
});
