// The templates page in headless Chromium against the real app in sandbox mode: the admin sees a table per
// template with each language's Meta status (colour and word), reason and last sync; "Sync now" brings a
// status that differs from the (simulated) WABA back in line, and is audited; a receptionist reads the page
// without the button. Screenshots go to test-artifacts/templates/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEMPLATES } from '../../src/whatsapp/templates.js';
import { waitFor } from '../support/app.js';
import { browserMissing, CHROMIUM_ARGS, chromiumPath } from '../support/browser.js';
import { newConsolePage, poll, signIn as signInAs } from '../support/console-page.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

const ARTIFACTS = path.resolve('test-artifacts', 'templates');
const ADMIN_TOKEN = crypto.randomBytes(33).toString('base64url');
const PASSWORD = 'otoscope-birch-2026!';
const RECEPTION = { email: `tpl.reception.${crypto.randomBytes(3).toString('hex')}@demo.patientline.local`, displayName: 'Template Reader', role: 'reception', password: PASSWORD };
const ALL = Object.values(TEMPLATES).length * 6;

let app: SandboxApp;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const skip = browserMissing();

const heading = () => page.locator('main h1');
const badge = (name: string, language: string) => page.locator(`table[data-template="${name}"] tr[data-language="${language}"] .badge`);
const signIn = (email: string, password: string) => signInAs(page, app.base, email, password);

async function newPage(): Promise<void> {
  await page?.context().close();
  page = await newConsolePage(browser, problems);
}

beforeAll(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  app = await startSandboxApp({ ADMIN_API_TOKEN: ADMIN_TOKEN });
  const res = await fetch(`${app.base}/api/users`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(RECEPTION) });
  expect(res.status, await res.clone().text()).toBe(201);
  // The sandbox reviews the templates the app created at start in about two seconds.
  const approved = await waitFor(async () => (await app.database.db.selectFrom('message_templates').select('name').where('status', '=', 'APPROVED').execute()).length === ALL, 30_000);
  expect(approved).toBe(true);
  browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
  await newPage();
}, 90_000);

beforeEach((ctx) => {
  ctx.onTestFailed(async () => {
    if (page) await page.screenshot({ path: path.join(ARTIFACTS, `FAILED-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe.skipIf(skip)('templates page (Chromium)', () => {
  it('shows every template per language with its status; "Sync now" brings a stale status back in line', async () => {
    // A status that no longer matches the WABA (as after a missed webhook).
    await app.database.db.updateTable('message_templates').set({ status: 'REJECTED', reason: 'INVALID_FORMAT' }).where('name', '=', 'pl_survey_v1').where('language', '=', 'fr').execute();
    await signIn(app.config.adminEmail!, app.config.adminPassword!);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates', exact: true }).click();
    await poll(() => heading().textContent()).toBe('Templates');
    await poll(() => page.locator('table.templates').count()).toBe(Object.values(TEMPLATES).length);
    expect(await page.locator('table.templates tbody tr').count()).toBe(ALL);
    expect(await page.locator('table[data-template="pl_appointment_reminder_v1"] caption').textContent()).toContain('Appointment reminder');
    expect(await badge('pl_appointment_reminder_v1', 'pt').textContent()).toBe('Approved');
    expect(await badge('pl_appointment_reminder_v1', 'pt').getAttribute('class')).toContain('tpl-ok');
    expect(await page.locator('table[data-template="pl_appointment_reminder_v1"] tr[data-language="pt"] td').first().textContent()).toBe('Português');
    const survey = page.locator('table[data-template="pl_survey_v1"] tr[data-language="fr"]');
    expect(await badge('pl_survey_v1', 'fr').textContent()).toBe('Rejected');
    expect(await badge('pl_survey_v1', 'fr').getAttribute('class')).toContain('tpl-stopped');
    expect(await survey.locator('td').nth(3).textContent()).toBe('INVALID_FORMAT');
    await page.screenshot({ path: path.join(ARTIFACTS, '01-templates-stale.png'), fullPage: false });

    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('status').filter({ hasText: 'Synced with Meta (0 created).' }).waitFor();
    await poll(() => badge('pl_survey_v1', 'fr').textContent()).toBe('Approved');
    expect(await survey.locator('td').nth(3).textContent()).toBe('—');
    await page.screenshot({ path: path.join(ARTIFACTS, '02-templates-synced.png'), fullPage: false });
    const audit = await app.database.db.selectFrom('audit_log').select(['actor_type', 'details']).where('action', '=', 'templates.sync').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'staff', details: { outcome: 'ok' } });
  });

  it('lets reception read the page without the sync button', async () => {
    await newPage();
    await signIn(RECEPTION.email, RECEPTION.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates', exact: true }).click();
    await poll(() => page.locator('table.templates tbody tr').count()).toBe(ALL);
    expect(await page.getByRole('button', { name: 'Sync now' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
