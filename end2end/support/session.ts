import { Browser, expect, Page } from "@playwright/test";

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
  /** A desk administrator (manages the accounts: accounts.spec.ts). */
  deskAdmin: "desk.admin@nhs.net",
} as const;

/**
 * The people of the test OpenID provider (end2end/oidc-provider.mjs; its login page takes any
 * password): `nhsmail.admin` has an account on the desk (end2end/serve.sh), linked at their first
 * sign-in by the verified address; `stranger` has none.
 */
export const NHSMAIL_PEOPLE = {
  "nhsmail.admin": {
    oid: "5b0c2f43-1d7e-4a35-9c1b-7f1e2d3c4b5a",
    email: "NHSmail.Admin@rx1.nhs.net",
    xms_edov: true,
    preferred_username: "nhsmail.admin@rx1.nhs.net",
    name: "Nia Admin",
  },
  stranger: {
    oid: "5b0c2f43-1d7e-4a35-9c1b-00000000dead",
    email: "stranger@rx1.nhs.net",
    xms_edov: true,
    name: "Sam Stranger",
  },
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

/** A signed-in API session in its own browser context, with its CSRF token. */
export async function apiSession(browser: Browser, email: string): Promise<{ page: Page; csrf: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.request.post("/api/v1/session", { data: { email, password: PASSWORD } });
  expect(response.status()).toBe(200);
  return { page, csrf: (await response.json()).csrf_token };
}

/** Submits `request` over the API in `session` (a Local Administrator's) and returns its
 * reference; anything but 201 fails the test with the answer's text. */
export async function submitOverApi(session: { page: Page; csrf: string }, request: unknown): Promise<string> {
  const submitted = await session.page.request.post("/api/v1/registrations", {
    headers: { "X-CSRF-Token": session.csrf },
    data: request,
  });
  expect(submitted.status(), await submitted.text()).toBe(201);
  return (await submitted.json()).reference;
}

/** Both reviewers approve the latest version of `reference` over the API, each naming the
 * version they read and its record's hash (the second approval is skipped when one is enough). */
export async function approveAsReviewers(browser: Browser, reference: string) {
  for (const email of [ACCOUNTS.reviewer1, ACCOUNTS.reviewer2]) {
    const reviewer = await apiSession(browser, email);
    const read = await (await reviewer.page.request.get(`/api/v1/registrations/${reference}`)).json();
    if (read.status === "approved") break;
    const decided = await reviewer.page.request.post(`/api/v1/registrations/${reference}/decisions`, {
      headers: { "X-CSRF-Token": reviewer.csrf },
      data: { decision: "approve", version: read.version, record_sha256: read.record_sha256 },
    });
    expect(decided.status(), await decided.text()).toBe(201);
    await reviewer.page.context().close();
  }
}
