// The carrier connection and reconciliation. Runs after every other browser test (its own
// Playwright project): once the carrier is connected, line operations go to it.
import { expect, test } from '@playwright/test';
import { MSISDN, noSeriousViolations, shot, signIn } from './helpers';

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
