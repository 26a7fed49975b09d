// "Sign in with NHSmail" (issue 17, part 2): the desk's sign-in page sends the browser to the
// test OpenID provider (end2end/oidc-provider.mjs, set up like the NHSmail tenant), the person
// signs in there, comes back signed in to the account an administrator made for them, submits a
// request and signs out. Someone the desk has no account for is told whom to ask.
import { test, expect, Page } from "@playwright/test";
import { expectNoAxeViolations } from "../support/axe";
import { addPermission, expectSubmitted, fillDelegated, hydrated } from "../support/form";

/** At the provider's login page (any password), signs in as `login`. */
async function signInAtProvider(page: Page, login: string) {
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/interaction\//);
  await page.getByPlaceholder("Enter any login").fill(login);
  await page.getByPlaceholder("and password").fill("any password at all");
  await page.getByRole("button", { name: "Sign-in" }).click();
}

test("a Local Administrator signs in with NHSmail, submits a request and signs out", async ({ page }) => {
  test.setTimeout(90_000);
  // A page that needs an account sends them to sign in, and back to it afterwards.
  await page.goto("/register");
  await expect(page).toHaveURL(/\/sign-in\?next=\/register$/);
  await expectNoAxeViolations(page);
  await page.getByRole("button", { name: "Sign in with NHSmail" }).click();
  await signInAtProvider(page, "nhsmail.admin");

  // Back at the desk as the account made for them: their organisation, the form they asked for.
  await expect(page).toHaveURL(/127\.0\.0\.1:3100\/register$/);
  await expect(page.locator("#signed-in-as")).toContainText("nhsmail.admin@rx1.nhs.net");
  await expect(page.locator("#organisation-name")).toHaveText("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1)");
  await hydrated(page);
  await fillDelegated(page);
  await addPermission(page, "IMAP.AccessAsUser", /^Add IMAP\.AccessAsUser\.All \(Microsoft Graph, delegated\)$/);
  await page.getByRole("button", { name: "Submit" }).click();
  const reference = await expectSubmitted(page);
  await page.goto("/requests");
  await expect(page.locator("#requests")).toContainText(reference);

  await page.getByRole("navigation", { name: "Account" }).getByRole("button", { name: "Sign out" }).click();
  await expect(page.locator("#signed-out")).toContainText("You have signed out");
  await page.goto("/requests");
  await expect(page).toHaveURL(/\/sign-in\?next=\/requests$/);
});

test("someone without an account on the desk is told whom to ask, and is not signed in", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByRole("button", { name: "Sign in with NHSmail" }).click();
  await signInAtProvider(page, "stranger");
  const summary = page.locator("#error-summary");
  await expect(summary).toBeFocused();
  await expect(summary.getByRole("link")).toHaveText(/^There is no account for stranger@rx1\.nhs\.net on this desk\. Ask the desk's administrators/);
  await expect(summary.getByRole("link")).toHaveAttribute("href", "#nhsmail");
  await expect(page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Sign in" })).toBeVisible();
  await expectNoAxeViolations(page);
});
