import { expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

/** WCAG 2.2 AA, as every page is checked. */
export async function expectNoAxeViolations(page: Page) {
  // After a click that navigates, the new page's DOM can be there before its stylesheets apply:
  // axe then measures unstyled targets (the header's links 17 px high; seen once in a loop).
  await page.waitForLoadState("load");
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  expect(results.violations).toEqual([]);
}
