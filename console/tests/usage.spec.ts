// Usage intake in the console: billing staff find the records the carrier sent that could not
// be taken, each with its reason; they correct a malformed one field by field and discard an
// unknown number saying why; support then sees the line's usage on the line page.
import { expect, test } from '@playwright/test';
import { noSeriousViolations, openLine, shot, signIn } from './helpers';

test('billing corrects one refused record and discards another; the line shows its usage', async ({ page }) => {
  await signIn(page, 'billing');
  await page.getByRole('link', { name: 'Usage' }).click();
  const rows = page.getByTestId('rejection');
  await expect(rows).toHaveCount(2);
  await expect(page.getByTestId('batches')).toContainText('3 received: 1 taken, 0 duplicates, 2 refused');
  await noSeriousViolations(page, 'usage');
  await shot(page, 'usage');

  // The number no line has: discarded, with the reason kept.
  const unknown = rows.filter({ hasText: 'Unknown MSISDN' });
  await unknown.getByRole('button', { name: 'Discard' }).click();
  await unknown.getByRole('alertdialog').getByRole('button', { name: 'Discard' }).click();
  await expect(unknown.getByRole('alert')).toContainText('input.reason');
  await unknown.getByLabel('Why (kept in the audit log)').fill('a test SIM of the carrier');
  await unknown.getByRole('alertdialog').getByRole('button', { name: 'Discard' }).click();
  await expect(page.getByRole('status')).toContainText('The record was discarded.');
  await expect(rows).toHaveCount(1);

  // The record without its byte count: as sent it is still refused; corrected, it is taken.
  const bad = rows.first();
  await expect(bad).toContainText('bytesDown: is required');
  await bad.getByRole('button', { name: 'Re-process as sent' }).click();
  await expect(page.getByRole('status')).toContainText('Still not taken');
  await bad.getByRole('button', { name: 'Correct' }).click();
  await bad.getByLabel('Bytes down').fill('2500000');
  await bad.getByRole('button', { name: 'Re-process corrected' }).click();
  await expect(page.getByRole('status')).toContainText('The record was taken.');
  await expect(rows).toHaveCount(0);
  await expect(page.getByText('No record is waiting.')).toBeVisible();
});

test('support sees the line usage and what is left of its allowance on the line page', async ({ page }) => {
  await signIn(page, 'support');
  await openLine(page);
  const usage = page.getByTestId('line-usage');
  await expect(usage).toContainText('console-ok-1');
  await expect(usage).toContainText('1.20 MB');
  // The record taken at first (1.2 MB) and the one billing corrected (2.501 MB), rated
  // against the plan the line has now (changed to the 10 GB plan by the line test).
  const data = page.getByTestId('allowance-data');
  await expect(data).toContainText('3.7 MB of 10240 MB used, 10236.3 MB left');
  await expect(page.getByTestId('allowance-charged')).toContainText('¥0');
  await noSeriousViolations(page, 'line-usage');
  await shot(page, 'line-allowance');
});

test('a tenant admin asks what re-rating the month would change before anything changes', async ({ page }) => {
  await signIn(page, 'admin');
  await openLine(page);
  const rerate = page.getByTestId('rerate');
  await rerate.getByRole('button', { name: 'Show what would change' }).click();
  // The month's two records are priced as the catalog prices them now: nothing changes,
  // and there is nothing to apply.
  await expect(rerate.getByTestId('rerate-summary')).toContainText('2 records since');
  await expect(rerate.getByTestId('rerate-summary')).toContainText('0 records change');
  await expect(rerate.getByRole('button', { name: 'Re-rate' })).toBeDisabled();
  await noSeriousViolations(page, 'rerate');
  await rerate.getByRole('button', { name: 'Cancel' }).click();
  await expect(rerate.getByRole('button', { name: 'Show what would change' })).toBeVisible();
});

test('a tenant admin works out a whole month re-rating in the background and sees nothing to apply', async ({ page }) => {
  await signIn(page, 'admin');
  await page.getByRole('link', { name: 'Usage' }).click();
  const runs = page.getByTestId('rerate-runs');
  // Last month is offered first; the records of this test are this month's.
  const now = new Date();
  const ym = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
  await runs.getByRole('combobox', { name: 'Month' }).click();
  await page.getByRole('option', { name: ym }).click();
  await runs.getByRole('button', { name: 'Work out the re-rating' }).click();
  // The page follows the run while the worker quotes it; nothing was corrected, so every
  // allowance keeps its charges and there is nothing to apply.
  await expect(runs.getByTestId('rerate-run-status')).toHaveText('Ready to apply');
  await expect(runs.getByTestId('rerate-run-summary')).toContainText('0 records in 0 allowances change');
  await expect(runs.getByRole('button', { name: 'Apply the re-rating' })).toHaveCount(0);
  await noSeriousViolations(page, 'rerate-runs');
  await shot(page, 'rerate-runs');
});
