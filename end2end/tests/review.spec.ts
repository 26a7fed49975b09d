// The reviewer's pages in a browser (docs/review.md).
//
// Assumes the end-to-end server has the accounts admin@rx1.nhs.net (Local Administrator of RX1),
// reviewer1@nhs.net and reviewer2@nhs.net, all with the password in APPREG_E2E_PASSWORD. The
// sign-in helper below uses the JSON API, which sets the same session cookie as the sign-in page.
import { test, expect, Browser, Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { expectNoAxeViolations } from "../support/axe";
import { apiSession, PASSWORD } from "../support/session";
import { addPermission, expectSubmitted, fillDelegated, hydrated } from "../support/form";


async function signedInPage(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.request.post("/api/v1/session", { data: { email, password: PASSWORD } });
  expect(response.status()).toBe(200);
  return page;
}


async function submitDelegatedRequest(browser: Browser): Promise<string> {
  const admin = await signedInPage(browser, "admin@rx1.nhs.net");
  await admin.goto("/register");
  await hydrated(admin);
  await fillDelegated(admin);
  await addPermission(admin, "IMAP.AccessAsUser", /^Add IMAP\.AccessAsUser\.All \(Microsoft Graph, delegated\)$/);
  await admin.getByRole("button", { name: "Submit" }).click();
  return expectSubmitted(admin);
}

test.describe("the reviewer's pages", () => {
  test("a reviewer finds a request in the queue, is asked for a reason, then approves it", async ({ browser }) => {
    const reference = await submitDelegatedRequest(browser);
    const reviewer = await signedInPage(browser, "reviewer1@nhs.net");

    await reviewer.goto("/review?status=all&ods_code=RX1");
    await expect(reviewer.getByRole("heading", { name: "Review queue" })).toBeVisible();
    await expectNoAxeViolations(reviewer);
    await reviewer.getByRole("link", { name: reference }).click();
    await expect(reviewer).toHaveURL(new RegExp(`/review/${reference}$`));
    await expect(reviewer.getByRole("heading", { name: "Ward Mail Connector" })).toBeVisible();
    await expect(reviewer.locator("#permissions")).toContainText("IMAP.AccessAsUser.All");
    await expectNoAxeViolations(reviewer);

    // Rejecting needs a reason: the page comes back with the error and the choice kept.
    await reviewer.getByLabel("Reject").check();
    await reviewer.getByRole("button", { name: "Record decision" }).click();
    await expect(reviewer.locator(".nhsuk-error-summary")).toContainText("Enter why you are rejecting the request");
    await expect(reviewer.getByLabel("Reject")).toBeChecked();
    await expectNoAxeViolations(reviewer);

    await reviewer.getByLabel("Approve").check();
    await reviewer.getByRole("button", { name: "Record decision" }).click();
    await expect(reviewer.locator("#decided")).toContainText("Approved");
    await expect(reviewer.locator("#decisions")).toContainText("reviewer1@nhs.net");
    await expect(reviewer.getByRole("button", { name: "Record decision" })).toHaveCount(0);
  });

  test("the queue says how long each request has waited, downloads as a spreadsheet with its filters, and searches", async ({ browser }) => {
    const reference = await submitDelegatedRequest(browser);
    const reviewer = await signedInPage(browser, "reviewer1@nhs.net");
    await reviewer.goto("/review?status=all&ods_code=RX1");
    const row = reviewer.locator(`tr[data-reference="${reference}"]`);
    await expect(row.locator(".appreg-waiting")).toHaveText("Under a day");
    const download = reviewer.waitForEvent("download");
    await reviewer.getByRole("link", { name: "Download these requests as a spreadsheet (CSV)" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^registration-requests-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = readFileSync((await file.path())!, "utf8");
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("reference,version,status,ods_code,organisation_name,application_name,risk,submitted_at,waiting_days");
    expect(lines.some((line) => line.startsWith(`${reference},1,submitted,RX1,`))).toBe(true);
    // Only RX1's, as the queue's filter said.
    expect(lines.filter((line) => line && !line.startsWith("reference,")).every((line) => line.split(",")[3] === "RX1")).toBe(true);
 
    // The search finds it by its reference in lower case, and keeps what was typed.
    await reviewer.goto("/review?status=all");
    await reviewer.getByLabel("Search").fill(reference.toLowerCase());
    await reviewer.getByRole("button", { name: "Apply filters" }).click();
    await expect(reviewer.locator("#queue tbody tr")).toHaveCount(1);
    await expect(reviewer.locator(`tr[data-reference="${reference}"]`)).toBeVisible();
    await expect(reviewer.getByLabel("Search")).toHaveValue(reference.toLowerCase());
    await expectNoAxeViolations(reviewer);
  });

  test("a reviewer claims a request; another sees who has it in the queue and on the page", async ({ browser }) => {
    const reference = await submitDelegatedRequest(browser);
    const first = await signedInPage(browser, "reviewer1@nhs.net");
    await first.goto(`/review/${reference}`);
    await expect(first.locator("#claim")).toContainText("No reviewer has claimed this request");
    await first.locator("#claim").getByRole("button", { name: "Claim it" }).click();
    await expect(first).toHaveURL(new RegExp(`/review/${reference}#claim$`));
    await expect(first.locator("#claim")).toContainText("You claimed this request on");
    await expectNoAxeViolations(first);

    const second = await signedInPage(browser, "reviewer2@nhs.net");
    await second.goto("/review?status=all&ods_code=RX1");
    await expect(second.locator(`tr[data-reference="${reference}"] .appreg-claimed-by`)).toHaveText("reviewer1@nhs.net");
    await second.getByRole("link", { name: reference }).click();
    await expect(second.locator("#claim")).toContainText("reviewer1@nhs.net claimed this request on");
    await expect(second.locator("#claim").getByRole("button", { name: "Take it over" })).toBeVisible();

    await first.locator("#claim").getByRole("button", { name: "Release it" }).click();
    await expect(first.locator("#claim")).toContainText("No reviewer has claimed this request");
  });

  test("an open review page warns when a newer version arrives, and a decision on the old one is not recorded", async ({ browser }) => {
    test.setTimeout(120_000);
    const reference = await submitDelegatedRequest(browser);
    const reviewer = await signedInPage(browser, "reviewer1@nhs.net");
    await reviewer.goto(`/review/${reference}`);
    await hydrated(reviewer);
    await expect(reviewer.locator("#deciding-on")).toHaveText(`You are deciding on version 1 of ${reference}.`);

    // Meanwhile, over the API: another reviewer asks for changes and the administrator resubmits.
    const other = await apiSession(browser, "reviewer2@nhs.net");
    const read = await (await other.page.request.get(`/api/v1/registrations/${reference}`)).json();
    const asked = await other.page.request.post(`/api/v1/registrations/${reference}/decisions`, {
      headers: { "X-CSRF-Token": other.csrf },
      data: { decision: "request_changes", reason: "Rename it", version: read.version, record_sha256: read.record_sha256 },
    });
    expect(asked.status()).toBe(201);
    const admin = await apiSession(browser, "admin@rx1.nhs.net");
    const changed = { ...read.request, application: { ...read.request.application, name: "Ward 9 Mail Connector" } };
    const resubmitted = await admin.page.request.post(`/api/v1/registrations/${reference}/versions`, {
      headers: { "X-CSRF-Token": admin.csrf },
      data: changed,
    });
    expect(resubmitted.status()).toBe(201);

    // The open page finds out by itself.
    await expect(reviewer.locator("#newer-version")).toContainText("Version 2 was submitted while you had version 1 open", { timeout: 40_000 });
    await expectNoAxeViolations(reviewer);

    // Approving what is on the screen records nothing; the page shows what changed since.
    await reviewer.getByLabel("Approve").check();
    await reviewer.getByRole("button", { name: "Record decision" }).click();
    await expect(reviewer.locator("#refused")).toContainText("a newer version was submitted");
    await expect(reviewer.locator("#changes-heading")).toHaveText("Changed since version 1");
    await expect(reviewer.locator('#changes tr[data-path="application.name"]')).toContainText("Ward 9 Mail Connector");
    await expect(reviewer.locator("#deciding-on")).toHaveText(`You are deciding on version 2 of ${reference}.`);
    const now = await (await reviewer.request.get(`/api/v1/registrations/${reference}`)).json();
    expect(now.version).toBe(2);
    expect(now.status).toBe("submitted");
  });

  test("a Local Administrator is told the queue is for reviewers", async ({ browser }) => {
    const admin = await signedInPage(browser, "admin@rx1.nhs.net");
    const response = await admin.goto("/review");
    expect(response?.status()).toBe(403);
    await expect(admin.getByRole("heading", { name: "The review queue is for reviewers" })).toBeVisible();
  });
});
