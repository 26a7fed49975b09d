// A live application renewed, as issue 14's journey has it: the Local Administrator asks for a
// renewal on the request's page, uploads the new certificate in the same form and submits it; the
// application stays live on its version meanwhile; a reviewer sees what changes against the live
// version, the reviewers approve, and the renewal is recorded as made with the new client
// secret; the page then shows the new credentials, and the old ones as replaced. The pages are
// axe clean.
import { test, expect } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expectNoAxeViolations } from "../support/axe";
import { ACCOUNTS, apiSession, approveAsReviewers, signIn, submitOverApi } from "../support/session";

const root = resolve(__dirname, "../..");
const CERTIFICATES = resolve(root, "registration/tests/fixtures/certificates");
const DAY = 24 * 3600 * 1000;

test("a renewal with a new certificate is asked on the request page, approved and made", async ({ browser }) => {
  test.setTimeout(120_000);
  // A live application of RX1 with a certificate and a client secret.
  const request = JSON.parse(
    readFileSync(resolve(root, "registration/tests/data/delegated_request.json"), "utf8"),
  );
  request.application.name = "Renewal Journey Connector";
  request.client_secret = { lifetime_months: 6 };
  request.certificates = [{
    file_name: "old.pem",
    content_base64: readFileSync(resolve(CERTIFICATES, "rsa4096.pem")).toString("base64"),
  }];
  const admin = await apiSession(browser, ACCOUNTS.adminRx1);
  const reference = await submitOverApi(admin, request);
  await approveAsReviewers(browser, reference);
  const reviewerApi = await apiSession(browser, ACCOUNTS.reviewer1);
  const firstSecret = randomUUID();
  const implemented = await reviewerApi.page.request.post(`/api/v1/registrations/${reference}/implementation`, {
    headers: { "X-CSRF-Token": reviewerApi.csrf },
    data: {
      application_id: "6731de76-14a6-49ae-97bc-6eba6914391e",
      object_id: "03ef14b0-ca33-4840-8f4f-d6e91916010e",
      client_secret: {
        value: "e2e~first.secret-not-real",
        secret_id: firstSecret,
        expires_at: new Date(Date.now() + 100 * DAY).toISOString(),
      },
    },
  });
  expect(implemented.status(), await implemented.text()).toBe(201);

  // The Local Administrator asks for a renewal and replaces the certificate in the form.
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ACCOUNTS.adminRx1);
  await page.goto(`/requests/${reference}`);
  await expectNoAxeViolations(page);
  await page.getByRole("button", { name: "Request a renewal" }).click();
  await expect(page.locator("#revision")).toContainText(`You are asking for a renewal of ${reference}`);
  await expectNoAxeViolations(page);
  await page.getByRole("button", { name: "Remove certificate old.pem" }).click();
  await page.getByLabel("Certificate").setInputFiles(resolve(CERTIFICATES, "rsa2048.pem"));
  await page.getByRole("button", { name: "Submit" }).click();
  await expect(page).toHaveURL(new RegExp(`/registrations/${reference}/submitted`));

  // Meanwhile the application is live on version 1.
  await page.goto(`/requests/${reference}`);
  await expect(page.locator("#change-open")).toContainText("A renewal of this application is version 2");
  await expect(page.locator("#registered-intro")).toContainText("Configure your application");
  await expectNoAxeViolations(page);

  // The reviewer sees the renewal against the live version; the reviewers approve it.
  const reviewer = await (await browser.newContext()).newPage();
  await signIn(reviewer, ACCOUNTS.reviewer1);
  await reviewer.goto(`/review/${reference}`);
  await expect(reviewer.locator("#changes-heading")).toHaveText("Changed from the live application (version 1)");
  await expect(reviewer.locator("#changes tr[data-path^='certificates']")).toHaveCount(2);
  // The thumbprints wrap in their cells: the page does not scroll sideways.
  expect(await reviewer.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await approveAsReviewers(browser, reference);

  // Made in Entra: recorded with the new secret; the IDs are filled in.
  await reviewer.goto(`/review/${reference}`);
  await expect(reviewer.locator("#record-change-heading")).toHaveText("Record the renewal as made");
  await expect(reviewer.getByLabel("Application (client) ID")).toHaveValue("6731de76-14a6-49ae-97bc-6eba6914391e");
  await expectNoAxeViolations(reviewer);
  const newSecret = randomUUID();
  await reviewer.getByLabel("Value").fill("e2e~renewed.secret-not-real");
  await reviewer.getByLabel("Secret ID").fill(newSecret);
  await reviewer.getByLabel("Expires").fill(new Date(Date.now() + 150 * DAY).toISOString().slice(0, 10));
  await reviewer.getByRole("button", { name: "Record as made" }).click();
  await expect(reviewer.locator("#implemented")).toBeVisible();

  // The Local Administrator's page: version 2 live, the new secret shown, the old one replaced.
  await page.goto(`/requests/${reference}`);
  await expect(page.locator("#status")).toHaveText("Live");
  await page.getByText("Show the client secret").click();
  await expect(page.locator("#secret-value")).toHaveText("e2e~renewed.secret-not-real");
  await expect(page.getByText(firstSecret).locator("xpath=ancestor::tr")).toContainText("replaced");
  await expect(page.getByText(newSecret).first()).toBeVisible();
  await expectNoAxeViolations(page);
});
