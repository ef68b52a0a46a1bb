// A tenant admin's screens: numbers and SIMs added in batches (a wrong one named by line and
// field, nothing added),
// a notification template edited with the hub's own live preview (a missing value named),
// an API key whose secret is shown once, orders by state and the tenant tree — each page
// scanned for accessibility.
import { expect, test } from '@playwright/test';
import { TENANT, noSeriousViolations, shot, signIn } from './helpers';

test('inventory, notifications, users and keys, orders and tenants for a tenant admin', async ({ page }) => {
  await signIn(page, 'admin');
  const nav = page.getByRole('navigation', { name: 'main' });

  await nav.getByRole('link', { name: 'Inventory' }).click();
  const batch = page.getByLabel('Add numbers');
  await batch.fill('070-1111-0001\nnot-a-number\n070-1111-0002');
  await page.getByRole('button', { name: 'Add 3' }).click();
  await expect(page.getByRole('alert')).toContainText('input.items[1]');
  await expect(page.getByTestId('numbers')).not.toContainText('+817011110001');
  await batch.fill('070-1111-0001\n070-1111-0002');
  await page.getByRole('button', { name: 'Add 2' }).click();
  await expect(page.getByRole('status')).toContainText('2 added');
  await expect(page.getByTestId('numbers')).toContainText('+817011110002');
  // SIMs pasted from a spreadsheet: a short IMSI is named by line and field, nothing added.
  const sims = (process.env.TSUNAGI_NEW_SIMS ?? '').split('\n');
  await page.getByRole('tab', { name: /SIMs/ }).click();
  const simBatch = page.getByLabel('Add SIMs');
  await simBatch.fill(`${sims[0]}\n${sims[1].split(',')[0]},4401`);
  await page.getByRole('button', { name: 'Add 2' }).click();
  await expect(page.getByRole('alert')).toContainText('input.items[1].imsi');
  await simBatch.fill(sims.join('\n'));
  await page.getByRole('button', { name: 'Add 2' }).click();
  await expect(page.getByRole('status')).toContainText('2 added');
  await expect(page.getByTestId('sims')).toContainText(sims[1].split(',')[0].slice(-4));
  await noSeriousViolations(page, 'inventory');
  await shot(page, 'inventory');

  await nav.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('combobox', { name: 'Topic', exact: true }).fill('invoice.issued');
  await page.getByRole('option', { name: 'invoice.issued' }).click();
  await page.getByText('English', { exact: true }).last().click();
  const preview = page.getByTestId('template-preview');
  await expect(preview).not.toBeEmpty();
  await page.getByLabel('Subject').fill('Your bill {{ data.nosuch }}');
  await expect(preview).toContainText('data.nosuch');
  await expect(page.getByRole('button', { name: 'Save template' })).toBeDisabled();
  await page.getByLabel('Subject').fill('Your bill is ready');
  await expect(preview).toContainText('Your bill is ready');
  await page.getByRole('button', { name: 'Save template' }).click();
  await expect(page.getByRole('status')).toContainText('Saved');
  await noSeriousViolations(page, 'notifications');
  await shot(page, 'notifications');

  await nav.getByRole('link', { name: 'Users and keys' }).click();
  await expect(page.getByTestId('users')).toContainText(`support@${TENANT}.example`);
  await page.getByLabel('Key name').fill('billing export');
  await page.getByRole('combobox', { name: 'Roles' }).last().click({ force: true });
  await page.getByRole('option', { name: 'billing', exact: true }).click();
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByTestId('key-secret')).toContainText('Shown once');
  await expect(page.getByTestId('keys')).toContainText('billing export');
  await noSeriousViolations(page, 'access');
  await page.reload();
  await expect(page.getByTestId('key-secret')).toHaveCount(0);

  await nav.getByRole('link', { name: 'Orders' }).click();
  await page.getByRole('combobox', { name: 'State' }).click();
  await page.getByRole('option', { name: 'COMPLETED' }).click();
  await expect(page.getByTestId('orders-list')).toContainText('new_line');
  await noSeriousViolations(page, 'orders');

  await nav.getByRole('link', { name: 'Tenants' }).click();
  await expect(page.getByTestId('tenants')).toContainText(TENANT);
  await noSeriousViolations(page, 'tenants');
});
