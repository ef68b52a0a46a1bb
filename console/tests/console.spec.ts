// The console as people use it, in Debian's Chromium against the real server: sign-in and
// a reload that keeps the session; search → the line page → a suspension request → a
// second person approves in another browser → the line is suspended; Japanese and
// English; sign-out; an accessibility scan of each page. Screenshots go to test-results/.
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type Page, expect, test } from '@playwright/test';

const TENANT = process.env.TSUNAGI_TENANT ?? 'sakura-mobile';
const PASSWORD = process.env.TSUNAGI_PASSWORD ?? '';
const MSISDN = process.env.TSUNAGI_LINE_MSISDN ?? '';
const email = (local: string) => `${local}@${TENANT}.example`;

async function signIn(page: Page, who: string, password = PASSWORD) {
  await page.goto('/');
  await page.getByLabel('Tenant').fill(TENANT);
  await page.getByLabel('E-mail').fill(email(who));
  await page.locator('input[type="password"]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function noSeriousViolations(page: Page, name: string) {
  const r = await new AxeBuilder({ page }).analyze();
  const serious = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), name).toEqual([]);
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

test('sign-in refuses a wrong password, keeps the session across a reload, signs out', async ({ page }) => {
  await signIn(page, 'support', 'wrong-password');
  await expect(page.getByRole('alert')).toContainText('wrong');
  await noSeriousViolations(page, 'sign-in');
  await shot(page, 'sign-in');
  await signIn(page, 'support');
  await expect(page.getByTestId('viewer')).toContainText(TENANT);
  // The refresh token is an HttpOnly cookie: scripts cannot read it, a reload uses it.
  expect(await page.evaluate(() => document.cookie)).not.toContain('tsunagi_refresh');
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('ey');
  await page.reload();
  await expect(page.getByTestId('viewer')).toContainText(TENANT);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

async function approveInOtherBrowser(browser: Browser) {
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  await signIn(page, 'approver');
  await page.getByRole('link', { name: 'Approvals' }).click();
  const card = page.getByTestId('approval').filter({ hasText: 'suspend' }).first();
  await expect(card).toBeVisible();
  await noSeriousViolations(page, 'approvals');
  await shot(page, 'approvals');
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status')).toContainText('Decided');
  await ctx.close();
}

test('search finds the line; a suspension requested by support is approved by a second person', async ({ page, browser }) => {
  await signIn(page, 'support');
  const search = page.getByRole('combobox', { name: 'Search lines, SIMs, customers' });
  // The MSISDN as a person types it on the phone: national format with hyphens.
  const national = `0${MSISDN.slice(3, 5)}-${MSISDN.slice(5, 9)}-${MSISDN.slice(9)}`;
  await search.fill(national);
  await expect(page.getByRole('option').first()).toBeVisible();
  await search.press('Enter');
  await expect(page.getByRole('heading', { name: `Line ${MSISDN}` })).toBeVisible();
  await expect(page.getByTestId('line-status')).toHaveText('ACTIVE');
  await noSeriousViolations(page, 'line');
  await shot(page, 'line');
  await expect(page.getByText('A second person must approve')).toBeVisible();
  await page.getByLabel('Why (shown to the approver)').fill('customer reported the phone lost');
  await page.getByRole('button', { name: 'Request suspension' }).click();
  await expect(page.getByRole('status')).toContainText('waits for a second person');
  await approveInOtherBrowser(browser);
  await page.reload();
  await expect(page.getByTestId('line-status')).toHaveText('SUSPENDED');
  await expect(page.getByRole('cell', { name: 'line.status_change' }).first()).toBeVisible();
});

test('Japanese and English, the user choosing', async ({ page }) => {
  await signIn(page, 'support');
  await page.getByText('日本語').click();
  await expect(page.getByRole('link', { name: '承認待ち' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await shot(page, 'japanese');
  await page.reload();
  await expect(page.getByRole('button', { name: 'ログアウト' })).toBeVisible();
  await page.getByText('English').click();
  await expect(page.getByRole('link', { name: 'Approvals' })).toBeVisible();
});

test('a tenant admin connects the carrier and reconciles: drift is listed with its rule', async ({ page }) => {
  const sim = process.env.TSUNAGI_CARRIER_URL ?? '';
  await signIn(page, 'admin');
  await page.getByRole('link', { name: 'Carrier' }).click();
  await expect(page.getByText('No carrier is connected yet.')).toBeVisible();
  // A private address not allowed for carriers is refused, by field.
  await page.getByLabel('Carrier API endpoint').fill('http://10.9.8.7:9090');
  await page.getByLabel('API key (leave empty to keep it)', { exact: true }).fill(process.env.TSUNAGI_CARRIER_KEY ?? '');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('input.endpoint');
  await page.getByLabel('Carrier API endpoint').fill(sim);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('callback-secret')).toContainText('whsec_');
  await noSeriousViolations(page, 'carrier');
  // The line active in our books is unknown to the carrier: reconciliation says so.
  await page.getByRole('button', { name: 'Run now' }).click();
  const run = page.getByTestId('run').first();
  await expect(run).toContainText('done', { timeout: 20_000 });
  await run.click();
  await expect(page.getByTestId('items')).toContainText(MSISDN);
  await expect(page.getByTestId('items')).toContainText('missing_at_carrier');
  await shot(page, 'carrier');
});
