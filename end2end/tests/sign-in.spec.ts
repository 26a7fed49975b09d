import { test, expect } from "@playwright/test";
import { expectNoAxeViolations } from "../support/axe";
import { ACCOUNTS, returningAdmin, signIn, submitSignIn } from "../support/session";

test.describe("signing in and out", () => {
  test("a page that needs an account sends you to sign in, then back to it", async ({ page }) => {
    await page.goto("/");
    await expect(page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Sign in" })).toBeVisible();
    await page.goto("/register");
    await expect(page).toHaveURL(/\/sign-in\?next=\/register$/);
    await expect(page).toHaveTitle("Sign in – Application registration – NHS");
    await expectNoAxeViolations(page);
    await submitSignIn(page, ACCOUNTS.adminRx1);
    await expect(page).toHaveURL(/\/register$/);
    const account = page.getByRole("navigation", { name: "Account" });
    await expect(account).toContainText(ACCOUNTS.adminRx1);
    await expect(account.getByRole("button", { name: "Sign out" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Your requests" })).toBeVisible();
    await expect(page.locator("#organisation-name")).toHaveText("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1)");
  });

  test("a wrong password: the error summary links to the field, the email is kept, the password is not", async ({ page }) => {
    // The page rendered for the failed post loads no WASM (nothing on it runs in the browser) and
    // reports no error. Resource loads are left out: the 401 is this page's own status.
    const errors: string[] = [];
    const scripts: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/pkg/") && !request.url().endsWith(".css")) scripts.push(request.url());
    });
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto("/sign-in");
    await submitSignIn(page, ACCOUNTS.adminRth, "not the right password");
    const summary = page.locator("#error-summary");
    await expect(summary).toBeFocused();
    await expect(summary.getByRole("heading")).toHaveText("There is a problem");
    await expect(summary.getByRole("link", { name: "Enter a correct email address and password" })).toHaveAttribute("href", "#email");
    await expect(page.locator("#email-error")).toContainText("Enter a correct email address and password");
    await expect(page.getByLabel("Email address")).toHaveValue(ACCOUNTS.adminRth);
    await expect(page.getByLabel("Password")).toHaveValue("");
    await expect(page).toHaveTitle("Error: Sign in – Application registration – NHS");
    await page.waitForLoadState("networkidle");
    expect(scripts).toEqual([]);
    expect(errors).toEqual([]);
    await expectNoAxeViolations(page);
    // The right password now goes to the administrator's home.
    await submitSignIn(page, ACCOUNTS.adminRth);
    await expect(page).toHaveURL(/\/requests$/);
  });

  test("too many failed attempts: told when to try again", async ({ page }, testInfo) => {
    // A fresh address on a retry: the first attempt's failures are still counted.
    const email = `nobody.rate-limited.${testInfo.retry}@nhs.net`;
    await page.goto("/sign-in");
    for (let i = 0; i < 5; i++) {
      await submitSignIn(page, email, `wrong password ${i}`);
      await expect(page.locator("#error-summary")).toContainText("Enter a correct email address and password");
    }
    // The sixth waits 30 seconds after the fifth (the wait then doubles, up to 15 minutes).
    await submitSignIn(page, email, "wrong password again");
    await expect(page.locator("#error-summary")).toContainText(/Too many failed attempts to sign in\. Try again in 1 minute \(after \d\d:\d\d UTC\)/);
    await expect(page.getByLabel("Email address")).toHaveValue(email);
  });

  test("a browser that signed in before is not locked out by someone guessing from elsewhere", async ({ browser }, testInfo) => {
    const email = returningAdmin(testInfo.retry);
    const own = await browser.newContext();
    const ownPage = await own.newPage();
    await signIn(ownPage, email);
    await ownPage.getByRole("button", { name: "Sign out" }).click();
    await expect(ownPage).toHaveURL(/\/sign-in\?signed_out=1$/);

    // Someone else, in another browser, guesses the password until told to wait...
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto("/sign-in");
    for (let i = 0; i < 6; i++) await submitSignIn(otherPage, email, `a guess ${i}`);
    await expect(otherPage.locator("#error-summary")).toContainText("Too many failed attempts to sign in");
    // ...and there even the right password must wait.
    await submitSignIn(otherPage, email);
    await expect(otherPage.locator("#error-summary")).toContainText("Too many failed attempts to sign in");

    // The administrator's own browser signs in at once.
    await signIn(ownPage, email);
    await expect(ownPage).toHaveURL(/\/requests$/);
    await own.close();
    await other.close();
  });

  test("signing out ends the session", async ({ page }) => {
    await signIn(page, ACCOUNTS.adminRx1);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in\?signed_out=1$/);
    await expect(page.getByText("You have signed out")).toBeVisible();
    await expect(page.locator("#signed-in-as")).toHaveCount(0);
    await expectNoAxeViolations(page);
    await page.goto("/requests");
    await expect(page).toHaveURL(/\/sign-in\?next=\/requests$/);
  });

  test("without JavaScript: sign in, see your requests, sign out", async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto("/requests");
    await expect(page).toHaveURL(/\/sign-in\?next=\/requests$/);
    await submitSignIn(page, ACCOUNTS.adminRx1);
    await expect(page).toHaveURL(/\/requests$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your requests");
    await expect(page.locator("#signed-in-as")).toContainText(ACCOUNTS.adminRx1);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByText("You have signed out")).toBeVisible();
    await context.close();
  });

  test("a reviewer is told that only Local Administrators make requests", async ({ page }) => {
    await signIn(page, ACCOUNTS.reviewer1);
    await expect(page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Review queue" })).toBeVisible();
    const response = await page.goto("/register");
    expect(response!.status()).toBe(403);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Only Local Administrators make requests");
    await expectNoAxeViolations(page);
  });
});

test("a forgotten password: the one-time link the desk emails sets a new one", async ({ page }) => {
  // The desk's administrator runs `appreg user reset-password` on the server's database.
  const { execFileSync } = await import("node:child_process");
  const { readdirSync, readFileSync } = await import("node:fs");
  const { join, resolve } = await import("node:path");
  const email = "forgetful@rx1.nhs.net";
  const printed = execFileSync(resolve(__dirname, "../../target/debug/appreg"), ["user", "reset-password", "--email", email], {
    env: { ...process.env, APPREG_DATA_DIR: process.env.APPREG_E2E_DATA_DIR, APPREG_LOG: "warn" },
    encoding: "utf8",
  });
  expect(printed).toContain(`emailed to ${email}`);
  const outbox = join(process.env.APPREG_E2E_DATA_DIR ?? "", "outbox");
  const mail = readdirSync(outbox)
    .filter((name) => name.endsWith(".eml"))
    .map((name) => readFileSync(join(outbox, name), "utf8").replace(/=\r?\n/g, ""))
    .find((text) => text.includes(`To: ${email}`) && text.includes("/reset-password/"));
  const link = mail!.match(/https?:\/\/[^\s]+\/reset-password\/[A-Za-z0-9_-]+/)![0];

  await page.goto(new URL(link).pathname);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Set a new password");
  await expect(page.locator("#reset-for")).toContainText(email);
  await expectNoAxeViolations(page);
  await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
  await page.getByLabel("Enter the new password again").fill("a brand new passphrasf");
  await page.getByRole("button", { name: "Set the password" }).click();
  await expect(page.locator("#error-summary")).toContainText("The two passwords are not the same");
  await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
  await page.getByLabel("Enter the new password again").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Set the password" }).click();
  await expect(page).toHaveURL(/\/sign-in\?password_set=1$/);
  await expect(page.locator("#password-set")).toContainText("Your new password is set");
  await submitSignIn(page, email, "a brand new passphrase");
  await expect(page.locator("#signed-in-as")).toContainText(email);
  // The link works once.
  await page.goto(new URL(link).pathname);
  await expect(page.locator("#link-not-valid")).toBeVisible();
});

test("a signed-in person changes their own password from the header", async ({ page }) => {
  const email = "changer@rx1.nhs.net";
  await signIn(page, email);
  await page.getByRole("link", { name: "Change password" }).click();
  await expect(page).toHaveURL(/\/account\/password$/);
  await expect(page.locator("#account-email")).toContainText(email);
  await expectNoAxeViolations(page);
  await page.getByLabel("Current password").fill("not the password");
  await page.getByLabel("New password", { exact: true }).fill("my changed passphrase");
  await page.getByLabel("Enter the new password again").fill("my changed passphrase");
  await page.getByRole("button", { name: "Change the password" }).click();
  await expect(page.locator("#error-summary")).toContainText("Your current password is not right");
  await expectNoAxeViolations(page);
  await page.getByLabel("Current password").fill(process.env.APPREG_E2E_PASSWORD!);
  await page.getByLabel("New password", { exact: true }).fill("my changed passphrase");
  await page.getByLabel("Enter the new password again").fill("my changed passphrase");
  await page.getByRole("button", { name: "Change the password" }).click();
  await expect(page.locator("#password-changed")).toContainText("Your password is changed");
  // Signed out and in again with the new one.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/sign-in");
  await submitSignIn(page, email, "my changed passphrase");
  await expect(page.locator("#signed-in-as")).toContainText(email);
});
