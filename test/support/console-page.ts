// What the console's browser tests share: a page that records what the app must never show (page errors,
// Content Security Policy refusals), signing in, polls with room for a loaded machine, the admin token's
// API calls, and the first free slot of a demo service.
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
export const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });

export interface ConsolePageOptions {
  /** Merged over the default context (1280×900, scale 1, en-GB). */
  context?: BrowserContextOptions;
  /** The browser's "now" (its timers keep running): the server's, when the test moves the server's clock. */
  now?: Date;
}

/** A page in a context of its own; its page errors and CSP refusals go to `problems`. */
export async function newConsolePage(browser: Browser, problems: string[], o: ConsolePageOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'en-GB', ...o.context });
  const page = await context.newPage();
  if (o.now) await page.clock.setFixedTime(o.now);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  return page;
}

/** Signs in on the login page and waits for the home page. */
export async function signIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  await poll(() => page.locator('main h1').textContent()).toBe('Home');
}

export type ApiCall = (method: string, url: string, body?: unknown) => Promise<Response>;

/** Calls the server's API with a bearer token; `base` is read at each call (the app starts in beforeAll). */
export function bearerApi(base: () => string, token: string): ApiCall {
  return (method, url, body) =>
    fetch(`${base()}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
}

export interface FreeSlot {
  serviceId: string;
  practitionerId: string;
  start: string;
  end: string;
}

/** The first free slot of the service with this code in the 14 days after `from`. */
export async function firstFreeSlot(api: ApiCall, serviceCode: string, from: Date): Promise<FreeSlot> {
  const services = (await (await api('GET', '/api/services')).json()) as { items: { id: string; code: string }[] };
  const serviceId = services.items.find((s) => s.code === serviceCode)!.id;
  const to = new Date(from.getTime() + 14 * 86_400_000);
  const slots = (await (await api('GET', `/api/slots?serviceId=${serviceId}&from=${from.toISOString()}&to=${to.toISOString()}`)).json()) as { items: Omit<FreeSlot, 'serviceId'>[] };
  return { serviceId, ...slots.items[0]! };
}
