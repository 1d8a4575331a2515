// The public trust portal: computed figures, the hydrated subprocessor
// filter, the vendor-packet form's errors and success, and accessibility.
import { expect, test } from "@playwright/test";
import { expectAccessible, hydrated, watchConsole } from "./helpers";

test("shows certifications, subprocessors and counts computed from the table", async ({ page, request }) => {
  const problems = watchConsole(page);
  await page.goto("/trust");
  await expect(page.getByRole("heading", { level: 1, name: "Trust portal" })).toBeVisible();

  const rows = page.locator(".subprocessors table tbody tr");
  const total = await rows.count();
  const phi = await page.locator('.subprocessors table tbody tr[data-phi="true"]').count();
  expect(total).toBeGreaterThan(0);
  await expect(page.getByTestId("count-subprocessors")).toHaveText(String(total));
  await expect(page.getByTestId("count-phi")).toHaveText(String(phi));

  const json = await (await request.get("/trust.json")).json();
  const baas = json.subprocessors.filter((s: { baa_signed: boolean }) => s.baa_signed).length;
  await expect(page.getByTestId("count-baas")).toHaveText(String(baas));
  expect(json.counts).toEqual({ subprocessors: total, baas_signed: baas, phi_touching: phi });

  await expect(page.getByTestId("last-reviewed")).toHaveAttribute("datetime", json.last_reviewed);
  await expect(page.getByTestId("uptime")).toHaveText(/%|No data yet/);
  for (const status of ["Operational", "Audit engaged", "Scheduled", "Planned"]) {
    await expect(page.locator(".card__status .badge", { hasText: status }).first()).toBeVisible();
  }
  await expect(page.getByRole("link", { name: "Trust", exact: true })).toHaveAttribute("aria-current", "page");

  await hydrated(page);
  expect(problems, "console errors or CSP violations").toEqual([]);
});

test("the subprocessor filter works (in CSS: no script needed)", async ({ page }) => {
  await page.goto("/trust");
  const rows = page.locator(".subprocessors table tbody tr:visible");
  const total = await rows.count();
  const phi = await page.locator('.subprocessors table tbody tr[data-phi="true"]').count();
  expect(phi).toBeLessThan(total);
  const count = page.getByTestId("subprocessor-count");
  await expect(count).toHaveText(`Showing ${total} of ${total} vendors`, { useInnerText: true });

  await page.getByLabel("Show only vendors that touch PHI").check();
  await expect(rows).toHaveCount(phi);
  await expect(page.locator('.subprocessors table tbody tr[data-phi="false"]:visible')).toHaveCount(0);
  await expect(count).toHaveText(`Showing ${phi} of ${total} vendors`, { useInnerText: true });

  await page.getByLabel("Show only vendors that touch PHI").uncheck();
  await expect(rows).toHaveCount(total);
});

test("the vendor-packet form shows inline errors, keeps input, then succeeds", async ({ page }) => {
  await page.goto("/trust#vendor-packet");
  await hydrated(page);
  const form = page.locator("#vendor-packet");

  // Nothing filled in: every required field is named.
  await form.getByRole("button", { name: "Request the packet" }).click();
  const summary = form.getByRole("alert");
  await expect(summary).toContainText("Please correct the highlighted fields");
  await expect(summary).toContainText("Your name is required.");
  await expect(summary).toContainText("Enter an email address.");
  await expect(summary).toContainText("Choose what you would like us to send.");
  await expect(form.locator("#name")).toHaveAttribute("aria-invalid", "true");
  await expect(form.locator("#name")).toHaveAttribute("aria-describedby", "name-error");
  await expectAccessible(page, "/trust with form errors");

  // Fix some, break the email: only the email is still wrong, and what was
  // typed is still there.
  await form.getByLabel("Your name").fill("Dana Ortiz");
  await form.getByLabel("Work email").fill("dana@mercy");
  await form.getByLabel("Organization").fill("Mercy Regional Medical Center");
  await form.getByLabel("What should we send?").selectOption("sample_baa");
  await form.getByRole("button", { name: "Request the packet" }).click();
  await expect(form.locator("#email-error")).toContainText("name@example.org");
  await expect(form.locator("#name-error")).toHaveCount(0);
  await expect(form.getByLabel("Your name")).toHaveValue("Dana Ortiz");
  await expect(form.getByLabel("Organization")).toHaveValue("Mercy Regional Medical Center");

  await form.getByLabel("Work email").fill("dana.ortiz@mercy.example.org");
  await form.getByRole("button", { name: "Request the packet" }).click();
  const receipt = form.getByRole("status");
  await expect(receipt).toContainText("Request received");
  await expect(receipt).toContainText("dana.ortiz@mercy.example.org");
  await expect(form.getByTestId("packet-reference")).toHaveText(/^VP-[0-9A-F]{8}$/);
});

test("the trust page has no accessibility violations", async ({ page }) => {
  await page.goto("/trust");
  await hydrated(page);
  await expectAccessible(page, "/trust");
});

test("the home and not-found pages have no accessibility violations", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await expectAccessible(page, "/");
  const res = await page.goto("/no-such-page");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expectAccessible(page, "404");
});

test("the trust page fits a phone screen without sideways scrolling", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto("/trust");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await context.close();
});
