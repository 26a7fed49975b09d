import { defineConfig } from "@playwright/test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { NHSMAIL_PEOPLE, PASSWORD } from "./support/session";

// The tests drive the real server, built by `cargo leptos build`, on its own port and a fresh
// database holding the test accounts (end2end/serve.sh), in Debian's Chromium (Playwright's own
// browser download is not used).
const root = resolve(__dirname, "..");
// How Debian's Chromium is started here (also by bench/page-weight.mjs).
const chromium = JSON.parse(readFileSync(join(__dirname, "support/chromium.json"), "utf8"));
const port = Number(process.env.APPREG_E2E_PORT ?? 3100);
const oidcPort = port + 1;
// Made once, by the runner (the config is loaded again in each worker, which inherits the
// runner's environment and so finds the same directory), and removed by the runner only.
const made = process.env.APPREG_E2E_DATA_DIR === undefined;
const dataDir = process.env.APPREG_E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), "appreg-e2e-"));
if (made) {
  process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
}
// Specs that sign in without the shared helper read the accounts' password from here.
process.env.APPREG_E2E_PASSWORD ??= PASSWORD;
// Specs that run the desk's scheduler (`appreg schedule run --now …`, as cron does) on the
// server's database find it here.
process.env.APPREG_E2E_DATA_DIR = dataDir;

/** The specs that move the desk's clock (see the projects below). */
const MOVES_THE_CLOCK = /(after-approval|deletion)\.spec\.ts$/;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  // Two workers, no retries: a failure is a failure (scripts/e2e-loop runs the suite several times
  // in a row to show it is steady). `hydrated()` in support/form.ts says how far a page's loads got
  // if one ever does not hydrate.
  workers: 2,
  retries: 0,
  projects: [
    { name: "desk", testIgnore: MOVES_THE_CLOCK },
    // The specs that run the desk's scheduler with its clock moved days ahead (`appreg schedule run
    // --now …`) act on every request in the one database: a secret another test has just shown
    // would be purged under it. They run after the rest, one at a time. (`--no-deps` runs one of
    // them alone.)
    { name: "clock moved", testMatch: MOVES_THE_CLOCK, dependencies: ["desk"], workers: 1 },
  ],
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? chromium.executablePath,
      args: chromium.args,
    },
  },
  webServer: [
  // The OpenID provider "Sign in with NHSmail" goes to (nhsmail.spec.ts): node oidc-provider set
  // up like the NHSmail tenant, with the people below.
  {
    command: `node ${join(root, "end2end/oidc-provider.mjs")}`,
    cwd: root,
    url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
    reuseExistingServer: false,
    timeout: 30_000,
    env: {
      OIDC_PORT: String(oidcPort),
      OIDC_REDIRECT_URI: `http://127.0.0.1:${port}/sign-in/nhsmail/callback`,
      OIDC_ACCOUNTS: JSON.stringify(NHSMAIL_PEOPLE),
    },
  },
  {
    command: `bash ${join(root, "end2end/serve.sh")}`,
    cwd: root,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      APPREG_ADDRESS: `127.0.0.1:${port}`,
      APPREG_DATA_DIR: dataDir,
      APPREG_SITE_ROOT: join(root, "target/site"),
      APPREG_LOG: "warn",
      APPREG_E2E_PASSWORD: process.env.APPREG_E2E_PASSWORD,
      APPREG_OIDC_ISSUER: `http://127.0.0.1:${oidcPort}`,
      APPREG_OIDC_CLIENT_ID: "appreg-desk",
      APPREG_OIDC_CLIENT_SECRET: "appreg-desk-test-secret-0123456789abcdef",
    },
  },
  ],
});
