import { test, expect, Page } from "@playwright/test";
import { expectNoAxeViolations } from "../support/axe";
import { readFileSync } from "node:fs";
import { generateCertificate, keyBody } from "../support/certificates";
import { addPermission, expectSubmitted, fillDelegated, hydrated } from "../support/form";
import { approveAsReviewers, signIn } from "../support/session";



test.describe("the registration form", () => {
  // Only a signed-in Local Administrator makes requests (admin@rx1.nhs.net, RX1).
  test.beforeEach(async ({ page }) => {
    await signIn(page);
  });

  test("what is typed before the page has hydrated is kept when it hydrates", async ({ page }) => {
    // A slow connection: the (debug) WASM takes seconds to arrive, and people type meanwhile.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: 1_500_000,
      uploadThroughput: 1_500_000,
    });
    await page.goto("/register", { waitUntil: "domcontentloaded" });
    await expect(page.locator("body[data-hydrated]")).toHaveCount(0);
    await page.getByLabel("Application name").fill("Typed before hydration");
    await page.getByLabel("Description").fill("Also typed early");
    await hydrated(page);
    await expect(page.getByLabel("Application name")).toHaveValue("Typed before hydration");
    await expect(page.getByLabel("Description")).toHaveValue("Also typed early");
  });

  test("delegated access: a Local Administrator submits a valid request", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("button", { name: "Start now" }).click();
    await expect(page).toHaveURL(/\/register$/);
    await hydrated(page);
    // The organisation is the administrator's own, fixed.
    await expect(page.locator("#organisation-name")).toHaveText("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1)");
    await fillDelegated(page);
    await addPermission(page, "IMAP.AccessAsUser", /^Add IMAP\.AccessAsUser\.All \(Microsoft Graph, delegated\)$/);
    await addPermission(page, "offline_access", /^Add offline_access/);
    await page.getByRole("button", { name: "Submit" }).click();
    await expectSubmitted(page);
    await expect(page.getByText("Ward Mail Connector")).toBeVisible();
    await expectNoAxeViolations(page);
  });

  test("application access with a real certificate: details, thumbprints and copy", async ({ page, context, browser }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const certificate = generateCertificate();
    await page.goto("/register");
    await hydrated(page);
    await fillDelegated(page);
    await page.getByRole("group", { name: "Access type" }).getByLabel("Application").check();
    await page.getByLabel("Mailbox addresses").first().fill("connector.app@nhs.net");
    await page.getByLabel("Redirect URIs").first().fill("");
    await page.getByLabel("Certificate").setInputFiles(certificate.certificatePath);
    // Seen at once, before any upload: what the file is.
    const preview = page.locator("#certificate-preview");
    await expect(preview).toContainText("CN=connector.nuh.nhs.uk");
    await expect(preview).toContainText(certificate.sha1);
    await expect(preview).toContainText(certificate.sha256);
    await expect(preview).toContainText("RSA 2048");
    await preview.getByRole("button", { name: "Copy SHA-1 thumbprint" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(certificate.sha1);

    await addPermission(page, "Mail.Send", /^Add Mail\.Send \(Microsoft Graph, application\)$/);
    // The certificate was kept with the draft across that round trip.
    await expect(page.locator(".appreg-kept-certificate")).toContainText(certificate.sha1);
    // App-only mail needs a scope: the access policy group appears.
    await page.getByLabel("Access policy group").fill("ward7-connector-scope@nhs.net");
    await page.getByRole("button", { name: "Submit" }).click();
    const reference = await expectSubmitted(page);
    await expect(page.locator("#warnings")).toContainText("Mail.Send");
    // What the Entra administrator acts on is made once the request is approved.
    await expect(page.locator("#exports-once-approved")).toBeVisible();
    await expect(page.getByRole("link", { name: /Microsoft Entra application/ })).toHaveCount(0);
    await approveAsReviewers(browser, reference);

    // Then it is downloaded from the request's page.
    await page.goto(`/requests/${reference}`);
    await expect(page.locator("#status")).toHaveText("Approved");
    const [manifestDownload] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: /Microsoft Entra application/ }).click(),
    ]);
    const manifest = JSON.parse(readFileSync((await manifestDownload.path())!, "utf8"));
    expect(manifest.displayName).toBe("Ward Mail Connector");
    const certificateDer = readFileSync(certificate.certificatePath, "utf8")
      .split("\n")
      .filter((line) => line && !line.startsWith("-----"))
      .join("");
    expect(manifest.keyCredentials[0].key).toBe(certificateDer);
    expect(manifest.notes).toBe(`appreg ${reference} version 1, approved by decisions ${reference}/v1/decision/1, ${reference}/v1/decision/2.`);
    const [scriptDownload] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: /Exchange Online PowerShell script/ }).click(),
    ]);
    const script = readFileSync((await scriptDownload.path())!, "utf8");
    expect(script).toContain("'ward7-connector-scope@nhs.net'");
    expect(script).toContain("'Application Mail.Send'");
  });

  test("each error appears on its field and in the summary, which gets focus", async ({ page }) => {
    await page.goto("/register");
    await page.getByLabel("Redirect URIs").first().fill("https://connector.nuh.nhs.uk/cb#section");
    await page.getByLabel("Contact email").first().fill("jo at nhs.net");
    await page.getByRole("button", { name: "Submit" }).click();
    await expect(page).toHaveURL(/checked=1/);
    const summary = page.locator("#error-summary");
    await expect(summary).toBeFocused();
    await expect(summary.getByRole("heading")).toHaveText("There is a problem");
    const expectations: [string, string][] = [
      ["#application-name", "application.required"],
      ["#access-type-delegated", "access_type.required"],
      ["#redirect-uris-0-uri", "redirect_uri.fragment"],
      ["#contacts-0-email", "contact.email"],
    ];
    for (const [target, code] of expectations) {
      const link = summary.locator(`a[href="${target}"][data-code="${code}"]`);
      await expect(link).toHaveCount(1);
      // The same finding stands at the field itself.
      const field = page.locator(target);
      const group = field.locator("xpath=ancestor::div[contains(@class,'nhsuk-form-group')][1]");
      await expect(group).toHaveClass(/nhsuk-form-group--error/);
      await expect(group.locator(`.nhsuk-error-message [data-code="${code}"]`)).toHaveCount(1);
    }
    // Following a summary link moves to the field.
    await summary.locator('a[href="#application-name"]').click();
    await expect(page).toHaveURL(/#application-name$/);
    await expectNoAxeViolations(page);
  });

  test("shows a format error as you type, without a round trip", async ({ page }) => {
    await page.goto("/register");
    await hydrated(page);
    const uri = page.getByLabel("Redirect URIs").first();
    await uri.fill("http://example.com/callback");
    await uri.blur();
    const group = uri.locator("xpath=ancestor::div[contains(@class,'nhsuk-form-group')][1]");
    await expect(group.locator('[data-code="redirect_uri.http"]')).toBeVisible();
    await uri.fill("https://connector.nuh.nhs.uk/callback");
    await expect(group.locator(".nhsuk-error-message")).toHaveCount(0);
    await expect(page).toHaveURL(/\/register$/);
  });

  test("the picker fetches the permission catalogue once, when it is first used, and says so when it cannot", async ({ page }) => {
    const fetched: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/catalogue/")) fetched.push(request.url());
    });
    await page.goto("/register");
    await hydrated(page);
    await page.waitForLoadState("networkidle");
    expect(fetched, "the form's first load carries no catalogue").toEqual([]);

    // Offline at first use: the picker says so, and the next search asks again.
    await page.route("**/catalogue/**", (route) => route.abort("internetdisconnected"));
    const search = page.getByLabel("Permissions");
    const results = page.locator("#permission-results");
    await search.fill("mail.send");
    await expect(results).toContainText("The permissions could not be loaded");
    await page.unroute("**/catalogue/**");

    await search.fill("mail.sen");
    await expect(results.getByRole("button", { name: "Add Mail.Send (Microsoft Graph, delegated)" })).toBeVisible();
    await search.fill("calendars.read");
    await expect(results.getByRole("button", { name: /^Add Calendars\.Read \(Microsoft Graph, application\)$/ })).toBeVisible();
    expect(fetched).toHaveLength(2);
    expect(fetched[1]).toMatch(/\/catalogue\/permissions\.[0-9a-f]{16}\.json$/);
    await expect(page).toHaveURL(/\/register$/);
  });

  test("checks mailboxes as you type as the server does: an imported one is known, another organisation's is left to the server", async ({ page }) => {
    // imported.ward9@nhs.net is RX1's by the desk's import (end2end/serve.sh), not in the embedded data.
    await page.goto("/register");
    await hydrated(page);
    const mailbox = page.getByLabel("Mailbox addresses").first();
    const group = mailbox.locator("xpath=ancestor::div[contains(@class,'nhsuk-form-group')][1]");
    await mailbox.fill("imported.ward9@nhs.net");
    await page.getByLabel("Application name").fill("Ward Mail Connector");
    await expect(group.locator(".nhsuk-error-message")).toHaveCount(0);
    // Another organisation's mailbox: the browser cannot tell it from an unknown one, so it says
    // nothing while you type…
    await mailbox.fill("demo.outpatients.rj1@nhs.net");
    await page.getByLabel("Application name").fill("Ward Mail Connector 2");
    await expect(group.locator(".nhsuk-error-message")).toHaveCount(0);
    await expect(page).toHaveURL(/\/register$/);
    // …the server's answer on Check says whose it is, and it stays while the address does.
    await page.getByRole("button", { name: "Check" }).click();
    await expect(page.locator('#error-summary [data-code="mailbox.other_organisation"]')).toBeVisible();
    await hydrated(page);
    await page.getByLabel("Application name").fill("Ward Mail Connector 3");
    const checked = page.getByLabel("Mailbox addresses").first().locator("xpath=ancestor::div[contains(@class,'nhsuk-form-group')][1]");
    await expect(checked.locator('[data-code="mailbox.other_organisation"]')).toBeVisible();
    await page.getByLabel("Mailbox addresses").first().fill("imported.ward9@nhs.net");
    await expect(checked.locator(".nhsuk-error-message")).toHaveCount(0);
  });

  test("keeps everything typed after an error", async ({ page }) => {
    await page.goto("/register");
    await fillDelegated(page);
    await page.getByLabel("Mailbox addresses").first().fill("someone@rj1.nhs.uk");
    await page.getByLabel("Token endpoint URIs").first().fill("https://login.microsoftonline.com/common/oauth2/v2.0/token");
    await page.getByLabel("Client secret lifetime (months)").fill("30");
    await page.getByRole("button", { name: "Check" }).click();
    await expect(page.locator("#error-summary")).toBeVisible();
    await expect(page.locator("#organisation-name")).toHaveText("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1)");
    await expect(page.getByLabel("Application name")).toHaveValue("Ward Mail Connector");
    await expect(page.getByLabel("Description")).toHaveValue("Reads the ward's shared mailbox and files referrals");
    await expect(page.getByLabel("Supplier")).toHaveValue("Example Health Ltd");
    await expect(page.getByRole("group", { name: "Access type" }).getByLabel("Delegated")).toBeChecked();
    await expect(page.getByLabel("Mailbox addresses").first()).toHaveValue("someone@rj1.nhs.uk");
    await expect(page.getByLabel("Redirect URIs").first()).toHaveValue("https://connector.nuh.nhs.uk/auth/callback");
    await expect(page.getByLabel("Token endpoint URIs").first()).toHaveValue("https://login.microsoftonline.com/common/oauth2/v2.0/token");
    await expect(page.getByLabel("Client secret lifetime (months)")).toHaveValue("30");
    await expect(page.getByLabel("Contact name").first()).toHaveValue("Jo Bloggs");
    await expect(page.getByLabel("Contact email").first()).toHaveValue("jo.bloggs@nhs.net");
    await expect(page.locator('#error-summary [data-code="mailbox.domain"]')).toBeVisible();
    await expect(page.locator('#error-summary [data-code="client_secret.lifetime"]')).toBeVisible();
  });

  test("lists grow and shrink", async ({ page }) => {
    await page.goto("/register");
    await page.getByLabel("Mailbox addresses").first().fill("ward7.referrals@nhs.net");
    await page.getByRole("button", { name: "Add another mailbox" }).click();
    await expect(page.getByLabel("Mailbox addresses")).toHaveCount(2);
    await page.getByLabel("Mailbox addresses").nth(1).fill("connector.app@nhs.net");
    await page.getByRole("button", { name: "Remove mailbox address 1" }).click();
    await expect(page.getByLabel("Mailbox addresses")).toHaveCount(1);
    await expect(page.getByLabel("Mailbox addresses").first()).toHaveValue("connector.app@nhs.net");
  });

  test("a private key is refused in the browser before it is sent", async ({ page }) => {
    const certificate = generateCertificate();
    await page.goto("/register");
    await hydrated(page);
    await page.getByLabel("Certificate").setInputFiles(certificate.combinedPath);
    await expect(page.locator('#certificate-preview [data-code="certificate.private_key"]')).toBeVisible();
    await expect(page.locator("#certificate-preview")).toContainText("treated as compromised");
    // Taken out of the form: pressing a button sends nothing.
    expect(await page.getByLabel("Certificate").evaluate((input: HTMLInputElement) => input.files?.length ?? 0)).toBe(0);
  });

  test("without JavaScript: a private key upload is refused and nothing of it comes back", async ({ browser }) => {
    const certificate = generateCertificate();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page);
    await page.goto("/register");
    await page.getByLabel("Certificate").setInputFiles(certificate.keyPath);
    await page.getByRole("button", { name: "Check" }).click();
    await expect(page).toHaveURL(/refused=private_key/);
    await expect(page.locator('#certificate-error [data-code="certificate.private_key"]')).toBeVisible();
    await expect(page.locator('#error-summary a[href="#certificate"]')).toBeVisible();
    await expect(page.locator(".appreg-kept-certificate")).toHaveCount(0);
    const html = await page.content();
    const body = keyBody(certificate.keyPath);
    for (let i = 0; i + 16 <= body.length; i += 16) {
      expect(html.includes(body.slice(i, i + 16))).toBe(false);
    }
    await context.close();
  });

  test("without JavaScript: the whole request can be made and submitted", async ({ browser }) => {
    const certificate = generateCertificate();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page);
    await page.goto("/register");
    await fillDelegated(page);
    await page.getByLabel("Certificate").setInputFiles(certificate.certificatePath);
    await addPermission(page, "User.Read", /^Add User\.Read \(Microsoft Graph, delegated\)$/);
    await expect(page.locator(".appreg-kept-certificate")).toContainText(certificate.sha1);
    await expect(page.getByLabel("Application name")).toHaveValue("Ward Mail Connector");
    await page.getByRole("button", { name: "Submit" }).click();
    await expectSubmitted(page);
    await context.close();
  });

  test("a draft can be saved and resumed", async ({ page, browser }) => {
    await page.goto("/register");
    await fillDelegated(page);
    await page.getByRole("button", { name: "Save draft" }).click();
    await expect(page.getByText("Your draft is saved")).toBeVisible();
    const address = (await page.locator(".nhsuk-notification-banner__link").getAttribute("href"))!;
    expect(address).toMatch(/^\/register\/[A-Za-z0-9_-]{22}$/);
    // Another browser of the same organisation's administrator opens it.
    const later = await browser.newPage();
    await signIn(later);
    await later.goto(address);
    await expect(later.getByLabel("Application name")).toHaveValue("Ward Mail Connector");
    await expect(later.getByLabel("Mailbox addresses").first()).toHaveValue("ward7.referrals@nhs.net");
    await expect(later.getByRole("group", { name: "Access type" }).getByLabel("Delegated")).toBeChecked();
    await later.close();
  });

  test("can be completed with the keyboard alone", async ({ page }) => {
    await page.goto("/register");
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 200; i++) {
        if (await page.locator(selector).evaluate((el) => el === document.activeElement)) return;
        await page.keyboard.press("Tab");
      }
      throw new Error(`could not reach ${selector} with Tab`);
    };
    const type = async (selector: string, text: string) => {
      await tabTo(selector);
      await page.keyboard.type(text);
    };
    await type("#application-name", "Keyboard Connector");
    await type("#application-description", "Files referrals from the ward mailbox");
    await type("#application-supplier", "Example Health Ltd");
    await tabTo("#access-type-delegated");
    await page.keyboard.press("Space");
    await type("#mailboxes-0", "ward7.referrals@nhs.net");
    await type("#redirect-uris-0-uri", "https://connector.nuh.nhs.uk/auth/callback");
    await type("#contacts-0-name", "Jo Bloggs");
    await type("#contacts-0-email", "jo.bloggs@nhs.net");
    await tabTo('button[value="submit"]');
    await page.keyboard.press("Enter");
    await expectSubmitted(page);
  });

  test("the empty form has no accessibility violations", async ({ page }) => {
    await page.goto("/register");
    await expectNoAxeViolations(page);
  });
});
