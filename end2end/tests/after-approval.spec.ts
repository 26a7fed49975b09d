// After approval, as issue 14's journey has it, with the desk's clock moved by its scheduler
// (`appreg schedule run --now …`, as cron runs it, on the server's database): a reviewer pastes
// the JSON Graph answered (with the secret addPassword issued) on the review page; the Local
// Administrator sees the secret; 73 hours later the scheduler has destroyed it and the page says
// so; 30 days before the secret expires the scheduler emails the 30-day reminder (in the desk's
// outbox) to the organisation's Local Administrators and the contacts, never with the secret.
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ACCOUNTS, apiSession, approveAsReviewers, signIn, submitOverApi } from "../support/session";

const root = resolve(__dirname, "../..");
const SECRET = "e2e~Graph.pasted-secret-not-a-real-one-42";
const DAY = 24 * 3600 * 1000;

/** Runs the desk's scheduler at `at` on the server's database; what it printed. */
function scheduleAt(at: Date): string {
  return execFileSync(
    resolve(root, "target/debug/appreg"),
    ["schedule", "run", "--now", at.toISOString().replace(/\.\d+Z$/, "Z")],
    {
      env: { ...process.env, APPREG_DATA_DIR: process.env.APPREG_E2E_DATA_DIR, APPREG_LOG: "warn" },
      encoding: "utf8",
    },
  );
}

/** The outbox's messages about `reference`, soft line breaks undone. */
function mailsAbout(reference: string): string[] {
  const outbox = join(process.env.APPREG_E2E_DATA_DIR ?? "", "outbox");
  return readdirSync(outbox)
    .filter((name) => name.endsWith(".eml"))
    .map((name) => readFileSync(join(outbox, name), "utf8").replace(/=\r?\n/g, ""))
    .filter((mail) => mail.includes(reference));
}

test("a pasted Graph answer makes the application live; the secret is shown, destroyed at 72 hours, and reminders follow", async ({ browser }) => {
  test.setTimeout(120_000);
  const request = JSON.parse(
    readFileSync(resolve(root, "registration/tests/data/delegated_request.json"), "utf8"),
  );
  request.application.name = "Journey Connector";
  request.client_secret = { lifetime_months: 6 };
  const admin = await apiSession(browser, ACCOUNTS.adminRx1);
  const reference = await submitOverApi(admin, request);
  await approveAsReviewers(browser, reference);

  // The reviewer pastes what Graph answered (POST /applications, then addPassword).
  const now = Date.now();
  const expires = new Date(now + 100 * DAY);
  const graph = {
    appId: "6731de76-14a6-49ae-97bc-6eba6914391e",
    id: "03ef14b0-ca33-4840-8f4f-d6e91916010e",
    displayName: "Journey Connector",
    passwordCredentials: [
      { keyId: randomUUID(), secretText: SECRET, endDateTime: expires.toISOString() },
    ],
  };
  const reviewer = await (await browser.newContext()).newPage();
  await signIn(reviewer, ACCOUNTS.reviewer1);
  await reviewer.goto(`/review/${reference}`);
  await reviewer.getByLabel("Or paste the JSON Graph answered").fill(JSON.stringify(graph, null, 2));
  await reviewer.getByRole("button", { name: "Record as created" }).click();
  await expect(reviewer.locator("#implemented")).toBeVisible();
  expect(await reviewer.content()).not.toContain(SECRET);

  // The Local Administrator sees the application and, behind "Show", the secret.
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ACCOUNTS.adminRx1);
  await page.goto(`/requests/${reference}`);
  await expect(page.locator("#status")).toHaveText("Live");
  await page.getByText("Show the client secret").click();
  await expect(page.locator("#secret-value")).toHaveText(SECRET);

  // 73 hours later the scheduler has destroyed it; the page says so and shows it no more.
  expect(scheduleAt(new Date(now + 73 * 3600 * 1000))).toContain(`secret purged: ${reference}`);
  await page.goto(`/requests/${reference}`);
  await expect(page.locator("#secret-destroyed")).toContainText("has been destroyed");
  expect(await page.content()).not.toContain(SECRET);

  // 30 days before the secret expires: the 30-day reminder, once.
  const reminderDay = new Date(expires.getTime() - 30 * DAY + 60 * 1000);
  expect(scheduleAt(reminderDay)).toContain(`reminder: ${reference} secret`);
  expect(scheduleAt(reminderDay)).not.toContain(`reminder: ${reference}`);
  const reminders = mailsAbout(reference).filter((mail) => mail.includes("client secret expires in 30 days"));
  expect(reminders).toHaveLength(1);
  expect(reminders[0]).toContain("admin@rx1.nhs.net");
  expect(reminders[0]).toContain("jo.bloggs@nhs.net");
  expect(reminders[0]).not.toContain(SECRET);
});
