// The whole life of a request, as its people live it, in one browser with three signed-in
// people: a Local Administrator submits; a reviewer asks for changes; the administrator edits and
// resubmits (version 2); a second reviewer sees what changed and approves; the administrator sees
// "Approved" and downloads the signed record, which verifies against the desk's published keys;
// the reviewer records the application as created (a pasted Graph response) and the
// administrator sees its Application ID.
import { test, expect, Browser, Page } from "@playwright/test";
import { expectNoAxeViolations } from "../support/axe";
import { createHash, createPublicKey, verify } from "node:crypto";
import { addPermission, expectSubmitted, fillDelegated, hydrated } from "../support/form";
import { ACCOUNTS, signIn } from "../support/session";

/** A page in its own browser context (its own cookies), signed in through the sign-in page. */
async function personAt(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email);
  return page;
}

/** Checks a compact JWS (ES256) against the JWKS the desk publishes; returns its claims. */
function verifyJws(
  jws: string,
  jwks: { keys: Array<Record<string, string>> },
  typ = "appreg-request+jwt",
): Record<string, unknown> {
  const [header64, payload64, signature64] = jws.trim().split(".");
  const header = JSON.parse(Buffer.from(header64, "base64url").toString("utf8"));
  expect(header.alg).toBe("ES256");
  expect(header.typ).toBe(typ);
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  expect(jwk, `a published key with kid ${header.kid}`).toBeTruthy();
  const key = createPublicKey({ key: jwk as never, format: "jwk" });
  const signed = Buffer.from(`${header64}.${payload64}`, "ascii");
  const signature = Buffer.from(signature64, "base64url");
  expect(verify("sha256", signed, { key, dsaEncoding: "ieee-p1363" }, signature)).toBe(true);
  return JSON.parse(Buffer.from(payload64, "base64url").toString("utf8"));
}

test("admin submits, a reviewer asks for changes, the admin resubmits, a second reviewer approves, the admin downloads the signed record", async ({ browser }) => {
  test.setTimeout(120_000);

  // 1. The Local Administrator of RX1 submits a request.
  const admin = await personAt(browser, ACCOUNTS.adminRx1);
  await admin.goto("/register");
  await hydrated(admin);
  await fillDelegated(admin);
  await addPermission(admin, "IMAP.AccessAsUser", /^Add IMAP\.AccessAsUser\.All \(Microsoft Graph, delegated\)$/);
  await admin.getByRole("button", { name: "Submit" }).click();
  const reference = await expectSubmitted(admin);

  // 2. The first reviewer asks for changes, with a reason.
  const reviewer1 = await personAt(browser, ACCOUNTS.reviewer1);
  await reviewer1.goto(`/review/${reference}`);
  await reviewer1.getByLabel("Request changes").check();
  await reviewer1.getByLabel("Reason").fill("Name the connector after the ward it serves.");
  await reviewer1.getByRole("button", { name: "Record decision" }).click();
  await expect(reviewer1.locator("#decided")).toContainText("Changes requested");

  // 3. The administrator sees the request waiting for changes, reads the reason, edits and resubmits.
  await admin.goto("/requests");
  await expect(admin.locator("#requests")).toContainText(reference);
  await expect(admin.locator("#requests")).toContainText("Changes requested");
  await admin.locator("#requests").getByRole("link", { name: reference }).click();
  await expect(admin.locator("#changes-requested")).toBeVisible();
  await expect(admin.locator("#decisions")).toContainText("Name the connector after the ward it serves.");
  await admin.getByRole("button", { name: "Edit and resubmit" }).click();
  await expect(admin.locator("#revision")).toContainText(`You are changing ${reference} — this will be version 2.`);
  // What was submitted comes back in the form, ready to change.
  await expect(admin.getByLabel("Application name")).toHaveValue("Ward Mail Connector");
  await admin.getByLabel("Application name").fill("Ward 7 Mail Connector");
  await admin.getByRole("button", { name: "Submit" }).click();
  expect(await expectSubmitted(admin)).toBe(reference);

  // 4. A second reviewer sees what changed since version 1 and approves version 2.
  const reviewer2 = await personAt(browser, ACCOUNTS.reviewer2);
  await reviewer2.goto(`/review/${reference}`);
  await expect(reviewer2.locator("#changes-heading")).toHaveText("Changed since version 1");
  const nameChange = reviewer2.locator('#changes tr[data-path="application.name"]');
  await expect(nameChange).toContainText("Ward Mail Connector");
  await expect(nameChange).toContainText("Ward 7 Mail Connector");
  await reviewer2.getByLabel("Approve").check();
  await reviewer2.getByRole("button", { name: "Record decision" }).click();
  await expect(reviewer2.locator("#decided")).toContainText("Approved");

  // 5. The administrator sees "Approved", with both decisions, and downloads the signed record.
  await admin.goto(`/requests/${reference}`);
  await expect(admin.locator("#status")).toHaveText("Approved");
  await expect(admin.locator("#version")).toHaveText("2 of 2");
  await expect(admin.locator("#decisions")).toContainText(ACCOUNTS.reviewer1);
  await expect(admin.locator("#decisions")).toContainText(ACCOUNTS.reviewer2);
  const [download] = await Promise.all([
    admin.waitForEvent("download"),
    admin.locator("#downloads").getByRole("link", { name: /^Signed registration request record/ }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`${reference}.jws`);
  const path = await download.path();
  const { readFile } = await import("node:fs/promises");
  const jws = await readFile(path!, "utf8");
  const jwks = await (await admin.request.get("/.well-known/jwks.json")).json();
  const claims = verifyJws(jws, jwks);
  expect(claims.jti).toBe(reference);
  expect(claims.version).toBe(2);
  expect(claims.client_name).toBe("Ward 7 Mail Connector");
  expect(claims.submitted_by).toBe(ACCOUNTS.adminRx1);

  // The approval is an artefact: the bundle holds the record and the signed decisions on it,
  // each bound to that exact record by its SHA-256 — checked here with Node's crypto alone.
  const bundle = await (await admin.request.get(`/api/v1/registrations/${reference}/bundle`)).json();
  expect(bundle.record).toBe(jws.trim());
  const recordSha256 = createHash("sha256").update(bundle.record, "utf8").digest("hex");
  expect(bundle.record_sha256).toBe(recordSha256);
  const decisions = bundle.decisions.map((decision: string) => verifyJws(decision, jwks, "appreg-decision+jwt"));
  expect(decisions).toHaveLength(1);
  expect(decisions[0]).toMatchObject({
    reference,
    version: 2,
    decision: "approve",
    reviewer: ACCOUNTS.reviewer2,
    status: "approved",
    record_sha256: recordSha256,
  });
  // And the Entra application is now made, naming that decision.
  const manifest = await (await admin.request.get(`/api/v1/registrations/${reference}/exports/entra-application.json`)).json();
  expect(manifest.notes).toBe(`appreg ${reference} version 2, approved by decision ${reference}/v2/decision/1.`);

  // Version 1 stays readable as it was submitted.
  await admin.goto(`/requests/${reference}?version=1`);
  await expect(admin.locator("#older-version")).toContainText("You are looking at version 1 of 2.");

  // 6. The reviewer records the application as created by pasting what Graph answered (the
  // request asked for no client secret); JSON that is not Graph's answer is refused first.
  const appId = "6731de76-14a6-49ae-97bc-6eba6914391e";
  const objectId = "03ef14b0-ca33-4840-8f4f-d6e91916010e";
  await reviewer2.goto(`/review/${reference}`);
  await expect(reviewer2.locator("#implementation-heading")).toHaveText("Record the application as created");
  await expectNoAxeViolations(reviewer2);
  await reviewer2.locator("#graph-response").fill("{ \"id\": \"not what Graph answered\" }");
  await reviewer2.getByRole("button", { name: "Record as created" }).click();
  await expect(reviewer2.locator("#implementation-error-summary")).toContainText("Paste the whole JSON that Graph answered");
  await expect(reviewer2.locator("#implementation-error-summary")).toContainText("paste it again");
  await expectNoAxeViolations(reviewer2);
  await reviewer2.locator("#graph-response").fill(JSON.stringify({
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/$entity",
    id: objectId,
    appId,
    displayName: "Ward 7 Mail Connector",
    passwordCredentials: [],
  }));
  await reviewer2.getByRole("button", { name: "Record as created" }).click();
  await expect(reviewer2.locator("#implemented")).toContainText("Recorded as created: the organisation's Local Administrators are told");
  await expect(reviewer2.locator("#live-application")).toContainText(appId);
  await expectNoAxeViolations(reviewer2);

  // 7. The administrator sees the registered application: its IDs and endpoints.
  await admin.goto(`/requests/${reference}`);
  await expect(admin.locator("#status")).toHaveText("Live");
  await expect(admin.locator("#live-application-id")).toHaveText(appId);
  await expect(admin.locator("#token-endpoint")).toContainText("/oauth2/v2.0/token");
  await expect(admin.locator("#client-secret-heading")).toHaveCount(0);
  await expectNoAxeViolations(admin);
});
