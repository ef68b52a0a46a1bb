// The back office: a new customer checked for duplicates before it is created, KYC recorded
// and verified through a second person; a pricing plugin's candidate replayed against the
// version in force, with the differences, and its activation requested.
import { expect, test } from '@playwright/test';
import { approve, approverBrowser, noSeriousViolations, shot, signIn } from './helpers';

const EXISTING = process.env.TSUNAGI_CUSTOMER_NAME ?? '';

test('a customer: duplicates shown first, then KYC submitted and verified by a second person', async ({ page, browser }) => {
  await signIn(page, 'sales');
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Customers' }).click();
  await expect(page.getByTestId('customers')).toContainText(EXISTING);
  await page.getByLabel('Name', { exact: false }).first().fill(EXISTING);
  await page.getByRole('button', { name: 'Check for duplicates' }).click();
  await expect(page.getByTestId('lookalikes')).toContainText(EXISTING);
  await expect(page.getByRole('button', { name: 'Create customer' })).toBeDisabled();
  await noSeriousViolations(page, 'customers');
  await shot(page, 'customers');
  // A malformed e-mail is refused by field.
  await page.getByLabel('E-mail').fill('not-an-address');
  await page.getByRole('button', { name: 'Check for duplicates' }).click();
  await page.getByLabel('This is a different customer: create anyway').check();
  await page.getByRole('button', { name: 'Create customer' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'input.email' })).toContainText('is not a valid e-mail address');
  await page.getByLabel('E-mail').fill('hanako.other@example.jp');
  await page.getByRole('button', { name: 'Check for duplicates' }).click();
  await page.getByLabel('This is a different customer: create anyway').check();
  await page.getByRole('button', { name: 'Create customer' }).click();
  await expect(page.getByTestId('kyc-status')).toHaveText('KYC NOT_STARTED');
  await page.getByLabel('Note (documents, reason)').fill('driving licence, front and back');
  await page.getByRole('button', { name: 'Documents received' }).click();
  await expect(page.getByTestId('kyc-status')).toHaveText('KYC SUBMITTED');
  await page.getByRole('button', { name: 'Request verification' }).click();
  await expect(page.getByRole('status')).toContainText('waits for a second person');
  await noSeriousViolations(page, 'customer');
  await shot(page, 'customer');
  const approver = await approverBrowser(browser);
  await approve(approver.page, EXISTING);
  await approver.ctx.close();
  await page.reload();
  await expect(page.getByTestId('kyc-status')).toHaveText('KYC VERIFIED');
});

test('a pricing plugin candidate replayed against the version in force shows what changes', async ({ page }) => {
  await signIn(page, 'admin');
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Plugins' }).click();
  const candidate = page.getByTestId('plugin-version').filter({ hasText: '1.1.0' });
  await expect(page.getByTestId('plugin-version').filter({ hasText: '1.0.0' })).toContainText('in force');
  await candidate.getByRole('button', { name: 'Replay against what is in force' }).click();
  await expect(page.getByTestId('replay-summary')).toContainText('1 inputs: 1 changed');
  await expect(page.getByTestId('differences').first()).toContainText('volume-discount');
  await noSeriousViolations(page, 'plugins');
  await shot(page, 'plugins');
  await page.getByRole('combobox', { name: 'Hook' }).click();
  await page.getByRole('option', { name: 'pricing' }).click();
  await page.getByLabel('Why (shown to the approver)').fill('20 % for the spring campaign');
  await page.getByRole('button', { name: 'Request activation' }).click();
  await expect(page.getByRole('status')).toContainText('waits for a second person');
});
