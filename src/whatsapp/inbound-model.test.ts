import { describe, expect, it } from 'vitest';
import { InboundParseError, changesEarlierMessage, inboundText, parseContact, parseInboundMessage, wantsReadReceipt, type InboundMessage } from './inbound-model.js';

const base = { from: '33612345678', id: 'wamid.TEST1', timestamp: '1750000000' };
const at = new Date(1_750_000_000_000);

/** Narrows to one variant or fails the test. */
function expectType<T extends InboundMessage['type']>(m: InboundMessage, type: T): Extract<InboundMessage, { type: T }> {
  expect(m.type).toBe(type);
  const isType = (x: InboundMessage): x is Extract<InboundMessage, { type: T }> => x.type === type;
  if (!isType(m)) throw new Error(`expected ${type}, got ${m.type}`);
  return m;
}

describe('parseInboundMessage: common fields', () => {
  it('maps a text message with every common field absent', () => {
    expect(parseInboundMessage({ ...base, type: 'text', text: { body: 'Bonjour' } })).toEqual({
      type: 'text',
      id: 'wamid.TEST1',
      from: '33612345678',
      userId: null,
      parentUserId: null,
      groupId: null,
      timestamp: at,
      context: null,
      referral: null,
      errors: [],
      text: 'Bonjour',
    });
  });

  it('accepts a BSUID-only sender (phone withheld)', () => {
    const m = parseInboundMessage({
      from_user_id: 'US.13491208655302741918',
      from_parent_user_id: 'US.ENT.99887766554433221100',
      id: 'wamid.BSUID',
      timestamp: '1780000000',
      type: 'text',
      text: { body: 'hi' },
    });
    expect(m).toMatchObject({ from: null, userId: 'US.13491208655302741918', parentUserId: 'US.ENT.99887766554433221100', text: 'hi' });
  });

  it('maps a forwarded reply context', () => {
    const m = parseInboundMessage({ ...base, type: 'text', text: { body: 'fwd' }, context: { forwarded: true, frequently_forwarded: true } });
    expect(m.context).toEqual({ from: null, id: null, forwarded: true, frequentlyForwarded: true, referredProduct: null });
  });

  it('maps a full Click-to-WhatsApp referral (video ad) and tolerates a missing ctwa_clid', () => {
    const m = parseInboundMessage({
      ...base,
      type: 'text',
      text: { body: 'x' },
      referral: {
        source_url: 'https://fb.me/x',
        source_id: '1',
        source_type: 'post',
        body: 'b',
        headline: 'h',
        media_type: 'video',
        video_url: 'https://v',
        thumbnail_url: 'https://t',
      },
    });
    expect(m.referral).toEqual({
      sourceUrl: 'https://fb.me/x',
      sourceId: '1',
      sourceType: 'post',
      body: 'b',
      headline: 'h',
      mediaType: 'video',
      imageUrl: null,
      videoUrl: 'https://v',
      thumbnailUrl: 'https://t',
      ctwaClid: null,
      welcomeMessage: null,
    });
  });

  it('drops a malformed context or referral instead of losing the message', () => {
    const m = parseInboundMessage({ ...base, type: 'text', text: { body: 'x' }, context: 'nope', referral: 42, from: 12345 });
    expect(m).toMatchObject({ type: 'text', context: null, referral: null, from: null });
  });

  it('keeps message-level errors on any type', () => {
    const m = parseInboundMessage({ ...base, type: 'text', text: { body: 'x' }, errors: [{ code: 131052, title: 'Media download error', error_data: { details: 'd' } }, 'junk'] });
    expect(m.errors).toEqual([{ code: 131052, title: 'Media download error', message: null, details: 'd', href: null }]);
  });

  it('reads group_id', () => {
    expect(parseInboundMessage({ ...base, group_id: 'G1', type: 'text', text: { body: 'x' } }).groupId).toBe('G1');
  });

  it('accepts a numeric timestamp from a stored payload', () => {
    expect(parseInboundMessage({ ...base, timestamp: 1750000000, type: 'text', text: { body: 'x' } }).timestamp).toEqual(at);
  });
});

describe('parseInboundMessage: text is kept exactly', () => {
  it.each([
    ['emoji and skin tones', '👍🏽 merci 👨‍👩‍👧 🇫🇷'],
    ['right-to-left with marks', 'مرحبا، أريد موعدا \u200f(غدا)\u200e'],
    ['zero-width characters', 'a\u200bb\u200cc\u200dd\ufeff'],
    ['NUL and control characters', 'before\u0000after\u0007\r\n'],
    ['surrounding whitespace', '   padded \t\n'],
    ['empty', ''],
    ['lone surrogate', 'x\ud800y'],
  ])('%s', (_label, body) => {
    const m = expectType(parseInboundMessage({ ...base, type: 'text', text: { body } }), 'text');
    expect(m.text).toBe(body);
    expect(inboundText(m)).toBe(body);
  });

  it('survives the JSON escapes Meta sends', () => {
    const raw: unknown = JSON.parse(String.raw`{"id":"wamid.E","timestamp":"1750000000","type":"text","text":{"body":"Caf\u00e9 \u0000 https:\/\/x.org \ud83d\udc4d"}}`);
    expect(expectType(parseInboundMessage(raw), 'text').text).toBe('Café \u0000 https://x.org 👍');
  });
});

describe('parseInboundMessage: each type of cloud-api.md §3', () => {
  const media = { mime_type: 'x/y', sha256: 'abc=', id: 'MEDIA1', url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1' };

  it('image with caption', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'image', image: { ...media, mime_type: 'image/jpeg', caption: 'ma radio' } }), 'image');
    expect(m.media).toEqual({ id: 'MEDIA1', mimeType: 'image/jpeg', sha256: 'abc=', url: media.url, caption: 'ma radio', filename: null, voice: null, animated: null });
    expect(inboundText(m)).toBe('ma radio');
  });

  it('video', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'video', video: { ...media, mime_type: 'video/mp4' } }), 'video');
    expect(m.media).toMatchObject({ mimeType: 'video/mp4', caption: null });
    expect(inboundText(m)).toBeNull();
  });

  it('audio voice note and plain audio', () => {
    const voice = expectType(parseInboundMessage({ ...base, type: 'audio', audio: { ...media, mime_type: 'audio/ogg; codecs=opus', voice: true } }), 'audio');
    expect(voice.media).toMatchObject({ voice: true, animated: null, mimeType: 'audio/ogg; codecs=opus' });
    const plain = expectType(parseInboundMessage({ ...base, type: 'audio', audio: { ...media, mime_type: 'audio/mpeg' } }), 'audio');
    expect(plain.media.voice).toBe(false);
  });

  it('document with filename and caption', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'document', document: { ...media, mime_type: 'application/pdf', filename: 'ordonnance.pdf', caption: 'voici' } }), 'document');
    expect(m.media).toMatchObject({ filename: 'ordonnance.pdf', caption: 'voici', voice: null });
  });

  it('sticker, animated or not', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'sticker', sticker: { ...media, mime_type: 'image/webp', animated: true } }), 'sticker');
    expect(m.media).toMatchObject({ animated: true, voice: null });
    expect(expectType(parseInboundMessage({ ...base, type: 'sticker', sticker: { ...media, mime_type: 'image/webp' } }), 'sticker').media.animated).toBe(false);
  });

  it('location without name or url', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'location', location: { latitude: 48.85, longitude: 2.35 } }), 'location');
    expect(m).toMatchObject({ latitude: 48.85, longitude: 2.35, name: null, address: null, url: null });
    expect(inboundText(m)).toBeNull();
  });

  it('contacts with the 2026 vcard and origin fields', () => {
    const m = expectType(
      parseInboundMessage({
        ...base,
        type: 'contacts',
        contacts: [
          {
            name: { formatted_name: 'Dr A' },
            phones: [{ phone: '+33 1 00', type: 'WORK' }],
            emails: [{ email: 'a@b.c', type: 'WORK' }],
            addresses: [{ city: 'Lyon', country_code: 'fr' }],
            urls: [{ url: 'https://a' }],
            birthday: '1980-01-02',
            vcard: 'BEGIN:VCARD\nEND:VCARD',
            origin: 'contact_request',
          },
        ],
      }),
      'contacts',
    );
    expect(m.contacts[0]).toMatchObject({
      phones: [{ phone: '+33 1 00', waId: null, type: 'WORK' }],
      emails: [{ email: 'a@b.c', type: 'WORK' }],
      addresses: [{ street: null, city: 'Lyon', state: null, zip: null, country: null, countryCode: 'fr', type: null }],
      urls: [{ url: 'https://a', type: null }],
      birthday: '1980-01-02',
      vcard: 'BEGIN:VCARD\nEND:VCARD',
      origin: 'contact_request',
      org: null,
    });
  });

  it('interactive button_reply and list_reply give their title as text', () => {
    const b = expectType(parseInboundMessage({ ...base, type: 'interactive', context: { from: '1555', id: 'wamid.OURS' }, interactive: { type: 'button_reply', button_reply: { id: 'confirm', title: 'Confirmer ✅' } } }), 'interactive');
    expect(inboundText(b)).toBe('Confirmer ✅');
    const l = expectType(parseInboundMessage({ ...base, type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'r1', title: 'Mardi 9h' } } }), 'interactive');
    expect(l.reply).toEqual({ kind: 'list_reply', id: 'r1', title: 'Mardi 9h', description: null });
  });

  it('interactive nfm_reply parses response_json when it is a JSON object', () => {
    const m = expectType(
      parseInboundMessage({
        ...base,
        type: 'interactive',
        interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"flow_token":"tok-1","date":"2026-12-01"}' } },
      }),
      'interactive',
    );
    expect(m.reply).toEqual({ kind: 'nfm_reply', name: 'flow', body: 'Sent', response: { flow_token: 'tok-1', date: '2026-12-01' }, flowToken: 'tok-1' });
    expect(inboundText(m)).toBeNull();
  });

  it.each([
    ['invalid JSON', '{not json'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
    ['a JSON number', '42'],
  ])('interactive nfm_reply keeps %s as a string', (_label, json) => {
    const m = expectType(parseInboundMessage({ ...base, type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { response_json: json } } }), 'interactive');
    expect(m.reply).toEqual({ kind: 'nfm_reply', name: null, body: null, response: json, flowToken: null });
  });

  it('button (template quick reply)', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'button', context: { from: '1555', id: 'wamid.TPL' }, button: { payload: 'CONFIRM:appt-123', text: 'Je confirme' } }), 'button');
    expect(m).toMatchObject({ payload: 'CONFIRM:appt-123', text: 'Je confirme' });
    expect(inboundText(m)).toBe('Je confirme');
  });

  it('reaction removal has no emoji', () => {
    expect(expectType(parseInboundMessage({ ...base, type: 'reaction', reaction: { message_id: 'wamid.X' } }), 'reaction').emoji).toBeNull();
    expect(expectType(parseInboundMessage({ ...base, type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '' } }), 'reaction').emoji).toBeNull();
    expect(expectType(parseInboundMessage({ ...base, type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '❤️' } }), 'reaction').emoji).toBe('❤️');
  });

  it('system user_changed_user_id without a phone', () => {
    const m = expectType(
      parseInboundMessage({
        from_user_id: 'US.111',
        id: 'wamid.SYS',
        timestamp: '1780000000',
        type: 'system',
        system: { body: 'User A changed from US.111 to US.222', user_id: 'US.222', type: 'user_changed_user_id' },
      }),
      'system',
    );
    expect(m).toMatchObject({ from: null, userId: 'US.111', systemType: 'user_changed_user_id', newUserId: 'US.222', newWaId: null });
  });

  it('system in the pre-v12 customer_changed_number shape', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'system', system: { body: 'b', new_wa_id: '33700000000', type: 'customer_changed_number' } }), 'system');
    expect(m).toMatchObject({ systemType: 'customer_changed_number', newWaId: '33700000000' });
  });

  it('order without text', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'order', order: { catalog_id: 'C', product_items: [{ product_retailer_id: 'P', quantity: 1 }] } }), 'order');
    expect(m).toMatchObject({ text: null, items: [{ productRetailerId: 'P', quantity: 1, itemPrice: null, currency: null }] });
  });
});

describe('parseInboundMessage: unknown content never throws', () => {
  it('an unrecognised type "foo" is unknown, with the raw message kept', () => {
    const raw = { ...base, type: 'foo', foo: { anything: 1 } };
    const m = expectType(parseInboundMessage(raw), 'unknown');
    expect(m).toMatchObject({ rawType: 'foo', reason: 'unrecognised_type', errors: [], from: '33612345678', timestamp: at });
    expect(m.raw).toBe(raw);
    expect(inboundText(m)).toBeNull();
  });

  it('unsupported with error 131051 is unknown with the error', () => {
    const m = expectType(
      parseInboundMessage({ ...base, type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } }] }),
      'unknown',
    );
    expect(m.rawType).toBe('unsupported');
    expect(m.errors).toEqual([{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', details: 'Message type is currently not supported.', href: null }]);
  });

  it('the pre-v16 type "unknown" with top-level details', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'unknown', errors: [{ code: 131051, details: 'Message type is not currently supported', title: 'Unsupported message type' }] }), 'unknown');
    expect(m).toMatchObject({ rawType: 'unknown', reason: 'unsupported', errors: [{ code: 131051, details: 'Message type is not currently supported' }] });
  });

  it.each([
    ['interactive of an unknown kind', { type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: {} } }],
    ['interactive button_reply without title', { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'x' } } }],
    ['interactive as a string', { type: 'interactive', interactive: 'oops' }],
    ['interactive missing', { type: 'interactive' }],
    ['text without body', { type: 'text', text: {} }],
    ['text body not a string', { type: 'text', text: { body: 42 } }],
    ['image without id', { type: 'image', image: { mime_type: 'image/jpeg' } }],
    ['location with string coordinates', { type: 'location', location: { latitude: '48.8', longitude: '2.3' } }],
    ['contacts empty', { type: 'contacts', contacts: [] }],
    ['reaction without message_id', { type: 'reaction', reaction: { emoji: '👍' } }],
    ['button without payload', { type: 'button', button: { text: 'x' } }],
    ['order without items', { type: 'order', order: { catalog_id: 'C' } }],
    ['system without body', { type: 'system', system: { type: 'user_changed_number' } }],
  ])('%s is unknown/invalid_content', (_label, content) => {
    const m = expectType(parseInboundMessage({ ...base, ...content }), 'unknown');
    expect(m.reason).toBe('invalid_content');
    expect(m.rawType).toBe(content.type);
  });

  it.each([
    ['missing id', { timestamp: '1750000000', type: 'text', text: { body: 'x' } }, 'id'],
    ['empty id', { id: '', timestamp: '1750000000', type: 'text' }, 'id'],
    ['missing timestamp', { id: 'wamid.X', type: 'text' }, 'timestamp'],
    ['timestamp not unix seconds', { id: 'wamid.X', timestamp: '2025-06-01T00:00:00Z', type: 'text' }, 'timestamp'],
    ['missing type', { id: 'wamid.X', timestamp: '1750000000' }, 'type'],
  ])('throws InboundParseError for %s', (_label, raw, field) => {
    let caught: unknown;
    try {
      parseInboundMessage(raw);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InboundParseError);
    if (!(caught instanceof InboundParseError)) return;
    expect(caught.code).toBe('inbound_parse');
    expect(caught.field).toBe(field);
  });

  it.each([null, undefined, 'text', 42, []])('throws InboundParseError for a non-object %j', (raw) => {
    expect(() => parseInboundMessage(raw)).toThrow(InboundParseError);
  });

  it('never puts content into the error message', () => {
    try {
      parseInboundMessage({ id: 'wamid.X', timestamp: 'secret-0612345678', type: 'text', text: { body: 'private' } });
      expect.unreachable();
    } catch (e) {
      expect(String(e)).not.toContain('0612345678');
      expect(String(e)).not.toContain('private');
    }
  });
});


describe('parseInboundMessage: edits, deletions and call permission answers', () => {
  it('an edit of a text carries the original id and the new words', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'edit', edit: { original_message_id: 'wamid.ORIG', message: { type: 'text', text: { body: 'Tuesday, not Monday' } } } }), 'edit');
    expect(m).toMatchObject({ originalMessageId: 'wamid.ORIG', editedType: 'text', text: 'Tuesday, not Monday' });
    expect(changesEarlierMessage(m)).toBe(true);
    expect(wantsReadReceipt(m)).toBe(false);
    expect(inboundText(m)).toBeNull();
  });

  it('an edit of a caption gives the caption; an edit without content still names the original', () => {
    const caption = expectType(parseInboundMessage({ ...base, type: 'edit', edit: { original_message_id: 'wamid.O', message: { type: 'image', image: { caption: 'new', id: '1', mime_type: 'image/jpeg' } } } }), 'edit');
    expect(caption).toMatchObject({ editedType: 'image', text: 'new' });
    const bare = expectType(parseInboundMessage({ ...base, type: 'edit', edit: { original_message_id: 'wamid.O' } }), 'edit');
    expect(bare).toMatchObject({ editedType: null, text: null });
  });

  it('a revoke carries the original id and gets no read receipt', () => {
    const m = expectType(parseInboundMessage({ ...base, type: 'revoke', revoke: { original_message_id: 'wamid.GONE' } }), 'revoke');
    expect(m.originalMessageId).toBe('wamid.GONE');
    expect(wantsReadReceipt(m)).toBe(false);
  });

  it('a malformed edit or revoke is unknown, and still changes an earlier message (not answered)', () => {
    for (const raw of [{ ...base, type: 'edit', edit: 'x' }, { ...base, type: 'revoke' }]) {
      const m = expectType(parseInboundMessage(raw), 'unknown');
      expect(m.reason).toBe('invalid_content');
      expect(changesEarlierMessage(m)).toBe(true);
      expect(wantsReadReceipt(m)).toBe(false);
    }
  });

  it('a call permission answer is an interactive reply with no words, marked read', () => {
    const m = expectType(
      parseInboundMessage({ ...base, type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, expiration_timestamp: 1_750_604_800, response_source: 'user_action' } } }),
      'interactive',
    );
    expect(m.reply).toEqual({ kind: 'call_permission_reply', response: 'accept', permanent: false, expiresAt: new Date(1_750_604_800_000), source: 'user_action' });
    expect(inboundText(m)).toBeNull();
    expect(wantsReadReceipt(m)).toBe(true);
    expect(changesEarlierMessage(m)).toBe(false);
  });

  it('a system message gets no read receipt; a text does', () => {
    expect(wantsReadReceipt(parseInboundMessage({ ...base, type: 'system', system: { body: 'changed', type: 'user_changed_number', wa_id: '1' } }))).toBe(false);
    expect(wantsReadReceipt(parseInboundMessage({ ...base, type: 'text', text: { body: 'hi' } }))).toBe(true);
  });
});

describe('parseInboundMessage: values that could not be stored as columns', () => {
  it('media whose id or mime type holds NUL or a lone surrogate is invalid content, not a media row', () => {
    for (const image of [{ id: 'a\u0000', mime_type: 'image/jpeg' }, { id: '1', mime_type: 'image/\uD800' }]) {
      expect(expectType(parseInboundMessage({ ...base, type: 'image', image }), 'unknown').reason).toBe('invalid_content');
    }
    const m = expectType(parseInboundMessage({ ...base, type: 'image', image: { id: '1', mime_type: 'image/jpeg', sha256: 'x\u0000' } }), 'image');
    expect(m.media.sha256).toBeNull();
  });

  it('an empty or unstorable sender id reads as absent', () => {
    const m = parseInboundMessage({ ...base, from: '', from_user_id: 'US.1', from_parent_user_id: 'US.ENT.\u0000', type: 'text', text: { body: 'x' } });
    expect(m).toMatchObject({ from: null, userId: 'US.1', parentUserId: null });
    expect(parseContact({ wa_id: '', user_id: 'US.1', profile: { name: 'N', username: 'a\uDC00' } })).toEqual({ waId: null, userId: 'US.1', parentUserId: null, name: 'N', username: null });
  });
});
