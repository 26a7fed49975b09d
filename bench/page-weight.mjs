// What a browser downloads to show the desk's pages (issue 16, docs/performance.md "Page weight"),
// measured in Debian's Chromium against a running desk (scripts/bench starts a release build):
//
//   node bench/page-weight.mjs URL EMAIL      (the account's password in APPREG_LOAD_PASSWORD)
//
// For each page: the first load with an empty cache, then a repeat visit in the same browser
// (another tab, the cache kept). "Bytes" are what came over the network (Chromium's
// encodedDataLength: compressed bodies and headers), everything the page asked for until the
// network was idle; a page with a WASM is counted once it has hydrated. Prints one JSON line per
// page and visit, then exits non-zero if a page exceeds its budget (when --check is given).
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [url, email] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const check = process.argv.includes("--check");
const password = process.env.APPREG_LOAD_PASSWORD;
if (!url || !email || !password) {
  console.error("usage: APPREG_LOAD_PASSWORD=… node bench/page-weight.mjs URL EMAIL [--check]");
  process.exit(2);
}

// Budgets in bytes (issue 16): the form page's first load, the start and sign-in pages', and any
// repeat visit.
const KB = 1000;
const budgets = {
  "/": 60 * KB,
  "/sign-in": 60 * KB,
  "/register": 250 * KB,
  repeat: 10 * KB,
};

// Started as the Playwright tests start it.
const launch = JSON.parse(readFileSync(new URL("../end2end/support/chromium.json", import.meta.url), "utf8"));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? launch.executablePath,
  args: launch.args,
});

/** Loads `path` in a new tab of `context` and returns what came over the network; `then`, if
 * given, acts on the loaded page, and only what it makes the page fetch is counted. */
async function visit(context, path, then) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  // The browser's cache is on (the default); the repeat visit depends on it.
  const responses = new Map();
  const files = [];
  cdp.on("Network.responseReceived", (event) => {
    responses.set(event.requestId, {
      path: new URL(event.response.url).pathname,
      status: event.response.status,
      encoding: event.response.headers["content-encoding"] ?? event.response.headers["Content-Encoding"],
      cached: event.response.fromDiskCache || event.response.fromMemoryCache,
    });
  });
  cdp.on("Network.loadingFinished", (event) => {
    const response = responses.get(event.requestId);
    if (response) files.push({ ...response, bytes: event.encodedDataLength });
  });
  const answer = await page.goto(new URL(path, url).toString());
  if (!answer || answer.status() !== 200) throw new Error(`${path} answered ${answer?.status()}`);
  const hasWasm = await page.evaluate(() => !!document.querySelector('link[href$=".wasm"], script[type="module"]'));
  if (hasWasm) await page.locator("body[data-hydrated]").waitFor({ state: "attached", timeout: 60_000 });
  await page.waitForLoadState("networkidle");
  if (then) {
    files.length = 0;
    await then(page);
    await page.waitForLoadState("networkidle");
  }
  await page.close();
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
  return { bytes, files: files.map((f) => `${f.path} ${f.status} ${f.encoding ?? "identity"}${f.cached ? " (cache)" : ""} ${f.bytes}`) };
}

let over = false;
function report(path, kind, measured) {
  const budget = kind === "first load" ? budgets[path] : budgets.repeat;
  const within = measured.bytes <= budget;
  over ||= !within;
  console.log(JSON.stringify({ page: path, visit: kind, bytes: measured.bytes, budget, within, files: measured.files }));
}

for (const path of ["/", "/sign-in", "/register"]) {
  const context = await browser.newContext();
  if (path === "/register") {
    // Signed in as a Local Administrator, as the API does it (the cookie goes into this context).
    const signIn = await context.request.post(new URL("/api/v1/session", url).toString(), {
      data: { email, password },
    });
    if (!signIn.ok()) throw new Error(`signing in answered ${signIn.status()}`);
  }
  report(path, "first load", await visit(context, path));
  report(path, "repeat visit", await visit(context, path));
  if (path === "/register") {
    // The picker's first search fetches the permission catalogue (no budget of its own).
    const measured = await visit(context, path, async (page) => {
      await page.locator("#permission-search").fill("mail.send");
      await page.locator("#permission-results table").waitFor({ timeout: 30_000 });
    });
    console.log(JSON.stringify({ page: path, visit: "picker's first search", bytes: measured.bytes, files: measured.files }));
  }
  await context.close();
}
await browser.close();
process.exit(check && over ? 1 : 0);
