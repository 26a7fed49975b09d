import { test, expect } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { hydrated } from "../support/form";
import { signIn } from "../support/session";

test.describe("start page", () => {
  test("explains who the service is for and what to have ready", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveTitle("Register an application to use NHSmail – Application registration – NHS");
    await expect(page.getByRole("banner")).toContainText("Application registration");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Register an application to use NHSmail");
    await expect(page.getByRole("heading", { name: "Who can use this service" })).toBeVisible();
    await expect(page.getByText("Local Administrators of organisations that use NHSmail")).toBeVisible();
    const needs = page.getByRole("heading", { name: "Before you start" }).locator("~ ul").first();
    for (const item of ["ODS code", "permissions", "mailboxes", "redirect URIs", "certificate"]) {
      await expect(needs).toContainText(item);
    }
    await expect(page.getByRole("contentinfo")).toContainText("Open Government Licence");
  });

  test("is styled by the NHS.UK design system", async ({ page }) => {
    await page.goto("/");
    const header = page.locator("header.nhsuk-header");
    // nhsuk-frontend paints the header NHS blue (#005eb8): proves its CSS was served and applied.
    await expect(header).toHaveCSS("background-color", "rgb(0, 94, 184)");
  });

  test("has no accessibility violations (WCAG 2.2 AA)", async ({ page }) => {
    await page.goto("/");
    const results = await new AxeBuilder({ page })
      .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
      .analyze();
    expect(results.violations).toEqual([]);
  });

  test("sends security headers with a nonce the island script satisfies", async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await signIn(page, "admin@rx1.nhs.net");
    // The form is a page with islands: its inline island script must carry the response's nonce.
    const response = await page.goto("/register");
    const headers = response!.headers();
    expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    await hydrated(page);
    // A live check (only the hydrated island can show it without a form post).
    await page.getByLabel("Redirect URIs").first().fill("http://example.com/callback");
    await expect(page.locator('[data-code="redirect_uri.http"]').first()).toBeVisible();
    await expect(page).toHaveURL(/\/register$/);
    expect(violations).toEqual([]);
  });
});

test.describe("the ODS code check", () => {
  test("answers on Check, from the server, on a page that loads no WASM", async ({ page }) => {
    const wasm: string[] = [];
    page.on("response", (response) => {
      if (response.url().endsWith(".wasm")) wasm.push(response.url());
    });
    await page.goto("/");
    const result = page.locator("#ods-code-check-result");
    await page.getByLabel("ODS code").fill("rx1");
    await page.getByRole("button", { name: "Check" }).click();
    await expect(result).toHaveText(/RX1 is NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST \(open\)/);
    await expect(page).toHaveURL(/ods_code=rx1#check-ods-code$/);
    await page.getByLabel("ODS code").fill("RX");
    await page.getByRole("button", { name: "Check" }).click();
    await expect(result).toHaveAttribute("data-state", "error");
    await page.waitForLoadState("networkidle");
    expect(wasm).toEqual([]);
  });

  test("without JavaScript the same check works as a form", async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto("/");
    await page.getByLabel("ODS code").fill("a81001");
    await page.getByRole("button", { name: "Check" }).click();
    await expect(page).toHaveURL(/ods_code=a81001/);
    await expect(page.locator("#ods-code-check-result")).toContainText("A81001 is THE DENSHAM SURGERY");
    await expect(page.getByLabel("ODS code")).toHaveValue("a81001");
    await context.close();
  });
});

test("a page with islands comes compressed and its script, WASM and styles by hashed names cached for a year", async ({ page }) => {
  const site = new Map<string, { cacheControl?: string; encoding?: string }>();
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (path.startsWith("/pkg/")) {
      const headers = response.headers();
      site.set(path, { cacheControl: headers["cache-control"], encoding: headers["content-encoding"] });
    }
  });
  await signIn(page, "admin@rx1.nhs.net");
  site.clear();
  const response = await page.goto("/register");
  expect(response!.headers()["content-encoding"]).toBe("br");
  await hydrated(page);
  const names = [...site.keys()];
  for (const kind of [".js", ".wasm", ".css"]) {
    expect(names.some((name) => new RegExp(`^/pkg/appreg\\.[A-Za-z0-9_-]{22}\\${kind}$`).test(name)), `${kind} in ${names}`).toBe(true);
  }
  for (const [name, { cacheControl }] of site) {
    expect(cacheControl, name).toBe("public, max-age=31536000, immutable");
  }
});

test("the site's own files: robots.txt keeps search engines out, the manifest names the service", async ({ page }) => {
  const robots = await page.request.get("/robots.txt");
  expect(robots.status()).toBe(200);
  expect(await robots.text()).toContain("Disallow: /");
  await page.goto("/");
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  const manifest = await page.request.get(href!);
  expect(manifest.status()).toBe(200);
  const body = await manifest.json();
  expect(body.name).toBe("Application registration – NHS");
  for (const icon of body.icons) {
    expect((await page.request.get(icon.src)).status(), icon.src).toBe(200);
  }
});

test("an unknown page says so with status 404", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response!.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
});

test.describe("every page loads cleanly", () => {
  // No request for anything the site does not serve (the design system's Frutiger fonts among
  // them) and no console error, on the pages people open first and on the pages behind sign-in.
  // Only pages with islands load the WASM (app::page_has_islands); the others must not.
  for (const [path, account, islands] of [
    ["/", null, false],
    ["/sign-in", null, false],
    ["/register", "admin@rx1.nhs.net", true],
    ["/requests", "admin@rx1.nhs.net", false],
    ["/review", "reviewer1@nhs.net", false],
    ["/applications", "admin@rx1.nhs.net", false],
    ["/applications/expiring", "reviewer1@nhs.net", false],
    ["/account/password", "reviewer2@nhs.net", false],
    ["/accounts", "desk.admin@nhs.net", false],
  ] as const) {
    test(`${path}${account ? ` as ${account}` : ""}: no failed request and no console error`, async ({ page }) => {
      if (account) await signIn(page, account);
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("requestfailed", (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
      const wasm: string[] = [];
      page.on("response", (response) => {
        if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
        if (response.url().endsWith(".wasm")) wasm.push(response.url());
      });
      await page.goto(path);
      if (islands) await hydrated(page);
      await page.waitForLoadState("networkidle");
      expect(problems).toEqual([]);
      if (!islands) expect(wasm).toEqual([]);
    });
  }
});
