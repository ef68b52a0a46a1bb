// Self-service: a customer's user signs in to the same app and sees only their own line —
// not the other line of their company — and asks to suspend it; the request waits for the
// operator's approval, and says so. They buy a data add-on, and their allowance grows.
// Their profile: the language of their messages, saved to them, and which messages they get.
import { expect, test } from '@playwright/test';
import { MSISDN, noSeriousViolations, shot, signIn } from './helpers';

const SELF = process.env.TSUNAGI_SELF_EMAIL ?? '';
const SELF_PASSWORD = process.env.TSUNAGI_SELF_PASSWORD ?? '';
const OWN = process.env.TSUNAGI_SELF_MSISDN ?? '';

test('a customer user sees only their line and requests its suspension, which waits for approval', async ({ page }) => {
  await signIn(page, SELF, SELF_PASSWORD);
  await expect(page.getByRole('heading', { name: 'My lines' }).first()).toBeVisible();
  const lines = page.getByTestId('my-line');
  await expect(lines).toHaveCount(1);
  await expect(lines).toContainText(OWN);
  await expect(page.getByText(MSISDN)).toHaveCount(0);
  // No staff screens: no search, no queues.
  await expect(page.getByRole('combobox')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Approvals' })).toHaveCount(0);
  await expect(page.getByText('To cancel the contract, contact')).toBeVisible();
  // Their allowance this month, live: nothing used yet on this line.
  const allowance = page.getByTestId('line-allowance');
  await expect(allowance).toContainText('Allowance this month');
  await expect(allowance).toContainText('no usage counted yet');
  await expect(allowance.getByTestId('allowance-data')).toContainText('0 MB of');
  // More data for this month: a data add-on, its price confirmed first; the allowance grows.
  const addOns = page.getByTestId('data-add-ons');
  await expect(addOns).toContainText('1 GB data charge: 1000 MB for ¥550');
  await addOns.getByRole('button', { name: 'Buy 1 GB data charge' }).click();
  await expect(addOns).toContainText("adds 1000 MB to this month's allowance. ¥550 is charged once");
  await addOns.getByRole('button', { name: 'Buy for ¥550' }).click();
  await expect(addOns.getByRole('status')).toContainText("Added 1000 MB to this month's allowance.");
  await expect(allowance).toContainText('1000 MB added');
  await expect(allowance.getByTestId('allowance-data')).toContainText('0 MB of');
  await noSeriousViolations(page, 'self-service');
  await page.getByLabel('Why (e.g. phone lost)').fill('I lost my phone on the train');
  await page.getByRole('button', { name: 'Request suspension' }).click();
  await expect(page.getByText("Request sent: it waits for the operator's approval.")).toBeVisible();
  await expect(page.getByTestId('my-requests')).toContainText("waiting for the operator's approval");
  await page.reload();
  await expect(page.getByTestId('my-line-status')).toHaveText('ACTIVE');
  await expect(page.getByText('already waits for the operator')).toBeVisible();
  await shot(page, 'self-service');
  const header = page.getByRole('banner');
  await header.getByText('日本語').click();
  await expect(page.getByTestId('my-requests')).toContainText('事業者の承認待ち');
  await header.getByText('English').click();

  // Their own messages: every non-critical one stopped, then one kind; a critical kind
  // cannot be stopped, and the page says why.
  const profile = page.getByTestId('my-profile');
  await expect(profile).toContainText(SELF);
  const all = profile.getByLabel('E-mail me every message that is not critical', { exact: false });
  await expect(all).toBeChecked();
  await all.click({ force: true });
  await expect(all).not.toBeChecked();
  await profile.getByLabel('Stop one kind of message').fill('payment.failed');
  await profile.getByRole('button', { name: 'Stop it' }).click();
  await expect(profile.getByRole('alert')).toContainText('payment.failed is critical and is always delivered');
  await profile.getByLabel('Stop one kind of message').fill('quota.threshold_reached');
  await profile.getByRole('button', { name: 'Stop it' }).click();
  await expect(profile.getByTestId('my-preferences')).toContainText('quota.threshold_reached');
  await expect(profile.getByTestId('my-preferences')).toContainText('not sent');
  // The language of their messages is saved to them (read back from the server).
  await profile.getByText('日本語').click();
  await expect(page.getByRole('heading', { name: 'プロフィールとお知らせ' })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('my-profile').getByRole('radio', { name: '日本語' })).toBeChecked();
  await noSeriousViolations(page, 'self-service profile');
  await shot(page, 'self-profile');
});
