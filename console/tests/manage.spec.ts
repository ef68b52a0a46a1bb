// What a tenant admin keeps by hand, each change shown in words before it is made: a
// customer's contacts (a wrong phone named, a removal confirmed) and billing accounts; a new
// plan reviewed, created as a draft, activated, and given a next-term price version; a
// tenant policy rule added and removed; a notification rule; and a webhook endpoint's
// secret rotated with the old one kept for an overlap.
import { expect, test } from '@playwright/test';
import { approve, approverBrowser, noSeriousViolations, shot, signIn } from './helpers';

const EXISTING = process.env.TSUNAGI_CUSTOMER_NAME ?? '';

test('contacts, billing accounts, plans and prices, policies, rules and secrets kept by a tenant admin', async ({ page }) => {
  await signIn(page, 'admin');
  const nav = page.getByRole('navigation', { name: 'main' });

  await nav.getByRole('link', { name: 'Customers' }).click();
  await page.getByTestId('customers').getByRole('link', { name: EXISTING }).first().click();
  await page.getByLabel('Contact name').fill('Keiri Hanako');
  await page.getByLabel('Phone').last().fill('12');
  await page.getByRole('button', { name: 'Add contact' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'input.phone' })).toBeVisible();
  await page.getByLabel('Phone').last().fill('03-1234-5678');
  await page.getByRole('button', { name: 'Add contact' }).click();
  const contact = page.getByTestId('contact').filter({ hasText: 'Keiri Hanako' });
  await expect(contact).toContainText('+81312345678');
  await expect(contact).toContainText('Billing');
  await page.getByLabel('Billing account name').fill('Tanaka branch office');
  await page.getByRole('button', { name: 'Open billing account' }).click();
  await expect(page.getByTestId('billing-account').filter({ hasText: 'Tanaka branch office' })).toContainText('JPY');
  await noSeriousViolations(page, 'customer contacts');
  await contact.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('Remove the contact Keiri Hanako?');
  await page.getByRole('button', { name: 'Yes, remove' }).click();
  await expect(page.getByTestId('contact').filter({ hasText: 'Keiri Hanako' })).toHaveCount(0);

  await nav.getByRole('link', { name: 'Catalog' }).click();
  const form = page.getByTestId('new-plan');
  await form.getByLabel('Code').fill('SPRING-3G');
  await form.getByLabel('Name').fill('Spring 3GB');
  await form.getByLabel('Monthly fee (JPY, minor units)').fill('1480');
  await form.getByLabel('Data (MB)').fill('3072');
  await form.getByRole('button', { name: 'Review' }).click();
  await expect(form.getByTestId('price-effect')).toContainText('1,480');
  await expect(form.getByTestId('price-effect')).toContainText('3072 MB');
  await form.getByRole('button', { name: 'Create plan (draft)' }).click();
  const plan = page.getByTestId('plan').filter({ hasText: 'SPRING-3G' });
  await expect(plan).toContainText('DRAFT');
  await plan.getByRole('button', { name: 'Activate' }).click();
  await expect(plan.getByRole('alertdialog')).toContainText('It can be sold from now on');
  await plan.getByRole('button', { name: 'Yes, activate' }).click();
  await expect(plan).toContainText('ACTIVE');
  await plan.getByRole('button', { name: 'New price version' }).click();
  const price = plan.getByTestId('new-price');
  await price.getByLabel('Monthly fee (JPY, minor units)').fill('1280');
  await price.getByLabel('Data (MB)').fill('3072');
  await price.getByLabel('From, Asia/Tokyo time (empty: now)').fill('2031-04-01T00:00');
  await price.getByRole('combobox', { name: 'Reaches existing contracts' }).click();
  await page.getByRole('option', { name: 'next term' }).click();
  await price.getByRole('button', { name: 'Review' }).click();
  await expect(price.getByTestId('price-effect')).toContainText('keep their price until their next term');
  await price.getByRole('button', { name: 'Add price version' }).click();
  await expect(plan.getByRole('row')).toHaveCount(3);
  await expect(plan).toContainText('next term');
  // An option, reviewed in words before it is created.
  const option = page.getByTestId('new-option');
  await option.getByLabel('Code').fill('FAMILY-SHARE');
  await option.getByLabel('Name').fill('Family share');
  await option.getByLabel('Monthly fee (JPY, minor units)').fill('330');
  await option.getByRole('button', { name: 'Review' }).click();
  await expect(option.getByTestId('option-effect')).toContainText('Family share (FAMILY-SHARE) at ¥330 a month');
  await option.getByRole('button', { name: 'Create option' }).click();
  await expect(page.getByRole('cell', { name: 'FAMILY-SHARE' })).toBeVisible();
  await noSeriousViolations(page, 'catalog');
  await shot(page, 'catalog-edit');

  await nav.getByRole('link', { name: 'Users and keys' }).click();
  await page.getByLabel('Subject (role)').fill('support');
  await page.getByLabel('Object', { exact: true }).fill('customer');
  await page.getByLabel('Action', { exact: true }).fill('update');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByTestId('rule-effect')).toHaveText('support may update on customer.');
  await page.getByRole('button', { name: 'Add rule' }).click();
  const rule = page.getByTestId('policy').filter({ hasText: 'support, customer, update' });
  await expect(rule).toBeVisible();
  await noSeriousViolations(page, 'policies');
  await rule.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('button', { name: 'Yes, remove' }).click();
  await expect(page.getByTestId('policy').filter({ hasText: 'support, customer, update' })).toHaveCount(0);

  await nav.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('combobox', { name: 'Topic filter' }).fill('payment.failed');
  await page.getByRole('option', { name: 'payment.failed', exact: true }).click();
  await page.getByRole('combobox', { name: 'Role' }).click();
  await page.getByRole('option', { name: 'billing', exact: true }).click();
  await expect(page.getByTestId('rule-effect')).toHaveText('payment.failed → billing by email');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await expect(page.getByTestId('rule').filter({ hasText: 'payment.failed → billing by email' })).toBeVisible();

  await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hooks/tsunagi');
  await page.getByLabel('Topics', { exact: false }).fill('invoice.issued');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await expect(page.getByTestId('endpoint-secret')).toContainText('whsec_');
  const endpoint = page.getByTestId('endpoint').filter({ hasText: '127.0.0.1:9' });
  await endpoint.getByRole('button', { name: 'Rotate secret' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('The old secret keeps signing for 24 hours');
  await page.getByRole('button', { name: 'Yes, rotate' }).click();
  await expect(page.getByTestId('rotated-secret')).toContainText('whsec_');
  await expect(endpoint).toContainText('old secret signs until');
  // Disabled after a confirmation, enabled again at once.
  await endpoint.getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('Nothing is sent to it until it is enabled again');
  await page.getByRole('button', { name: 'Yes, disable' }).click();
  await expect(endpoint.getByRole('button', { name: 'Enable' })).toBeVisible();
  await endpoint.getByRole('button', { name: 'Enable' }).click();
  await expect(endpoint.getByRole('button', { name: 'Disable' })).toBeVisible();
  await noSeriousViolations(page, 'notification rules');
  await shot(page, 'notification-rules');
});

test('plugins: a version uploaded (a wrong world named), its activation approved, then rolled back at once', async ({ page, browser }) => {
  await signIn(page, 'admin');
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Plugins' }).click();
  const form = page.getByTestId('plugin-upload');
  await form.getByLabel('Plugin name').fill('spring-discount');
  await form.getByLabel('Version').fill('1.0.0');
  await form.locator('input[type="file"]').setInputFiles(process.env.TSUNAGI_PLUGIN_WASM ?? '');
  await form.getByLabel('Manifest (JSON)').fill('{"config": ');
  await form.getByRole('button', { name: 'Upload' }).click();
  await expect(form.getByRole('alert')).toContainText('The manifest is not JSON');
  await form.getByLabel('Manifest (JSON)').fill('{"config": {"min_lines": "1", "percent": "5", "individuals": "true"}}');
  await form.getByRole('combobox', { name: 'World' }).click();
  await page.getByRole('option', { name: 'commission' }).click();
  await form.getByRole('button', { name: 'Upload' }).click();
  await expect(form.getByRole('alert')).toContainText('does not implement the commission world');
  await form.getByRole('combobox', { name: 'World' }).click();
  await page.getByRole('option', { name: 'pricing' }).click();
  await form.getByRole('button', { name: 'Upload' }).click();
  await expect(form.getByRole('status')).toContainText('Version 1.0.0 uploaded');
  const spring = page.getByTestId('plugin').filter({ hasText: 'spring-discount' });
  await expect(spring).toContainText('1.0.0');
  // Its manifest edited in place (it is not in force anywhere).
  await spring.getByRole('button', { name: 'Edit manifest' }).click();
  const editor = spring.getByTestId('manifest-editor');
  await expect(editor.getByLabel('Manifest (JSON)')).toHaveValue(/"percent": "5"/);
  await editor.getByLabel('Manifest (JSON)').fill('{"config": {"min_lines": "1", "percent": "7", "individuals": "true"}}');
  await editor.getByRole('button', { name: 'Save manifest' }).click();
  await expect(spring.getByRole('status')).toContainText(/Manifest saved \(revision \d+\)/);
  await noSeriousViolations(page, 'plugin upload');

  // The candidate whose activation the back office requested is approved by a second person…
  const approver = await approverBrowser(browser);
  await approve(approver.page, '1.1.0');
  await approver.ctx.close();
  await page.reload();
  // The badge, not the replay button's "…what is in force".
  const inForce = (v: string) => page.getByTestId('plugin-version').filter({ hasText: v }).getByText('in force', { exact: true });
  await expect(inForce('1.1.0')).toHaveCount(1);
  await expect(inForce('1.0.0')).toHaveCount(0);
  // …and rolled back at once: the version in force before is in force again.
  const hook = page.getByTestId('hook').filter({ hasText: 'pricing' });
  await hook.getByRole('button', { name: 'Roll back' }).click();
  await expect(hook.getByRole('alertdialog')).toContainText('No approval is needed to go back');
  await hook.getByLabel('Why').fill('spring campaign ended early');
  await hook.getByRole('button', { name: 'Yes, roll back' }).click();
  await expect(inForce('1.0.0')).toHaveCount(1);
  await expect(inForce('1.1.0')).toHaveCount(0);
  await shot(page, 'plugins-rollback');
});
