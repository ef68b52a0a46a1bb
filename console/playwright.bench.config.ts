import { defineConfig } from '@playwright/test';

// Driven by `cargo xtask bench --bench console` (tests/benches/console.rs), which seeds
// 1,000,000 lines, starts the real server and passes its address and the lines to visit.
export default defineConfig({
  testDir: './bench',
  timeout: 600_000,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results/bench',
  use: {
    baseURL: process.env.TSUNAGI_BASE_URL ?? 'http://127.0.0.1:8080',
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] },
    locale: 'en-US',
  },
});
