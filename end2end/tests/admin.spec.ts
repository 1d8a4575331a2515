// The platform administrator's pages that issue 11 added: the background
// jobs at /admin/jobs (on a phone, accessible), and nobody else's to see.
import { expect, test } from "@playwright/test";
import { expectAccessible, hydrated, latestMail, signIn, watchConsole } from "./helpers";

test("the platform administrator sees the background jobs on a phone", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signIn(page, "admin@carethread.example");
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole("link", { name: "Background jobs" }).click();
  await expect(page).toHaveURL(/\/admin\/jobs$/);
  await expect(page.getByRole("heading", { name: "Background jobs" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Dead jobs" })).toBeVisible();
  await expect(page.getByTestId("dead-total")).toHaveText(/^\d+$/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, "background jobs");
  // The demo's dead job: retried, it is sent to the development mailbox.
  await hydrated(page);
  const dead = page.getByTestId("dead-jobs").locator("tr", { hasText: "mail.deliver" });
  await dead.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByTestId("dead-total")).toHaveText("0");
  await latestMail(page, "family@carethread.example", "Welcome to Carethread (demo)");
  expect(problems).toEqual([]);
  await context.close();
});

test("the background jobs are not a clinic's to see", async ({ page }) => {
  await signIn(page, "director@riverbend.example");
  await expect(page).toHaveURL(/\/clinic$/);
  const res = await page.goto("/admin/jobs");
  expect(res?.status()).toBe(403);
  await expect(page.getByTestId("forbidden")).toBeVisible();
});
