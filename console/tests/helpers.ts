// What every browser test does: sign in as a role of the seeded tenant, scan the page for
// serious accessibility violations (axe-core), keep a screenshot, open the seeded line from
// the search box, and approve a request as a second person in another browser.
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type Page, expect } from '@playwright/test';

export const TENANT = process.env.TSUNAGI_TENANT ?? 'sakura-mobile';
export const PASSWORD = process.env.TSUNAGI_PASSWORD ?? '';
export const MSISDN = process.env.TSUNAGI_LINE_MSISDN ?? '';
export const email = (local: string) => `${local}@${TENANT}.example`;

export async function signIn(page: Page, who: string, password = PASSWORD) {
  await page.goto('/');
  await page.getByLabel('Tenant').fill(TENANT);
  await page.getByLabel('E-mail').fill(who.includes('@') ? who : email(who));
  await page.locator('input[type="password"]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// The MSISDN as a person types it on the phone: national format with hyphens.
const national = `0${MSISDN.slice(3, 5)}-${MSISDN.slice(5, 9)}-${MSISDN.slice(9)}`;

/** Finds the seeded line from the search box as support would, and opens its page. */
export async function openLine(page: Page) {
  const search = page.getByRole('combobox', { name: 'Search lines, SIMs, customers' });
  await search.fill(national);
  await expect(page.getByRole('option').first()).toBeVisible();
  await search.press('Enter');
  await expect(page.getByRole('heading', { name: `Line ${MSISDN}` })).toBeVisible();
}

export async function noSeriousViolations(page: Page, name: string) {
  const r = await new AxeBuilder({ page }).analyze();
  const serious = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => `${n.html} (${n.failureSummary ?? ''})`).join(', ')}`), name).toEqual([]);
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

/** A signed-in approver in a browser of their own, on the approvals queue. */
export async function approverBrowser(browser: Browser) {
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  await signIn(page, 'approver');
  await page.getByRole('link', { name: 'Approvals' }).click();
  await expect(page.getByRole('heading', { name: 'Approvals waiting' })).toBeVisible();
  return { ctx, page };
}

/** The approver approves the request whose card shows `text`. */
export async function approve(page: Page, text: string) {
  await page.reload();
  const card = page.getByTestId('approval').filter({ hasText: text }).first();
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status')).toContainText('Decided');
}
