// Never losing typed work (issue 18, part 2): the form saves itself as the person types; five
// minutes before the session's idle timeout a dialog offers to stay signed in; and a form sent
// after the session ended — posted without JavaScript, or autosaved with it — is kept and comes
// back as a draft once its Local Administrator signs in again.
import { test, expect, Page, BrowserContext } from "@playwright/test";
import { expectNoAxeViolations } from "../support/axe";
import { hydrated } from "../support/form";
import { ACCOUNTS, signIn, submitSignIn } from "../support/session";

/** Ends the browser's session as the desk's idle timeout would (the cookie no longer names a
 * session the desk accepts). */
async function endSession(context: BrowserContext) {
  const cookies = await context.cookies();
  await context.clearCookies();
  await context.addCookies(cookies.filter((cookie) => cookie.name !== "appreg_session"));
}

/** Signs in again from the sign-in page a kept form led to (axe needs JavaScript: `axe`
 * false skips it). */
async function signInAgainFromHere(page: Page, axe = true) {
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fregister|\/sign-in\?next=\/register/);
  await expect(page.locator("#form-kept")).toContainText("What you sent has been kept");
  if (axe) await expectNoAxeViolations(page);
  await submitSignIn(page, ACCOUNTS.adminRx1);
  await expect(page).toHaveURL(/\/register\/[A-Za-z0-9_-]+\?restored=1$/);
  await expect(page.locator("#restored")).toContainText("Your answers were kept");
}

test.describe("never losing typed work", () => {
  test("the form saves itself as the person types", async ({ page }) => {
    await signIn(page);
    await page.goto("/register");
    await hydrated(page);
    await page.getByLabel("Application name").fill("Autosaved Connector");
    await expect(page.locator("#autosave-status")).toContainText(/Draft saved at \d\d:\d\d/);
    // The draft is the organisation's: Your requests lists it, and it opens with what was typed.
    await page.goto("/requests");
    const draft = page.locator("#drafts tr", { hasText: "Autosaved Connector" }).first();
    await expect(draft).toBeVisible();
    await draft.getByRole("link").click();
    await expect(page.getByLabel("Application name")).toHaveValue("Autosaved Connector");
  });

  test("five minutes before the idle timeout a dialog offers to stay signed in", async ({ page }) => {
    await page.clock.install();
    await signIn(page);
    await page.goto("/register");
    await hydrated(page);
    await expect(page.getByRole("alertdialog")).toHaveCount(0);

    await page.clock.fastForward("25:10");
    const dialog = page.getByRole("alertdialog", { name: "You will be signed out soon" });
    await expect(dialog).toBeVisible();
    await expect(dialog).toBeFocused();
    await expect(dialog).toContainText(/you will be signed out at \d\d:\d\d if you do nothing/);
    await expectNoAxeViolations(page);
    await dialog.getByRole("button", { name: "Stay signed in" }).click();
    await expect(dialog).toHaveCount(0);

    // Nothing again for the whole timeout: signed out, with the way back.
    await page.clock.fastForward("30:10");
    const ended = page.getByRole("alertdialog", { name: "You have been signed out" });
    await expect(ended).toBeVisible();
    await expect(ended.getByRole("link", { name: "Sign in again" })).toHaveAttribute("href", /^\/sign-in\?next=/);
  });

  test("without JavaScript, a form posted after the session ended comes back after signing in", async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page);
    await page.goto("/register");
    await page.getByLabel("Application name").fill("Posted Too Late");
    await page.getByLabel("Description").fill("Typed over a long lunch");
    await endSession(context);
    await page.getByRole("button", { name: "Check" }).last().click();
    await signInAgainFromHere(page, false);
    await expect(page.getByLabel("Application name")).toHaveValue("Posted Too Late");
    await expect(page.getByLabel("Description")).toHaveValue("Typed over a long lunch");
    await context.close();
  });

  test("with JavaScript, what is typed after the session ended is kept by the autosave", async ({ page, context }) => {
    await signIn(page);
    await page.goto("/register");
    await hydrated(page);
    await endSession(context);
    await page.getByLabel("Application name").fill("Typed After The End");
    const ended = page.getByRole("alertdialog", { name: "You have been signed out" });
    await expect(ended).toBeVisible();
    await expect(page.locator("#autosave-status")).toContainText("What you typed is kept in this browser");
    await ended.getByRole("link", { name: "Sign in again" }).click();
    await signInAgainFromHere(page);
    await expect(page.getByLabel("Application name")).toHaveValue("Typed After The End");
  });
});
