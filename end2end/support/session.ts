import { expect, Page } from "@playwright/test";

/** The password of every account end2end/serve.sh makes. */
export const PASSWORD = process.env.APPREG_E2E_PASSWORD ?? "e2e correct horse battery staple";

/** The accounts end2end/serve.sh makes. */
export const ACCOUNTS = {
  /** Local Administrator of RX1 (Nottingham University Hospitals). */
  adminRx1: "admin@rx1.nhs.net",
  /** Local Administrator of RTH (Oxford University Hospitals). */
  adminRth: "admin@rth.nhs.net",
  reviewer1: "reviewer1@nhs.net",
  reviewer2: "reviewer2@nhs.net",
} as const;

/** A Local Administrator of RX1 whose password a test guesses at: one per attempt (`retry`). */
export function returningAdmin(retry: number): string {
  return `returning${retry}@rx1.nhs.net`;
}

/** Fills and sends the sign-in page already open in `page`. */
export async function submitSignIn(page: Page, email: string, password = PASSWORD) {
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/**
 * Signs in through the sign-in page (works with or without JavaScript) and waits until the
 * header names the account. Defaults to the Local Administrator of RX1.
 */
export async function signIn(page: Page, email: string = ACCOUNTS.adminRx1) {
  await page.goto("/sign-in");
  await submitSignIn(page, email);
  await expect(page.locator("#signed-in-as")).toContainText(email);
}
