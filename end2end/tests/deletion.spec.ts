// A registered application's deletion and recovery, as its users do it: the Local Administrator
// asks for the deletion on the application's page (the form says what is missing and keeps what
// was typed), a reviewer confirms it on the review page, the Local Administrator asks for it back
// within the 30 days and a reviewer confirms that; another deleted application is purged by the
// desk's scheduler once its 30 days are over (`appreg schedule run --now`, as cron runs it). The
// pages are axe clean.
import { test, expect, Browser } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expectNoAxeViolations } from "../support/axe";
import { ACCOUNTS, apiSession, approveAsReviewers, signIn, submitOverApi } from "../support/session";

const root = resolve(__dirname, "../..");

/** A live application of RX1 (submitted, approved and recorded as created over the API). */
async function liveApplication(browser: Browser): Promise<string> {
  const request = JSON.parse(
    readFileSync(resolve(root, "registration/tests/data/delegated_request.json"), "utf8"),
  );
  const admin = await apiSession(browser, ACCOUNTS.adminRx1);
  const reference = await submitOverApi(admin, request);
  await admin.page.context().close();
  await approveAsReviewers(browser, reference);
  const reviewer = await apiSession(browser, ACCOUNTS.reviewer1);
  const implemented = await reviewer.page.request.post(`/api/v1/registrations/${reference}/implementation`, {
    headers: { "X-CSRF-Token": reviewer.csrf },
    data: {
      application_id: "6731de76-14a6-49ae-97bc-6eba6914391e",
      object_id: "03ef14b0-ca33-4840-8f4f-d6e91916010e",
      client_secret: null,
    },
  });
  expect(implemented.status(), await implemented.text()).toBe(201);
  await reviewer.page.context().close();
  return reference;
}

test("a live application is deleted and recovered, each step asked for and confirmed on its pages", async ({ browser }) => {
  test.setTimeout(120_000);
  const reference = await liveApplication(browser);

  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ACCOUNTS.adminRx1);
  await admin.goto(`/requests/${reference}`);
  await admin.getByText("Delete this application").click();
  await admin.getByRole("button", { name: "Ask for deletion" }).click();
  // No reason: the form says what to do, and nothing changed.
  await expect(admin.locator("#step-error-summary")).toContainText("Enter why the application is no longer needed");
  await expect(admin.locator("#status")).toHaveText("Live");
  await admin.getByLabel("Why is the application no longer needed?").fill("Replaced by the trust's new ward system.");
  await admin.getByRole("button", { name: "Ask for deletion" }).click();
  await expect(admin.locator("#step-taken")).toContainText("Deletion requested");
  await expect(admin.locator("#status")).toHaveText("Deletion requested");
  await expect(admin.locator("#steps")).toContainText("Replaced by the trust's new ward system.");
  await expectNoAxeViolations(admin);

  const reviewer = await (await browser.newContext()).newPage();
  await signIn(reviewer, ACCOUNTS.reviewer1);
  // The request waits in the queue.
  await reviewer.goto("/review?status=deletion_requested");
  await expect(reviewer.getByRole("link", { name: reference })).toBeVisible();
  await reviewer.goto(`/review/${reference}`);
  await expect(reviewer.locator("#step-answer-heading")).toHaveText("Deletion requested");
  await expect(reviewer.locator("#step-asked-reason")).toContainText("Replaced by the trust's new ward system.");
  // Declining needs a reason; what was chosen is kept.
  await reviewer.getByLabel("Decline").check();
  await reviewer.getByRole("button", { name: "Record your answer" }).click();
  await expect(reviewer.locator("#step-error-summary")).toContainText("Enter why you are declining");
  await expect(reviewer.getByLabel("Decline")).toBeChecked();
  await reviewer.getByLabel("Confirm").check();
  await reviewer.getByRole("button", { name: "Record your answer" }).click();
  await expect(reviewer.locator("#step-taken")).toContainText("Deletion confirmed");
  await expectNoAxeViolations(reviewer);

  await admin.goto(`/requests/${reference}`);
  await expect(admin.locator("#status")).toHaveText("Deleted");
  await expect(admin.locator("#application-standing")).toContainText("It can be recovered until");
  await admin.getByLabel("Why is it needed again? (optional)").fill("The new system was delayed.");
  await admin.getByRole("button", { name: "Ask for it to be recovered" }).click();
  await expect(admin.locator("#step-taken")).toContainText("Recovery requested");
  await expectNoAxeViolations(admin);

  await reviewer.goto(`/review/${reference}`);
  await expect(reviewer.locator("#step-answer-heading")).toHaveText("Recovery requested");
  await reviewer.getByLabel("Confirm").check();
  await reviewer.getByRole("button", { name: "Record your answer" }).click();
  await expect(reviewer.locator("#step-taken")).toContainText("Recovery confirmed");

  await admin.goto(`/requests/${reference}`);
  await expect(admin.locator("#status")).toHaveText("Live");
  await expect(admin.locator("#steps li")).toHaveCount(4);
});

test("a deleted application not recovered within 30 days is purged by the scheduler", async ({ browser }) => {
  test.setTimeout(120_000);
  const reference = await liveApplication(browser);
  const admin = await apiSession(browser, ACCOUNTS.adminRx1);
  const asked = await admin.page.request.post(`/api/v1/registrations/${reference}/deletion`, {
    headers: { "X-CSRF-Token": admin.csrf },
    data: { reason: "Retired." },
  });
  expect(asked.status(), await asked.text()).toBe(201);
  const reviewer = await apiSession(browser, ACCOUNTS.reviewer2);
  const confirmed = await reviewer.page.request.post(`/api/v1/registrations/${reference}/lifecycle-decisions`, {
    headers: { "X-CSRF-Token": reviewer.csrf },
    data: { step: "confirm_deletion", answering: (await asked.json()).n },
  });
  expect(confirmed.status(), await confirmed.text()).toBe(201);

  // The scheduler, run as cron would 31 days later, on the server's database.
  const later = new Date(Date.now() + 31 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  const printed = execFileSync(resolve(root, "target/debug/appreg"), ["schedule", "run", "--now", later], {
    env: { ...process.env, APPREG_DATA_DIR: process.env.APPREG_E2E_DATA_DIR, APPREG_LOG: "warn" },
    encoding: "utf8",
  });
  expect(printed).toContain(`application purged: ${reference}`);

  const page = await (await browser.newContext()).newPage();
  await signIn(page, ACCOUNTS.adminRx1);
  await page.goto(`/requests/${reference}`);
  await expect(page.locator("#status")).toHaveText("Purged");
  await expect(page.locator("#application-standing")).toContainText("submit a new registration request");
  await expect(page.locator("#recovery-form")).toHaveCount(0);
  await expectNoAxeViolations(page);
});
