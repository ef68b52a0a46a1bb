// Signing in and out, the language, and what each role is shown (from `viewer.allowed`).
import { expect, test } from '@playwright/test';
import { TENANT, noSeriousViolations, shot, signIn } from './helpers';

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

test('Japanese and English, the user choosing', async ({ page }) => {
  await signIn(page, 'support');
  await page.getByText('日本語').click();
  await expect(page.getByRole('link', { name: '顧客' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await shot(page, 'japanese');
  await page.reload();
  await expect(page.getByRole('button', { name: 'ログアウト' })).toBeVisible();
  await page.getByText('English').click();
  await expect(page.getByRole('link', { name: 'Customers' })).toBeVisible();
});

test('each role sees the pages its roles allow, no more', async ({ page }) => {
  const nav = page.getByRole('navigation', { name: 'main' });
  await signIn(page, 'support');
  await expect(nav.getByRole('link', { name: 'Customers' })).toBeVisible();
  await expect(nav.getByRole('link')).toHaveText(['Lines to review', 'Customers', 'Orders', 'Catalog', 'Inventory', 'Usage', 'Carrier', 'Tenants']);
  // A page typed into the address bar says it is not allowed instead of failing.
  await page.goto('/audit');
  await expect(page.getByRole('alert')).toContainText('do not allow');
  await page.getByRole('button', { name: 'Sign out' }).click();
  // Signed out once the sign-in form is back (navigating earlier would cut the sign-out off).
  await expect(page.getByLabel('Tenant')).toBeVisible();
  await signIn(page, 'auditor');
  await expect(nav.getByRole('link', { name: 'Audit log' })).toBeVisible();
  await nav.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await expect(page.getByTestId('verdict')).toContainText('The chain is intact');
  await expect(page.getByTestId('audit')).toContainText('line.status_change');
  await noSeriousViolations(page, 'audit');
  await shot(page, 'audit');
  await nav.getByRole('link', { name: 'Catalog' }).click();
  await expect(page.getByTestId('plan')).toHaveCount(2);
  await expect(page.getByTestId('plan').first()).toContainText('¥');
  await noSeriousViolations(page, 'catalog');
});
