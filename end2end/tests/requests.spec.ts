import { test, expect } from "@playwright/test";
import { expectNoAxeViolations } from "../support/axe";
import { addPermission, expectSubmitted, fillDelegated, hydrated } from "../support/form";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ACCOUNTS, apiSession, signIn, submitOverApi } from "../support/session";

test.describe("your requests", () => {
  test("lists the organisation's requests and drafts, each with its status", async ({ page }) => {
    await signIn(page, ACCOUNTS.adminRx1);
    // A submitted request…
    await page.goto("/register");
    await hydrated(page);
    await fillDelegated(page);
    await page.getByLabel("Application name").fill("Listed Connector");
    await addPermission(page, "User.Read", /^Add User\.Read \(Microsoft Graph, delegated\)$/);
    await page.getByRole("button", { name: "Submit" }).click();
    const reference = await expectSubmitted(page);
    // …and a draft.
    await page.goto("/register");
    await page.getByLabel("Application name").fill("Unfinished Connector");
    await page.getByRole("button", { name: "Save draft" }).click();
    await expect(page.getByText("Your draft is saved")).toBeVisible();

    await page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Your requests" }).click();
    await expect(page).toHaveURL(/\/requests$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your requests");
    const row = page.locator(`#requests tr[data-reference="${reference}"]`);
    await expect(row).toContainText("Listed Connector");
    await expect(row.locator(".nhsuk-tag")).toHaveText("Submitted");
    const draft = page.locator("#drafts tr", { hasText: "Unfinished Connector" }).first();
    await expect(draft.locator(".nhsuk-tag")).toHaveText("Draft");
    await expect(page.getByRole("button", { name: "Make a new request" })).toHaveAttribute("href", "/register");
    await expectNoAxeViolations(page);

    // The draft continues where it was left.
    await draft.getByRole("link").click();
    await expect(page.getByLabel("Application name")).toHaveValue("Unfinished Connector");

    // The request's own page: status, application, versions, downloads.
    await page.goto("/requests");
    await row.getByRole("link", { name: reference }).click();
    await expect(page).toHaveURL(new RegExp(`/requests/${reference}$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Listed Connector");
    await expect(page.locator("#status")).toHaveText("Submitted");
    await expect(page.locator("#application")).toContainText("User.Read (delegated)");
    await expect(page.locator("#versions")).toContainText("Version 1");
    await expect(page.locator("#no-decisions")).toBeVisible();
    await expect(page.getByRole("link", { name: "Signed registration request record (JWS)" })).toHaveAttribute(
      "href",
      `/api/v1/registrations/${reference}/record`,
    );
    await expect(page.getByRole("button", { name: "Edit and resubmit" })).toHaveCount(0);
    await expectNoAxeViolations(page);

    // Another organisation's administrator finds nothing there.
    const other = await page.context().browser()!.newPage();
    await signIn(other, ACCOUNTS.adminRth);
    const response = await other.goto(`/requests/${reference}`);
    expect(response!.status()).toBe(404);
    await other.goto("/requests");
    await expect(other.locator(`#requests tr[data-reference="${reference}"]`)).toHaveCount(0);
    await other.close();
  });

  test("a draft no longer needed is deleted, from Your requests or from the form", async ({ page }) => {
    await signIn(page, ACCOUNTS.adminRth);
    for (const name of ["Draft To Delete From The List", "Draft To Delete From The Form"]) {
      await page.goto("/register");
      await page.getByLabel("Application name").fill(name);
      await page.getByRole("button", { name: "Save draft" }).click();
      await expect(page.getByText("Your draft is saved")).toBeVisible();
    }
    // From the form: its own Delete button, below the form.
    await page.getByRole("button", { name: "Delete draft" }).click();
    await expect(page).toHaveURL(/\/requests\?deleted=1$/);
    await expect(page.getByText("The draft was deleted")).toBeVisible();
    await expect(page.locator("#drafts tr", { hasText: "Draft To Delete From The Form" })).toHaveCount(0);
    // From the list: each draft's Delete button names the draft for screen readers.
    const row = page.locator("#drafts tr", { hasText: "Draft To Delete From The List" });
    await expect(row).toHaveCount(1);
    await expectNoAxeViolations(page);
    await row.getByRole("button", { name: "Delete draft Draft To Delete From The List" }).click();
    await expect(page).toHaveURL(/\/requests\?deleted=1$/);
    await expect(page.locator("#drafts tr", { hasText: "Draft To Delete From The List" })).toHaveCount(0);
  });

  test("a rejected request starts a new request holding it", async ({ page, browser }) => {
    const request = JSON.parse(
      readFileSync(resolve(__dirname, "../../registration/tests/data/delegated_request.json"), "utf8"),
    );
    request.application.name = "Rejected Connector";
    const admin = await apiSession(browser, ACCOUNTS.adminRx1);
    const reference = await submitOverApi(admin, request);
    const reviewer = await apiSession(browser, ACCOUNTS.reviewer1);
    const read = await (await reviewer.page.request.get(`/api/v1/registrations/${reference}`)).json();
    const rejected = await reviewer.page.request.post(`/api/v1/registrations/${reference}/decisions`, {
      headers: { "X-CSRF-Token": reviewer.csrf },
      data: { decision: "reject", reason: "Not assured", version: read.version, record_sha256: read.record_sha256 },
    });
    expect(rejected.status(), await rejected.text()).toBe(201);

    await signIn(page, ACCOUNTS.adminRx1);
    await page.goto(`/requests/${reference}`);
    await expect(page.locator("#status")).toHaveText("Rejected");
    await expectNoAxeViolations(page);
    await page.getByRole("button", { name: "Start a new request from this one" }).click();
    await expect(page).toHaveURL(/\/register\/[A-Za-z0-9_-]+$/);
    await expect(page.getByLabel("Application name")).toHaveValue("Rejected Connector");
    await expect(page.locator("#revision")).toHaveCount(0);
  });

  test("a submitted request is withdrawn, leaves the reviewers' queue, and starts a new one", async ({ page, browser }) => {
    const request = JSON.parse(
      readFileSync(resolve(__dirname, "../../registration/tests/data/delegated_request.json"), "utf8"),
    );
    request.application.name = "Withdrawn Connector";
    const admin = await apiSession(browser, ACCOUNTS.adminRx1);
    const reference = await submitOverApi(admin, request);

    await signIn(page, ACCOUNTS.adminRx1);
    await page.goto(`/requests/${reference}`);
    await page.getByText("Withdraw this request").click();
    await page.getByLabel("Why are you withdrawing it? (optional)").fill("The supplier pulled out");
    await expectNoAxeViolations(page);
    await page.getByRole("button", { name: "Withdraw request" }).click();
    await expect(page).toHaveURL(new RegExp(`/requests/${reference}\\?step_taken=withdraw_request$`));
    await expect(page.locator("#status")).toHaveText("Withdrawn");
    await expect(page.locator("#withdrawn")).toContainText(`Withdrawn by ${ACCOUNTS.adminRx1}`);
    await expect(page.locator("#withdrawn-reason")).toHaveText("Why: The supplier pulled out");
    await expect(page.getByRole("button", { name: "Withdraw request" })).toHaveCount(0);
    await expectNoAxeViolations(page);

    // The reviewers no longer see it waiting; its page says why.
    const reviewer = await browser.newPage();
    await signIn(reviewer, ACCOUNTS.reviewer1);
    await reviewer.goto(`/review?q=${reference}`);
    await expect(reviewer.locator(`tr[data-reference="${reference}"]`)).toHaveCount(0);
    await reviewer.goto(`/review/${reference}`);
    await expect(reviewer.getByText("The organisation withdrew the request: no decision is needed.")).toBeVisible();
    await reviewer.close();

    await page.getByRole("button", { name: "Start a new request from this one" }).click();
    await expect(page).toHaveURL(/\/register\/[A-Za-z0-9_-]+$/);
    await expect(page.getByLabel("Application name")).toHaveValue("Withdrawn Connector");
  });
});
