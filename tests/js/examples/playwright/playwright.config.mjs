// A Node project's Playwright suite against game_backend's lobby page: run with
//   cd tests/js && GAME_BACKEND=../../.venv/bin/game-backend npx playwright test -c examples/playwright
// (CHROMIUM names a Chromium to use instead of Playwright's own download.)
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: ".",
  globalSetup: "./global-setup.mjs",
  timeout: 30000,
  reporter: "line",
  outputDir: process.env.PLAYWRIGHT_OUTPUT ?? "test-results",
  use: {
    baseURL: process.env.GAME_URL,
    launchOptions: process.env.CHROMIUM ? { executablePath: process.env.CHROMIUM, args: ["--no-sandbox"] } : {},
  },
});
