import { describe, expect, it } from 'vitest';
import { InboundParseError, parseContact, parseStatus } from './inbound-model.js';

const at = new Date(1_750_000_000_000);

describe('parseContact', () => {
  it('maps the usual contact', () => {
    expect(parseContact({ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234', user_id: 'US.1' })).toEqual({ waId: '16505551234', userId: 'US.1', parentUserId: null, name: 'Sheena Nelson', username: null });
  });

  it('maps a BSUID-only contact with a username', () => {
    expect(parseContact({ profile: { name: 'Aïcha', username: 'aicha.k' }, user_id: 'US.13491208655302741918', parent_user_id: 'US.ENT.1' })).toEqual({
      waId: null,
      userId: 'US.13491208655302741918',
      parentUserId: 'US.ENT.1',
      name: 'Aïcha',
      username: 'aicha.k',
    });
  });

  it('tolerates a missing profile', () => {
    expect(parseContact({ wa_id: '1' })).toEqual({ waId: '1', userId: null, parentUserId: null, name: null, username: null });
  });

  it.each([null, 'x', {}, { profile: { name: 'no id' } }, { wa_id: '' }])('is null for %j', (raw) => {
    expect(parseContact(raw)).toBeNull();
  });
});

describe('parseStatus (cloud-api.md §4)', () => {
  const sent = {
    id: 'wamid.OUT1',
    status: 'sent',
    timestamp: '1750000000',
    recipient_id: '33612345678',
    recipient_user_id: 'FR.123',
    biz_opaque_callback_data: 'outbox:42',
    conversation: { id: 'CONV1', expiration_timestamp: '1750086400', origin: { type: 'service' } },
    pricing: { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' },
  };

  it('maps a sent status with conversation and pricing', () => {
    expect(parseStatus(sent)).toEqual({
      id: 'wamid.OUT1',
      status: 'sent',
      timestamp: at,
      recipientId: '33612345678',
      recipientUserId: 'FR.123',
      recipientParentUserId: null,
      callbackData: 'outbox:42',
      errors: [],
      pricing: { billable: false, pricingModel: 'PMP', type: 'free_customer_service', category: 'service' },
      conversation: { id: 'CONV1', expiresAt: new Date(1_750_086_400_000), originType: 'service' },
    });
  });

  it('maps delivered and read (v24+, no conversation)', () => {
    for (const status of ['delivered', 'read']) {
      const s = parseStatus({ id: 'wamid.OUT1', status, timestamp: '1750000001', recipient_id: '33612345678' });
      expect(s).toMatchObject({ status, conversation: null, pricing: null, callbackData: null, recipientUserId: null });
    }
  });

  it('maps played (voice note) and an unknown future status', () => {
    expect(parseStatus({ ...sent, status: 'played' }).status).toBe('played');
    expect(parseStatus({ ...sent, status: 'deleted' }).status).toBe('deleted');
  });

  it('maps failed with errors and no recipient_user_id', () => {
    const s = parseStatus({
      id: 'wamid.OUT2',
      status: 'failed',
      timestamp: '1750000000',
      recipient_id: '33612345678',
      errors: [{ code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', error_data: { details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' }, href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/' }],
    });
    expect(s.errors).toEqual([
      {
        code: 131047,
        title: 'Re-engagement message',
        message: 'Re-engagement message',
        details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
        href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
      },
    ]);
    expect(s.recipientUserId).toBeNull();
  });

  it('maps a status for a BSUID recipient without phone', () => {
    const s = parseStatus({ id: 'wamid.OUT3', status: 'delivered', timestamp: '1780000000', recipient_user_id: 'US.1', recipient_parent_user_id: 'US.ENT.1' });
    expect(s).toMatchObject({ recipientId: null, recipientUserId: 'US.1', recipientParentUserId: 'US.ENT.1' });
  });

  it('tolerates malformed optional parts', () => {
    const s = parseStatus({ ...sent, pricing: 'x', conversation: { expiration_timestamp: 'soon' }, errors: [{ title: 'no code' }] });
    expect(s).toMatchObject({ pricing: null, conversation: { id: null, expiresAt: null, originType: null }, errors: [] });
  });

  it.each([
    ['id', { status: 'sent', timestamp: '1' }],
    ['status', { id: 'wamid.X', timestamp: '1' }],
    ['timestamp', { id: 'wamid.X', status: 'sent' }],
  ])('throws InboundParseError when %s is missing', (field, raw) => {
    expect(() => parseStatus(raw)).toThrow(InboundParseError);
    try {
      parseStatus(raw);
    } catch (e) {
      expect(e instanceof InboundParseError && e.field).toBe(field);
    }
  });
});
