// The sandbox phone page in headless Chromium (Debian's package, driven by playwright-core): a newcomer types
// "Hello", gets the bot's menu, taps a button and gets the next answer; what a patient types is shown as
// text, never as HTML.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_ARGS, chromiumPath } from '../support/browser.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

const ARTIFACTS = path.resolve('test-artifacts');
const XSS = '<img src=x onerror=alert(1)>';
// A 1×1 PNG.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6a4a50000000049454e44ae426082', 'hex');
const graphOf = () => ({ graph: `${app.base}/sandbox/graph/${app.config.whatsapp.apiVersion}`, auth: { authorization: `Bearer ${app.config.whatsapp.accessToken}` }, phoneId: app.config.whatsapp.phoneNumberId });

let app: SandboxApp;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];

const skip = browserMissing();

beforeAll(async () => {
  if (skip) return;
  app = await startSandboxApp();
  browser = await chromium.launch({
    executablePath: chromiumPath!,
    args: CHROMIUM_ARGS,
  });
  // A phone-sized screen: the page must work there.
  page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const clinicRows = () => page.locator('#messages li.row.theirs');

describe.skipIf(skip)('sandbox patient phone (Chromium)', () => {
  it('opens /sandbox as a chat with a default patient and a message box', async () => {
    const res = await page.goto(`${app.base}/sandbox`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await expect.poll(() => page.locator('#patient-name').textContent()).toBe('Camille Martin');
    expect(await page.locator('#input').getAttribute('placeholder')).toBe('Message');
  });

  it('answers "Hello" + Enter with the bot menu (a list behind its button), within a few seconds', async () => {
    await page.locator('#input').fill('Hello');
    await page.locator('#input').press('Enter');
    await expect.poll(() => page.locator('#messages li.row.mine .text').first().textContent(), { timeout: 5000 }).toBe('Hello');
    expect(await page.locator('#input').inputValue()).toBe('');
    const menu = clinicRows().first().locator('.actions button', { hasText: 'Menu' });
    await menu.waitFor({ timeout: 10_000 });
    // The patient's own message gets blue ticks once the clinic's app marks it read.
    await expect.poll(() => page.locator('#messages li.row.mine .ticks').first().getAttribute('data-status'), { timeout: 10_000 }).toBe('read');
    // Having been shown, the clinic's message is reported read back to the app.
    await expect.poll(() => clinicRows().first().getAttribute('data-status'), { timeout: 10_000 }).toBe('read');
  });

  it('picks a menu entry from the list and taps a reply button, each bringing the next answer', async () => {
    const sheet = page.locator('#list-dialog');
    await clinicRows().first().locator('.actions button', { hasText: 'Menu' }).click();
    expect(await sheet.isVisible()).toBe(true);
    let before = await clinicRows().count();
    await sheet.locator('.list-row', { hasText: 'Hours & questions' }).click();
    await expect.poll(() => page.locator('#messages li.row.mine').last().locator('.text').textContent(), { timeout: 5000 }).toBe('Hours & questions');
    // The FAQ's topics, a list again: opening hours.
    await expect.poll(() => clinicRows().count(), { timeout: 10_000 }).toBeGreaterThan(before);
    before = await clinicRows().count();
    await clinicRows().last().locator('.actions button', { hasText: 'Topics' }).click();
    await sheet.locator('.list-row', { hasText: 'Opening hours' }).click();
    // The answer, then "anything else?" with reply buttons.
    await expect.poll(() => clinicRows().count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 2);
    const buttons = clinicRows().last().locator('.actions button');
    expect(await buttons.count()).toBe(3);
    before = await clinicRows().count();
    const button = buttons.nth(1);
    const label = (await button.textContent())?.replace('↩', '').trim();
    await button.click();
    await expect.poll(() => page.locator('#messages li.row.mine').last().locator('.text').textContent(), { timeout: 5000 }).toBe(label);
    await expect.poll(() => clinicRows().count(), { timeout: 10_000 }).toBeGreaterThan(before);
    const last = await clinicRows().last().locator('.text').first().textContent();
    expect(last?.length).toBeGreaterThan(0);
  });

  it('shows a typed HTML string as text, never as markup', async () => {
    await page.locator('#input').fill(XSS);
    await page.locator('#input').press('Enter');
    const mine = page.locator('#messages li.row.mine .text').last();
    await expect.poll(() => mine.textContent(), { timeout: 5000 }).toBe(XSS);
    expect(await page.locator('#messages img[src="x"]').count()).toBe(0);
    expect(await mine.innerHTML()).toBe('&lt;img src=x onerror=alert(1)&gt;');
    await clinicRows().nth(2).waitFor({ timeout: 10_000 });
    expect(dialogs).toEqual([]);
  });

  it('is usable by keyboard: the composer and buttons are reachable and focus is visible', async () => {
    await page.locator('#input').focus();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('attach-button');
    // The page runs in the browser: evaluated as a string, since this file is compiled without the DOM library.
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
    expect(await page.locator('#messages .actions button').first().evaluate((b) => b.tagName)).toBe('BUTTON');
    expect(await page.locator('#send-button').getAttribute('title')).toBe('Send');
  });

  it('sends a photo from the attach menu, shown in the chat and downloaded by the app', async () => {
    const before = await page.locator('#messages li.row.mine').count();
    await page.locator('#attach-button').click();
    expect(await page.locator('#attach-menu').isVisible()).toBe(true);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.locator('#attach-menu button', { hasText: 'Photo' }).click()]);
    await chooser.setFiles({ name: 'rash.png', mimeType: 'image/png', buffer: PNG });
    expect(await page.locator('#attach-menu').isVisible()).toBe(false);
    await expect.poll(() => page.locator('#messages li.row.mine').count(), { timeout: 5000 }).toBe(before + 1);
    const img = page.locator('#messages li.row.mine').last().locator('img.photo');
    await expect.poll(() => page.evaluate("[...document.querySelectorAll('#messages li.row.mine img.photo')].pop()?.naturalWidth"), { timeout: 5000 }).toBe(1);
    const mediaId = (await img.getAttribute('src'))?.split('/').pop() ?? '';
    expect(mediaId).toMatch(/^\d+$/);
    await expect
      .poll(async () => (await app.database.db.selectFrom('media').select('state').where('media_id', '=', mediaId).executeTakeFirst())?.state, { timeout: 10_000 })
      .toBe('stored');
  });

  it('opens a list message as a sheet, and a tapped row goes back as a list reply', async () => {
    const rows = clinicRows();
    const before = await rows.count();
    // A list, sent as the clinic's app would send it, through the simulated Cloud API.
    const { graph, auth, phoneId } = graphOf();
    const res = await fetch(`${graph}/${phoneId}/messages`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', to: '+33639980001', type: 'interactive', interactive: { type: 'list', body: { text: 'Which service?' }, action: { button: 'Services', sections: [{ title: 'Care', rows: [{ id: 'svc:blood', title: 'Blood test', description: '10 minutes' }, { id: 'svc:gp', title: 'Consultation' }] }] } } }),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(before + 1);
    await rows.last().locator('.actions button', { hasText: 'Services' }).click();
    const sheet = page.locator('#list-dialog');
    expect(await sheet.isVisible()).toBe(true);
    expect(await sheet.locator('.list-row').first().textContent()).toContain('10 minutes');
    await sheet.locator('.list-row', { hasText: 'Blood test' }).click();
    await expect.poll(() => page.locator('#messages li.row.mine').last().locator('.text').textContent(), { timeout: 5000 }).toBe('Blood test');
    expect(await sheet.isVisible()).toBe(false);
  });

  it('creates a second patient with a phone language and switches to an empty chat', async () => {
    await page.locator('#patient-button').click();
    const dialog = page.locator('#patients-dialog');
    await dialog.locator('input[name=name]').fill('Giulia Bianchi');
    await dialog.locator('input[name=phone]').fill('+39 312 555 0101');
    await dialog.locator('select[name=language]').selectOption('it');
    await dialog.locator('button[type=submit]').click();
    await expect.poll(() => page.locator('#patient-name').textContent(), { timeout: 5000 }).toBe('Giulia Bianchi');
    expect(await page.locator('#patient-lang').textContent()).toBe('IT');
    await expect.poll(() => page.locator('#messages li.row').count(), { timeout: 5000 }).toBe(0);
    await page.locator('#patient-button').click();
    await dialog.locator('.patient-item', { hasText: 'Camille Martin' }).click();
    await expect.poll(() => page.locator('#messages li.row').count(), { timeout: 5000 }).toBeGreaterThan(3);
  });

  it('saves screenshots and has no page errors', async () => {
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-phone.png'), fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('#dev-button').click();
    await page.locator('#api-log li').first().waitFor({ timeout: 5000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-phone-desktop.png') });
    expect(fs.statSync(path.join(ARTIFACTS, 'sandbox-phone.png')).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });
});
