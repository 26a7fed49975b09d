// The credential inventory as its users see it: a Local Administrator finds the organisation's
// registered application under "Your applications" with its client secret's expiry, and downloads
// the dates for a calendar; a reviewer finds it under "Expiring soon". The pages are axe clean.
import { test, expect } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expectNoAxeViolations } from "../support/axe";
import { ACCOUNTS, apiSession, approveAsReviewers, signIn, submitOverApi } from "../support/session";

test("an application's credentials are listed with their expiry and download as a calendar", async ({ browser }) => {
  test.setTimeout(90_000);
  const request = JSON.parse(
    readFileSync(resolve(__dirname, "../../registration/tests/data/delegated_request.json"), "utf8"),
  );
  request.application.name = "Inventory Connector";
  request.client_secret = { lifetime_months: 12 };
  const admin = await apiSession(browser, ACCOUNTS.adminRx1);
  const reference = await submitOverApi(admin, request);
  await approveAsReviewers(browser, reference);
  const reviewer = await apiSession(browser, ACCOUNTS.reviewer1);
  const expires = new Date(Date.now() + 20 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  const implemented = await reviewer.page.request.post(`/api/v1/registrations/${reference}/implementation`, {
    headers: { "X-CSRF-Token": reviewer.csrf },
    data: {
      application_id: "6731de76-14a6-49ae-97bc-6eba6914391e",
      object_id: "03ef14b0-ca33-4840-8f4f-d6e91916010e",
      client_secret: { value: "e2e-not-a-real-secret", secret_id: randomUUID(), expires_at: expires },
    },
  });
  expect(implemented.status(), await implemented.text()).toBe(201);

  const page = await (await browser.newContext()).newPage();
  await signIn(page, ACCOUNTS.adminRx1);
  await page.getByRole("link", { name: "Your applications" }).click();
  await expect(page.locator("h1")).toHaveText("Your applications");
  const row = page.locator(`tr[data-reference="${reference}"]`);
  await expect(row).toContainText("Inventory Connector");
  await expect(row).toContainText("Client secret expires");
  await expect(row).toContainText("20 days");
  await expectNoAxeViolations(page);
  const download = page.waitForEvent("download");
  await page.locator("#calendar-download").click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("appreg-expiry-dates.ics");
  const calendar = readFileSync(await file.path(), "utf8").replace(/\r\n /g, "");
  expect(calendar).toContain("BEGIN:VCALENDAR");
  expect(calendar).toContain(`SUMMARY:Client secret of Inventory Connector (${reference}) expires`);
  expect(calendar).not.toContain("e2e-not-a-real-secret");

  const reviewing = await (await browser.newContext()).newPage();
  await signIn(reviewing, ACCOUNTS.reviewer2);
  await reviewing.getByRole("link", { name: "Expiring soon" }).click();
  await expect(reviewing.locator(`#expiring tr[data-reference="${reference}"]`)).toContainText("20 days");
  await reviewing.getByLabel("Expiring within").selectOption("30");
  await reviewing.getByRole("button", { name: "Show" }).click();
  await expect(reviewing).toHaveURL(/within=30/);
  await expect(reviewing.locator(`#expiring tr[data-reference="${reference}"]`)).toBeVisible();
  await expectNoAxeViolations(reviewing);
  // The menu's links navigate in the page (no filters sent): the queue answers, not an error.
  await reviewing.getByRole("link", { name: "Review queue" }).click();
  await expect(reviewing.locator("h1")).toHaveText("Review queue");
  await reviewing.getByRole("link", { name: "Applications", exact: true }).click();
  await expect(reviewing.locator("h1")).toHaveText("Registered applications");
  await expect(reviewing.locator(`tr[data-reference="${reference}"]`)).toBeVisible();
});
