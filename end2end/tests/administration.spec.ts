// Issue 16 in the browser: a clinic administrator reads the dashboard's
// charts, sees who viewed a patient, filters and exports the audit log and
// reads the sign-in log, runs an export and downloads it; a platform administrator announces a new
// subprocessor and sees the public counts, feed and last-reviewed date
// follow. On a phone, accessible, and (for the forms) without JavaScript.
import { expect, test } from "@playwright/test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { expectAccessible, signIn, watchConsole } from "./helpers";

const DEMO_VISIT = "de020000-0000-4000-8000-000000030002";

test("a clinic administrator reads the charts, who viewed a patient, the audit export and the sign-in log", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signIn(page, "director@riverbend.example");
  await expect(page).toHaveURL(/\/clinic$/);

  // The charts: SVG with a table of the same figures, over a chosen range.
  await expect(page.getByRole("heading", { name: "Reports" })).toBeVisible();
  const referrals = page.getByTestId("chart-referrals");
  await expect(referrals.locator("svg[role=img]")).toBeVisible();
  await referrals.getByText("Show the figures as a table").click();
  await expect(referrals.locator("table tbody tr").first()).toBeVisible();
  await expect(page.getByTestId("placement")).toContainText(/placed|No referral/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, "clinic dashboard with charts");
  await page.getByLabel("From").fill("2026-01-01");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/from=2026-01-01/);
  await expect(page.getByLabel("From")).toHaveValue("2026-01-01");

  // A patient's page says who viewed it (this view included).
  await page.goto(`/clinic/visits/${DEMO_VISIT}`);
  await page.getByRole("link", { name: "Patient record" }).click();
  await expect(page).toHaveURL(/\/clinic\/patients\//);
  const history = page.getByTestId("patient-history");
  await expect(history.locator("tbody tr", { hasText: "Patient record viewed" }).first()).toContainText("Renée Okafor");
  await expectAccessible(page, "patient page with its history");
  await page.getByRole("link", { name: "The record's full history in the audit log" }).click();
  await expect(page).toHaveURL(/\/clinic\/audit\?subject=patient/);
  await expect(page.getByLabel("About")).toHaveValue(/^patient /);
  const rows = page.getByTestId("audit-events").locator("tbody tr");
  await expect(rows.first()).toContainText("Patient record viewed");

  // Narrowed to one action, exported: the file's digest is in its header.
  await page.getByLabel("What").selectOption("patient.viewed");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=patient.viewed/);
  const shown = await rows.count();
  expect(shown).toBeGreaterThan(0);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
  const csv = readFileSync((await download.path())!, "utf8");
  const lines = csv.trim().split("\r\n");
  expect(lines[0]).toBe("seq,occurred_at,actor,action,subject,ip,details");
  expect(lines.length - 1).toBe(shown);
  const res = await page.request.get(await page.getByTestId("export-csv").getAttribute("href") ?? "");
  const body = await res.body();
  expect(res.headers()["x-content-sha256"]).toBe(createHash("sha256").update(body).digest("hex"));
  await expectAccessible(page, "filtered audit log");

  // The sign-in log: this session's own sign-in is there.
  await page.goto("/clinic/sign-ins");
  await expect(page.getByTestId("sign-ins").locator("tr", { hasText: "director@riverbend.example" }).first()).toContainText("Signed in");
  await expectAccessible(page, "sign-in log");
  expect(problems).toEqual([]);
  await context.close();
});

test("a clinic administrator runs an export, watches it finish and downloads its files", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signIn(page, "director@riverbend.example");
  await page.getByRole("link", { name: "Exports" }).first().click();
  await expect(page).toHaveURL(/\/clinic\/exports$/);
  await expectAccessible(page, "export centre");

  // Nothing chosen: refused, named beside the choices.
  await page.getByRole("button", { name: "Start the export" }).click();
  await expect(page.getByText("Choose at least one kind of data.").first()).toBeVisible();

  await page.getByLabel("Patients (with their details)").check();
  await page.getByLabel("Referrals").check();
  await page.getByLabel("CSV (spreadsheets)").check();
  await page.getByRole("button", { name: "Start the export" }).click();
  await expect(page.getByTestId("export-requested")).toBeVisible();
  // The page follows the job (it reloads itself while one is written).
  const newest = page.getByTestId("export").first();
  await expect(newest).toHaveAttribute("data-state", "ready", { timeout: 30_000 });
  await expect(newest.getByTestId("export-progress")).toHaveText("Ready to download");
  const rows = newest.getByTestId("export-files").locator("tbody tr");
  await expect(rows).toHaveCount(2);
  await expectAccessible(page, "export centre with a finished export");

  // The file downloaded is the one the manifest describes.
  const [download] = await Promise.all([page.waitForEvent("download"), rows.first().getByRole("link").click()]);
  const body = readFileSync((await download.path())!);
  const listed = (await rows.first().locator("code").textContent())?.trim();
  expect(createHash("sha256").update(body).digest("hex")).toBe(listed);
  expect(body.toString("utf8").split("\r\n")[0]).toMatch(/^id,initials,zip,created_at,full_name/);
  const manifest = await page.request.get(await newest.getByTestId("manifest-link").getAttribute("href") ?? "");
  expect(manifest.status()).toBe(200);
  const parsed = await manifest.json();
  expect(parsed.files.map((f: { name: string }) => f.name)).toEqual(["patients.csv", "referrals.csv"]);
  expect(parsed.files[0].sha256).toBe(listed);
  // The empty request answered 422, as it should.
  expect(problems.filter((p) => !p.includes("status of 422"))).toEqual([]);
  await context.close();
});

test("a clinic administrator keeps the clinic's settings: profile, service area and webhooks with no key typed", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signIn(page, "director@riverbend.example");
  await page.goto("/clinic/settings");
  await expect(page.getByRole("heading", { name: "Clinic profile" })).toBeVisible();
  await expectAccessible(page, "clinic settings");

  // A bad phone and an unknown ZIP are named; what was typed stays.
  await page.getByLabel("Phone").fill("555-01");
  await page.getByLabel("ZIP codes you take patients in").fill("43215 99999");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator("#phone-error")).toContainText("ten-digit");
  await expect(page.locator("#service_zips-error")).toContainText("99999");
  await expect(page.getByLabel("ZIP codes you take patients in")).toHaveValue("43215 99999");
  await page.getByLabel("Phone").fill("(614) 555-0100");
  await page.getByLabel("ZIP codes you take patients in").fill("");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByTestId("settings-saved")).toBeVisible();
  await expect(page.getByLabel("Phone")).toHaveValue("(614) 555-0100");
  await expect(page.getByTestId("service-area")).toContainText("No limit");

  // Webhooks through the session: register, ping, read the log.
  const url = `http://127.0.0.1:9/settings-${Date.now()}`;
  await page.getByLabel("Endpoint URL").fill(url);
  await page.getByRole("button", { name: "Register endpoint" }).click();
  await expect(page.getByTestId("webhook-secret")).toContainText("whsec_");
  await page.goto("/clinic/settings");
  const endpoint = page.getByTestId("endpoint").filter({ hasText: url });
  await expect(endpoint).toBeVisible();
  await endpoint.getByRole("button", { name: "Send ping" }).click();
  await page.goto("/clinic/settings");
  await expect(page.getByTestId("endpoint").filter({ hasText: url }).getByTestId("deliveries").locator("tbody tr").first()).toContainText("ping");
  await expectAccessible(page, "clinic settings with an endpoint");
  // The register form's 422 is the one expected console message.
  expect(problems.filter((p) => !p.includes("status of 422"))).toEqual([]);
  await context.close();
});

test("a platform administrator announces a subprocessor and the public portal follows", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto("/trust");
  const before = Number(await page.getByTestId("count-subprocessors").textContent());
  const phiBefore = Number(await page.getByTestId("count-phi").textContent());

  await signIn(page, "admin@carethread.example");
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole("link", { name: "Trust portal content" }).click();
  await expect(page).toHaveURL(/\/admin\/trust$/);
  await expectAccessible(page, "trust editing list");
  await page.getByRole("link", { name: "Add a subprocessor" }).click();
  const vendor = `Courier Fax ${Date.now()}`;
  await page.getByLabel("Vendor").fill(vendor);
  await page.getByLabel("Purpose").fill("Faxing referral packets");
  await page.getByLabel("Region").fill("US");
  await page.getByLabel("A BAA is signed").check();
  await page.getByLabel("May receive PHI").check();
  // Too little notice: refused beside the field, nothing typed is lost.
  const soon = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("Starts on").fill(soon);
  await page.getByRole("button", { name: "Save and announce" }).click();
  await expect(page.locator("#starts_on-error")).toContainText("30 days ahead");
  await expect(page.getByLabel("Vendor")).toHaveValue(vendor);
  await expectAccessible(page, "subprocessor form with an error");
  const later = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("Starts on").fill(later);
  await page.getByRole("button", { name: "Save and announce" }).click();
  await expect(page.getByTestId("trust-saved")).toBeVisible();
  await expect(page.getByTestId("admin-subprocessors")).toContainText(vendor);
  await expect(page.getByTestId("admin-changes").locator("li").first()).toContainText(`New subprocessor ${vendor}`);

  // The public page: the counts, the last-reviewed date, the start day.
  await page.goto("/trust");
  await expect(page.getByTestId("count-subprocessors")).toHaveText(String(before + 1));
  await expect(page.getByTestId("count-phi")).toHaveText(String(phiBefore + 1));
  const today = new Date().toISOString().slice(0, 10);
  await expect(page.getByTestId("last-reviewed")).toHaveAttribute("datetime", today);
  await expect(page.locator("tr", { hasText: vendor })).toContainText("Starts");
  await expect(page.getByTestId("trust-changes").locator("li").first()).toContainText(vendor);
  const feed = await (await page.request.get("/trust/feed.atom")).text();
  expect(feed).toContain(`subprocessor added: ${vendor}`);

  // Removed again (so reruns start from the same table); the feed says so.
  await page.goto("/admin/trust");
  await page.getByRole("button", { name: `Remove ${vendor}` }).click();
  await expect(page.getByTestId("trust-saved")).toContainText("Removed");
  await page.goto("/trust");
  await expect(page.getByTestId("count-subprocessors")).toHaveText(String(before));
  // The refused save answered 422, as it should.
  expect(problems.filter((p) => !p.includes("status of 422"))).toEqual([]);
  await context.close();
});

test("the editing page and the exports are not for other roles", async ({ page }) => {
  await signIn(page, "intake@riverbend.example");
  await expect(page).toHaveURL(/\/clinic$/);
  expect((await page.goto("/admin/trust"))?.status()).toBe(403);
  expect((await page.request.get("/audit/export?format=csv")).status()).toBe(403);
  expect((await page.goto("/clinic/sign-ins"))?.status()).toBe(403);
});

test("a clinic administrator sets retention, sees a hold and carries out a deletion with its certificate", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signIn(page, "director@riverbend.example");
  await expect(page).toHaveURL(/\/clinic$/);
  await page.goto("/clinic/data");
  await expect(page.getByRole("heading", { name: "Data rights", level: 1 })).toBeVisible();
  // The demo's hold, and retention never below the legal minimum.
  await expect(page.getByTestId("holds")).toContainText("pending payer audit");
  const docs = page.locator('[data-category="clinical_documents"]');
  await docs.getByLabel(/Keep clinical documents/).fill("30");
  await docs.getByRole("button", { name: "Save" }).click();
  await expect(page.locator('[data-category="clinical_documents"] .field__error')).toContainText("legal minimum");
  const comms = page.locator('[data-category="patient_communication"]');
  await comms.getByLabel(/Keep patient communication/).fill("180");
  await comms.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("data-saved")).toBeVisible();
  await expect(page.locator('[data-category="patient_communication"]')).toContainText("in force here: 180 days");
  await expectAccessible(page, "data rights");

  // The demo's pending request: carried out now, with its certificate.
  const pending = page.getByTestId("deletion-requests").locator("tr", { hasText: "Pending" }).first();
  await pending.getByRole("link", { name: "Open" }).click();
  await expect(page.getByTestId("deletion-state")).toHaveText("Pending");
  await page.getByRole("button", { name: "Carry it out now" }).click();
  await expect(page.getByTestId("deletion-state")).toHaveText("Completed");
  await expect(page.getByTestId("patient-record")).toContainText("removed");
  await expect(page.getByTestId("certificate").locator("tbody tr")).toHaveCount(4);
  const digest = (await page.getByTestId("certificate-sha256").textContent())!.trim();
  expect(digest).toMatch(/^[0-9a-f]{64}$/);
  const res = await page.request.get((await page.getByTestId("certificate-json").getAttribute("href"))!);
  const body = await res.body();
  expect(createHash("sha256").update(body).digest("hex")).toBe(digest);
  const [pdf] = await Promise.all([page.waitForEvent("download"), page.getByTestId("certificate-pdf").click()]);
  expect(readFileSync((await pdf.path())!).subarray(0, 5).toString()).toBe("%PDF-");
  await expectAccessible(page, "certificate of destruction");

  // The tombstone is in the audit log, and the chain still verifies.
  await page.goto("/clinic/audit?action=data.erased");
  await expect(page.getByTestId("audit-events").locator("tbody tr").first()).toContainText("certificate of destruction issued");
  await page.getByRole("button", { name: "Verify the chain" }).click();
  await expect(page.getByTestId("chain-status")).toContainText("intact");
  expect(problems.filter((p) => !p.includes("status of 422"))).toEqual([]);
  await context.close();
});

test("the public trust page shows the retention table the purge uses", async ({ page }) => {
  await page.goto("/trust");
  const table = page.getByTestId("retention-categories");
  await expect(table.locator("tr", { hasText: "Clinical documents" })).toContainText("7 years");
  await expect(table.locator("tr", { hasText: "Clinical documents" })).toContainText("6 years");
  await expect(table.locator("tr", { hasText: "Audit and security events" })).toContainText("never purged");
});
