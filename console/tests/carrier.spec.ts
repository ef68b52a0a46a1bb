// The carrier connection, its usage feed and reconciliation. Runs after every other browser test (its own
// Playwright project): once the carrier is connected, line operations go to it. Then the
// carrier keeps failing a step: a person retries it, and resolves the line with what the
// carrier really did.
import { expect, test } from '@playwright/test';
import { MSISDN, approve, approverBrowser, noSeriousViolations, openLine, shot, signIn } from './helpers';

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
  // The carrier's usage feed, as the worker reads it: nothing received yet.
  await expect(page.getByTestId('usage-feed')).toContainText('0 records received');
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

test('a step the carrier keeps failing: retried by a person, then resolved with what the carrier did', async ({ page, browser, request }) => {
  const sim = process.env.TSUNAGI_CARRIER_URL ?? '';
  const faults = async (f: object) => {
    const r = await request.post(`${sim}/admin/faults`, { headers: { authorization: `Bearer ${process.env.TSUNAGI_CARRIER_KEY ?? ''}` }, data: f });
    expect(r.ok()).toBeTruthy();
  };
  await faults({ errorRate: 1.0 });
  try {
    await signIn(page, 'admin');
    await openLine(page);
    await expect(page.getByTestId('line-status')).toHaveText('SUSPENDED');
    await page.getByLabel('Why (shown to the approver)').fill('found the phone');
    await page.getByRole('button', { name: 'Request resumption' }).click();
    await expect(page.getByRole('status')).toContainText('waits for a second person');
    const approver = await approverBrowser(browser);
    await approve(approver.page, MSISDN);
    await approver.ctx.close();
    // Every try fails: after four the step parks and the line waits for a person.
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId('line-status')).toHaveText('NEEDS_REVIEW', { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    const job = page.getByTestId('job').filter({ hasText: 'resume' }).first();
    await expect(job.getByRole('cell').nth(2)).toHaveText('4');
    await expect(page.getByTestId('attempt')).toHaveCount(4);
    await noSeriousViolations(page, 'line in review');
    await shot(page, 'line-review');
    // Retry now: a new round of four tries (the carrier still fails), each on record.
    await job.getByRole('button', { name: 'Retry now' }).click();
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId('attempt')).toHaveCount(8, { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    // The carrier's own books say the line stayed suspended: resolve it so, with a second person.
    await page.getByRole('combobox', { name: 'The line is at the carrier' }).click();
    await page.getByRole('option', { name: 'SUSPENDED' }).click();
    await page.getByLabel('Why (shown to the approver)').fill('carrier portal shows the line suspended');
    await page.getByRole('button', { name: 'Request resolution' }).click();
    await expect(page.getByRole('status')).toContainText('waits for a second person');
    const second = await approverBrowser(browser);
    await approve(second.page, MSISDN);
    await second.ctx.close();
    await page.reload();
    await expect(page.getByTestId('line-status')).toHaveText('SUSPENDED');
  } finally {
    await faults({});
  }
});
