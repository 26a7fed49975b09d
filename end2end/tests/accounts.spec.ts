import { test, expect, Page } from "@playwright/test";
import { expectNoAxeViolations } from "../support/axe";
import { ACCOUNTS, signIn, submitSignIn } from "../support/session";

// The desk administrator's Accounts page (docs/sign-in.md). Each test changes only the accounts
// it adds itself: the shared ones (end2end/serve.sh) are signed in by other specs at the same time.

/** An address no other test uses. */
function newAddress(label: string, workerIndex: number): string {
  return `${label}.${workerIndex}.${Date.now()}@rx1.nhs.net`;
}

/** The one-time links the desk's outbox holds for `email` (what `appreg user reset-password`
 * and the Accounts page send), as paths. */
async function linksFor(email: string): Promise<string[]> {
  const { readdirSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const outbox = join(process.env.APPREG_E2E_DATA_DIR ?? "", "outbox");
  return readdirSync(outbox)
    .filter((name) => name.endsWith(".eml"))
    .map((name) => readFileSync(join(outbox, name), "utf8").replace(/=\r?\n/g, ""))
    .filter((text) => text.includes(`To: ${email}`))
    .map((text) => text.match(/https?:\/\/[^\s]+\/reset-password\/[A-Za-z0-9_-]+/)?.[0])
    .filter((link): link is string => link !== undefined)
    .map((link) => new URL(link).pathname);
}

/** Fills and sends "Add an account". */
async function addAccount(page: Page, email: string, role: "Local Administrator" | "Reviewer" | "Desk administrator", odsCode?: string) {
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel(role, { exact: true }).check();
  if (odsCode !== undefined) await page.getByLabel("The organisation's ODS code").fill(odsCode);
  await page.getByRole("button", { name: "Add the account" }).click();
}

test.describe("the Accounts page", () => {
  test("a desk administrator adds an account, changes its role, disables and enables it", async ({ page }, testInfo) => {
    const email = newAddress("new.person", testInfo.workerIndex);
    await signIn(page, ACCOUNTS.deskAdmin);
    // Signing in leads a desk administrator to the accounts; the menu has only them.
    await expect(page).toHaveURL(/\/accounts$/);
    const menu = page.getByRole("navigation", { name: "Menu" });
    await expect(menu.getByRole("link", { name: "Accounts" })).toBeVisible();
    await expect(menu.getByRole("link", { name: "Review queue" })).toHaveCount(0);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Accounts");
    await expect(page.locator(`#accounts tr[data-email="${ACCOUNTS.adminRx1}"]`)).toContainText("Local Administrator");
    await expectNoAxeViolations(page);

    // Nothing filled in: each problem is named, linked to its field.
    await page.getByRole("button", { name: "Add the account" }).click();
    const summary = page.locator("#error-summary");
    await expect(summary).toBeFocused();
    await expect(summary.getByRole("link", { name: "Enter the person's email address" })).toHaveAttribute("href", "#email");
    await expect(summary.getByRole("link", { name: "Choose what the account may do" })).toHaveAttribute("href", "#role-local-admin");
    await expect(page).toHaveTitle("Error: Accounts – Application registration – NHS");
    await expectNoAxeViolations(page);

    // An ODS code the directory does not know: said, and what was typed is kept.
    await addAccount(page, email, "Local Administrator", "ZZZ");
    await expect(summary).toContainText("The directory does not know the ODS code ZZZ");
    await expect(page.getByLabel("Email address")).toHaveValue(email);
    await expect(page.getByLabel("Local Administrator", { exact: true })).toBeChecked();
    await expect(page.getByLabel("The organisation's ODS code")).toHaveValue("ZZZ");

    await page.getByLabel("The organisation's ODS code").fill("RX1");
    await page.getByRole("button", { name: "Add the account" }).click();
    await expect(page).toHaveURL(/\/accounts\/[0-9a-f]+\?done=added$/);
    await expect(page.locator("#done")).toContainText("The account is added");
    await expect(page.locator("#account-role")).toHaveText("Local Administrator");
    await expect(page.locator("#account-organisation")).toContainText("(RX1)");
    await expect(page.locator("#account-history")).toContainText(`Added as Local Administrator (RX1)`);
    await expect(page.locator("#account-history")).toContainText(ACCOUNTS.deskAdmin);
    await expectNoAxeViolations(page);

    // An email that has an account already.
    await page.goto("/accounts");
    await addAccount(page, email.toUpperCase(), "Reviewer");
    await expect(page.locator("#error-summary")).toContainText("An account with this email already exists");

    // Its role, then disabled and enabled again.
    await page.locator(`#accounts tr[data-email="${email}"]`).getByRole("link").click();
    await page.getByLabel("Reviewer", { exact: true }).check();
    await page.getByRole("button", { name: "Change the role" }).click();
    await expect(page.locator("#done")).toContainText(`${email} is now a Reviewer`);
    await expect(page.locator("#account-organisation")).toHaveText("None");
    await page.getByRole("button", { name: "Disable the account" }).click();
    await expect(page.locator("#done")).toContainText(`${email} is disabled`);
    await expect(page.locator("#account-status")).toHaveText("Disabled");
    await expectNoAxeViolations(page);
    await page.getByRole("button", { name: "Enable the account" }).click();
    await expect(page.locator("#done")).toContainText(`${email} is enabled`);
    await expect(page.locator("#account-status")).toHaveText("Active");
  });

  test("the link the page emails lets the new person set a password and sign in", async ({ page, browser }, testInfo) => {
    const email = newAddress("newcomer", testInfo.workerIndex);
    await signIn(page, ACCOUNTS.deskAdmin);
    await addAccount(page, email, "Reviewer");
    await expect(page.locator("#done")).toContainText("The account is added");
    await page.getByRole("button", { name: "Email a password reset link" }).click();
    await expect(page.locator("#done")).toContainText("A link to set a new password was emailed");

    // Two links were sent (on adding, and now): only the newer one works.
    const links = await linksFor(email);
    expect(links.length).toBe(2);
    const newcomer = await (await browser.newContext()).newPage();
    let working: string | undefined;
    for (const link of links) {
      await newcomer.goto(link);
      if ((await newcomer.locator("#reset-for").count()) > 0) working = link;
    }
    expect(working).toBeDefined();
    await newcomer.goto(working!);
    await newcomer.getByLabel("New password", { exact: true }).fill("a newcomer's passphrase");
    await newcomer.getByLabel("Enter the new password again").fill("a newcomer's passphrase");
    await newcomer.getByRole("button", { name: "Set the password" }).click();
    await expect(newcomer).toHaveURL(/\/sign-in\?password_set=1$/);
    await submitSignIn(newcomer, email, "a newcomer's passphrase");
    await expect(newcomer).toHaveURL(/\/review$/);
    await newcomer.context().close();
  });

  test("without JavaScript: add a Local Administrator", async ({ browser }, testInfo) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const email = newAddress("no.script", testInfo.workerIndex);
    await signIn(page, ACCOUNTS.deskAdmin);
    await addAccount(page, email, "Local Administrator", "rx1");
    await expect(page.locator("#done")).toContainText("The account is added");
    await expect(page.locator("#account-organisation")).toContainText("(RX1)");
    await context.close();
  });

  test("a desk administrator cannot disable their own account or take their own role away", async ({ page }) => {
    await signIn(page, ACCOUNTS.deskAdmin);
    await page.locator(`#accounts tr[data-email="${ACCOUNTS.deskAdmin}"]`).getByRole("link").click();
    await expect(page.locator("#account-role")).toHaveText("Desk administrator");
    await expect(page.locator("#own-disable")).toContainText("you cannot disable it yourself");
    await expect(page.locator("#own-role")).toBeVisible();
    await expect(page.getByRole("button", { name: "Disable the account" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Change the role" })).toHaveCount(0);
    await expectNoAxeViolations(page);
  });

  test("the Accounts page is for desk administrators; they see no requests", async ({ page, browser }) => {
    await signIn(page, ACCOUNTS.adminRx1);
    await expect(page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Accounts" })).toHaveCount(0);
    const refused = await page.goto("/accounts");
    expect(refused!.status()).toBe(403);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Accounts are managed by the desk's administrators");
    await expectNoAxeViolations(page);

    const deskAdmin = await (await browser.newContext()).newPage();
    await signIn(deskAdmin, ACCOUNTS.deskAdmin);
    const review = await deskAdmin.goto("/review");
    expect(review!.status()).toBe(403);
    await expect(deskAdmin.getByRole("heading", { level: 1 })).toHaveText("Desk administrators manage accounts");
    await expect(deskAdmin.getByRole("link", { name: "Go to the accounts" })).toHaveAttribute("href", "/accounts");
    await expectNoAxeViolations(deskAdmin);
    await deskAdmin.context().close();
  });
});
