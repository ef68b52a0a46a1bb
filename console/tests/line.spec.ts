// The phone-call page: search in the way a person types a number, a plan change with its
// price effect shown before confirming, and a suspension requested by support that an
// approver — already signed in elsewhere — sees arrive live, approves, and that suspends
// the line.
import { expect, test } from '@playwright/test';
import { MSISDN, approve, approverBrowser, noSeriousViolations, openLine, shot, signIn } from './helpers';

test('a plan change shows its prorated effect before it is confirmed', async ({ page }) => {
  await signIn(page, 'support');
  await openLine(page);
  await expect(page.getByText('Basic 3GB')).toBeVisible();
  await page.getByRole('combobox', { name: 'New plan' }).click();
  await page.getByRole('option', { name: 'Value 10GB (VALUE-10G)' }).click();
  const preview = page.getByTestId('plan-preview');
  await expect(preview).toContainText('¥2,980');
  await expect(preview).toContainText('¥4,980');
  await expect(page.getByTestId('proration')).toContainText('¥');
  await noSeriousViolations(page, 'plan-change');
  await shot(page, 'plan-change');
  await page.getByRole('button', { name: 'Confirm the plan change' }).click();
  await expect(page.getByRole('status')).toContainText('Plan change ordered');
  await expect(page.getByTestId('orders')).toContainText('plan_change');
  await page.reload();
  await expect(page.getByText('Value 10GB')).toBeVisible();
});

test('support requests a suspension; the approver sees it arrive live and approves', async ({ page, browser }) => {
  const approver = await approverBrowser(browser);
  await signIn(page, 'support');
  await openLine(page);
  await expect(page.getByTestId('line-status')).toHaveText('ACTIVE');
  await noSeriousViolations(page, 'line');
  await shot(page, 'line');
  await expect(page.getByText('A second person must approve')).toBeVisible();
  await page.getByLabel('Why (shown to the approver)').fill('customer reported the phone lost');
  await page.getByRole('button', { name: 'Request suspension' }).click();
  await expect(page.getByRole('status')).toContainText('waits for a second person');
  // The approver's console hears of it without a reload.
  // (Rendered in the tenant's language: the approver has not chosen one.)
  await expect(approver.page.getByTestId('alert-live')).toContainText('line.suspend', { timeout: 20_000 });
  await approver.page.getByTestId('alerts-bell').click();
  await expect(approver.page.getByTestId('alert').first()).toContainText(MSISDN);
  await noSeriousViolations(approver.page, 'alerts');
  await shot(approver.page, 'alerts');
  await approver.page.keyboard.press('Escape');
  await noSeriousViolations(approver.page, 'approvals');
  await shot(approver.page, 'approvals');
  await approve(approver.page, MSISDN);
  // The approver opens the line too: the page shows what an approver may read.
  await approver.page.goto(new URL(page.url()).pathname);
  await expect(approver.page.getByTestId('line-status')).toHaveText('SUSPENDED');
  await expect(approver.page.getByText('Your roles do not show orders.')).toBeVisible();
  await approver.ctx.close();
  await page.reload();
  await expect(page.getByTestId('line-status')).toHaveText('SUSPENDED');
  await expect(page.getByRole('cell', { name: 'line.status_change' }).first()).toBeVisible();
});
