// After approval, with a client secret: a reviewer records the application as created on the
// review page, typing the IDs and the secret Entra issued; the Local Administrator of the
// organisation sees the secret behind "Show the client secret" (a copy button once the page's
// script has loaded), the reviewer never does; the pages are axe clean.
import { test, expect } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expectNoAxeViolations } from "../support/axe";
import { ACCOUNTS, apiSession, approveAsReviewers, signIn, submitOverApi } from "../support/session";

const SECRET = "e2e~Secret.value-not-a-real-one-0123456789";
// Each attempt its own (a retry records another application: the desk refuses a secret id it holds).
const secretId = randomUUID();

test("a reviewer records the secret Entra issued and the Local Administrator sees it, the reviewer never", async ({ browser }) => {
  test.setTimeout(90_000);
  const request = JSON.parse(
    readFileSync(resolve(__dirname, "../../registration/tests/data/delegated_request.json"), "utf8"),
  );
  request.client_secret = { lifetime_months: 12 };
  const api = await apiSession(browser, ACCOUNTS.adminRx1);
  const reference = await submitOverApi(api, request);
  await approveAsReviewers(browser, reference);

  const reviewer = await (await browser.newContext()).newPage();
  await signIn(reviewer, ACCOUNTS.reviewer1);
  await reviewer.goto(`/review/${reference}`);
  const expires = new Date(Date.now() + 200 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await reviewer.getByLabel("Application (client) ID").fill("6731de76-14a6-49ae-97bc-6eba6914391e");
  await reviewer.getByLabel("Object ID").fill("not an object id");
  await reviewer.getByLabel("Value").fill(SECRET);
  await reviewer.getByLabel("Secret ID").fill(secretId);
  await reviewer.getByLabel("Expires").fill(expires);
  await reviewer.getByRole("button", { name: "Record as created" }).click();
  // The error names the field; the typed IDs are kept, the secret is not.
  await expect(reviewer.locator("#implementation-error-summary")).toContainText("Enter the Object ID as Entra shows it");
  await expect(reviewer.locator("#implementation-error-summary")).toContainText("enter it again");
  await expect(reviewer.getByLabel("Application (client) ID")).toHaveValue("6731de76-14a6-49ae-97bc-6eba6914391e");
  await expect(reviewer.getByLabel("Value")).toHaveValue("");
  expect(reviewer.url()).not.toContain("e2e~Secret");
  await expectNoAxeViolations(reviewer);
  await reviewer.getByLabel("Object ID").fill("03ef14b0-ca33-4840-8f4f-d6e91916010e");
  await reviewer.getByLabel("Value").fill(SECRET);
  await reviewer.getByRole("button", { name: "Record as created" }).click();
  await expect(reviewer.locator("#implemented")).toBeVisible();
  await expect(reviewer.locator("#credentials")).toContainText(secretId);
  expect(await reviewer.content()).not.toContain(SECRET);

  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ACCOUNTS.adminRx1);
  await admin.goto(`/requests/${reference}`);
  await expect(admin.locator("#secret-visible-until")).toContainText("Visible until");
  await expect(admin.locator("#secret-value")).not.toBeVisible();
  await admin.getByText("Show the client secret").click();
  await expect(admin.locator("#secret-value")).toHaveText(SECRET);
  await expect(admin.locator("#copy-secret")).toBeVisible();
  await expectNoAxeViolations(admin);
});
