import { defineConfig } from '@playwright/test';

// Driven by the Rust test `console::the_console_in_a_real_browser`, which starts the real
// server with a fresh, seeded database and passes its address in TSUNAGI_BASE_URL.
// Chromium is Debian's (Playwright cannot download browsers here).
export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: process.env.TSUNAGI_BASE_URL ?? 'http://127.0.0.1:8080',
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    locale: 'en-US',
  },
  // The carrier test connects the tenant's carrier, after which line operations go to it:
  // it runs last, after everything people do by hand.
  projects: [
    { name: 'people', testIgnore: /carrier\.spec\.ts/ },
    { name: 'carrier', testMatch: /carrier\.spec\.ts/, dependencies: ['people'] },
  ],
});
