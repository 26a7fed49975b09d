import { expect, Page } from "@playwright/test";

/** The fields of a delegated request that the demo data accepts (for RX1, the organisation of
 * the default signed-in administrator). */
export async function fillDelegated(page: Page) {
  await page.getByLabel("Application name").fill("Ward Mail Connector");
  await page.getByLabel("Description").fill("Reads the ward's shared mailbox and files referrals");
  await page.getByLabel("Supplier").fill("Example Health Ltd");
  await page.getByRole("group", { name: "Access type" }).getByLabel("Delegated").check();
  await page.getByLabel("Mailbox addresses").first().fill("ward7.referrals@nhs.net");
  await page.getByLabel("Redirect URIs").first().fill("https://connector.nuh.nhs.uk/auth/callback");
  await page.getByLabel("Contact name").first().fill("Jo Bloggs");
  await page.getByLabel("Contact email").first().fill("jo.bloggs@nhs.net");
}

/** Searches the catalogue and adds one permission (a form round trip). */
export async function addPermission(page: Page, search: string, name: RegExp) {
  await page.getByLabel("Permissions").fill(search);
  await page.locator("#permissions").getByRole("button", { name: "Search" }).click();
  await page.locator("#permission-results").getByRole("button", { name }).first().click();
  await expect(page.locator("#chosen-permissions")).toBeVisible();
}

/** The confirmation page's reference, checked for its read-aloud format. */
export async function expectSubmitted(page: Page): Promise<string> {
  await expect(page.getByRole("heading", { name: "Request submitted" })).toBeVisible();
  const reference = (await page.locator("#reference").textContent()) ?? "";
  expect(reference).toMatch(/^AR-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/);
  await expect(page).toHaveURL(new RegExp(`/registrations/${reference}/submitted$`));
  await expect(page.locator("#status")).toHaveText("Submitted");
  return reference;
}

/** Waits until the page has hydrated (the live checks and the JS paths of the form need the WASM).
 * Only for pages with JavaScript enabled. */
export async function hydrated(page: Page) {
  try {
    await page.locator("body[data-hydrated]").waitFor({ state: "attached", timeout: 45_000 });
  } catch (error) {
    // Say how far the page got: were the script and the WASM fetched, and how long did they take?
    const loads = await page.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .filter((entry) => entry.name.includes("/pkg/"))
        .map((entry) => `${entry.name} ${Math.round(entry.duration)} ms`),
    );
    throw new Error(`the page did not hydrate; /pkg/ loads: ${JSON.stringify(loads)}; ${error}`);
  }
}
