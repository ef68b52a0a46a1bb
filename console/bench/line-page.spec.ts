// Navigation to a line's data rendered, timed inside the page (performance.now): in-app (the
// router moves to /lines/:id, as support does between calls) and cold (the address loaded
// anew: app, session refresh, viewer, the page's chunk, its query; performance.now counts
// from the navigation's start). Prints one `BENCH {case, run, times}` line per run for
// tests/benches/console.rs.
import { type Page, expect, test } from '@playwright/test';
import { signIn } from '../tests/helpers';

const LINES: [string, string][] = JSON.parse(process.env.BENCH_LINES ?? '[]');
const RUNS = 3;
/** Each run visits lines of its own: the client's cache must not answer a later run. */
const PER_RUN = Math.floor(LINES.length / RUNS);
const ofRun = (run: number) => LINES.slice((run - 1) * PER_RUN, run * PER_RUN);

/** Milliseconds until the page shows the line (its MSISDN's last digits and its state):
 * from a router navigation started here (`push`), else from the document's navigation. */
function timed(page: Page, id: string, tail: string, push: boolean): Promise<number> {
  return page.evaluate(
    ({ id, tail, push }) =>
      new Promise<number>((resolve) => {
        const t0 = push ? performance.now() : 0;
        if (push) {
          history.pushState({}, '', `/lines/${id}`);
          dispatchEvent(new PopStateEvent('popstate'));
        }
        const check = () => {
          const h = document.querySelector('main h2');
          if (h?.textContent?.includes(tail) && document.querySelector('[data-testid="line-status"]')) {
            resolve(performance.now() - t0);
          } else {
            requestAnimationFrame(check);
          }
        };
        check();
      }),
    { id, tail, push },
  );
}

test('the line page on 1,000,000 lines', async ({ page }) => {
  expect(PER_RUN).toBeGreaterThan(0);
  await signIn(page, 'support');
  await expect(page.getByTestId('viewer')).toBeVisible();
  for (let run = 1; run <= RUNS; run++) {
    const times: number[] = [];
    for (const [id, msisdn] of ofRun(run)) times.push(await timed(page, id, msisdn.slice(-8), true));
    console.log(`BENCH ${JSON.stringify({ case: 'in-app navigation', run, times })}`);
  }
  for (let run = 1; run <= RUNS; run++) {
    const times: number[] = [];
    for (const [id, msisdn] of ofRun(run).slice(0, 10)) {
      await page.goto(`/lines/${id}`);
      times.push(await timed(page, id, msisdn.slice(-8), false));
    }
    console.log(`BENCH ${JSON.stringify({ case: 'cold load of the address', run, times })}`);
  }
});
