// The discharge-referral journey (SPEC J1) in the browser: a discharge
// planner sends a referral (bad input first: errors, nothing saved), sees
// the ranked matches; clinic staff find it in their inbox, accept it and
// assign a clinician; the planner sees the new status.
import { expect, test } from "@playwright/test";
import { expectAccessible, hydrated, signIn, watchConsole } from "./helpers";

/** The demo clinic (server/src/demo/mod.rs). */
const RIVERBEND = "de000000-0000-4000-8000-000000000101";

function inDays(n: number): string {
  const d = new Date(Date.now() + n * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test("a referral goes from the planner to the clinic's inbox and back", async ({ page, browser }) => {
  // Two people and a wait for the page's own refresh.
  test.slow();
  const problems = watchConsole(page);
  await signIn(page, "planner@mercy.example");
  await expect(page).toHaveURL(/\/referrer$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your referrals" })).toBeVisible();

  await page.getByRole("link", { name: "New referral" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "New discharge referral" })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page, "/referrer/referrals/new");

  // Bad input: every problem named, what was typed kept, nothing sent.
  await page.getByLabel("Initials").fill("John Doe");
  await page.getByLabel("ZIP code of the home").fill("4321");
  await page.getByRole("button", { name: "Send the referral" }).click();
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("Please correct the highlighted fields");
  await expect(summary).toContainText("two or three letters");
  await expect(summary).toContainText("five-digit US ZIP code");
  await expect(summary).toContainText("Choose the primary diagnosis");
  await expect(summary).toContainText("Choose the type of care needed");
  await expect(page.getByLabel("Initials")).toHaveValue("John Doe");
  await expectAccessible(page, "new referral with errors");

  // A good referral: the ZIP says where it is, the diagnosis is suggested.
  await page.getByLabel("Initials").fill("J.D.");
  await page.getByLabel("ZIP code of the home").fill("43215");
  await expect(page.locator("#zip-status")).toHaveText("Columbus, OH");
  await page.getByLabel("Primary diagnosis").fill("heart failure");
  const option = page.locator('#diagnosis-options option[value^="I50.9 "]');
  await expect(option).toHaveCount(1);
  await page.getByLabel("Primary diagnosis").fill((await option.getAttribute("value"))!);
  await page.getByLabel("Type of care").selectOption("skilled_nursing");
  await page.getByLabel("Priority").selectOption("priority");
  await page.getByLabel("Requested start").fill(inDays(2));
  await page.getByRole("button", { name: "Send the referral" }).click();

  await expect(page).toHaveURL(/\/referrer\/referrals\/[0-9a-f-]{36}$/);
  const heading = page.getByRole("heading", { level: 1, name: /^Referral R-[0-9A-F]{8}$/ });
  await expect(heading).toBeVisible();
  const reference = (await heading.textContent())!.replace("Referral ", "");
  const url = page.url();
  await expect(page.getByTestId("referral-status")).toHaveText("Matched");
  await expect(page.getByText("Sent to Riverbend Home Health")).toBeVisible();
  const matches = page.getByTestId("matches").locator("li");
  expect(await matches.count()).toBeGreaterThan(0);
  await expect(matches.first()).toContainText("Heart failure");
  await expect(matches.first()).toContainText(" mi, ");
  await expect(page.getByTestId("timeline")).toContainText("Received");
  await expectAccessible(page, "referral page (referrer)");

  // The clinic's side.
  const clinic = await browser.newContext();
  const staff = await clinic.newPage();
  await signIn(staff, "intake@riverbend.example");
  await expect(staff).toHaveURL(/\/clinic$/);
  await staff.getByRole("link", { name: "Referral inbox" }).first().click();
  await expect(staff.getByRole("heading", { level: 1, name: "Referral inbox" })).toBeVisible();
  await expectAccessible(staff, "/clinic/inbox");
  await staff.getByRole("link", { name: reference }).click();
  await expect(staff.getByRole("heading", { level: 1, name: `Referral ${reference}` })).toBeVisible();
  await hydrated(staff);
  await expect(staff.getByText("From Mercy General Hospital · Discharge Planning")).toBeVisible();
  await expectAccessible(staff, "referral page (clinic)");
  await staff.getByRole("button", { name: "Accept" }).click();
  await expect(staff.getByTestId("referral-status")).toHaveText("Accepted");
  await staff.locator("#clinician_id").selectOption({ label: "Luis Moreno, RN · Registered nurse (RN)" });
  await staff.getByRole("button", { name: "Assign" }).click();
  await expect(staff.getByTestId("assigned")).toHaveText("Luis Moreno, RN");
  await clinic.close();

  // Back on the planner's page, the status updates by itself (the page's
  // LiveRefresh island asks for it again while nothing is in hand).
  // The period is 15 s from hydration, and each refresh reloads and
  // hydrates the page again: a slow machine needs more than one period.
  await expect(page.getByTestId("referral-status")).toHaveText("Accepted", { timeout: 45_000 });
  await page.goto("/referrer");
  // Listed once (the list shows the newest 25, so no count of all rows).
  await expect(page.getByRole("row", { name: new RegExp(reference) })).toHaveCount(1);
  await expect(page.getByRole("row", { name: new RegExp(reference) })).toContainText("Accepted");
  expect(url).toContain("/referrer/referrals/");
  // The one expected: the browser logs the 422 of the rejected first try.
  const unexpected = problems.filter((p) => !p.includes("status of 422"));
  expect(unexpected, "console errors").toEqual([]);
});

test("a clinic never sees another clinic's referrals", async ({ page }) => {
  await signIn(page, "director@lakeside.example");
  await expect(page).toHaveURL(/\/clinic$/);
  await page.goto("/clinic/inbox");
  await expect(page.getByRole("heading", { level: 1, name: "Referral inbox" })).toBeVisible();
  await expect(page.getByText("Sent to Riverbend")).toHaveCount(0);
  // Riverbend's referrals are not in Lakeside's inbox.
  const rows = page.getByTestId("referrals").locator("tbody tr");
  for (const text of await rows.allTextContents()) {
    expect(text).not.toContain("Riverbend");
  }
});

test("clinicians see their verification, platform administrators verify", async ({ page }) => {
  await signIn(page, "nurse@carethread.example");
  await expect(page).toHaveURL(/\/clinician$/);
  await page.goto("/clinician/profile");
  await expect(page.getByTestId("verification")).toHaveText("Verified");
  await expect(page.getByTestId("licenses")).toContainText("OH license RN.417733");
  await expect(page.getByLabel("NPI")).not.toHaveValue("");
  await expectAccessible(page, "/clinician/profile");

  await page.context().clearCookies();
  await signIn(page, "admin@carethread.example");
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto("/admin/clinicians");
  await expect(page.getByRole("heading", { level: 1, name: "Clinician verification" })).toBeVisible();
  const waiting = page.locator('tr[data-status="pending"]').first();
  await expect(waiting).toBeVisible();
  await hydrated(page);
  const name = (await waiting.locator("th").textContent())!;
  // Exact: each license in the row has its own "Verify OH license" button.
  await waiting.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.locator('tr[data-status="verified"]', { hasText: name }).first()).toBeVisible();
  await expectAccessible(page, "/admin/clinicians");
});

test("a referral's page refreshes itself, but never while the planner is in the middle of something", async ({
  page,
  browser,
}) => {
  test.setTimeout(150_000);
  const key = process.env.E2E_MERCY_KEY ?? "";
  expect(key, "E2E_MERCY_KEY: a live key for the demo hospital").toMatch(/^ct_live_/);
  const created = await page.request.post("/api/v1/discharge-referrals", {
    headers: { Authorization: `Bearer ${key}` },
    data: {
      patient: { initials: "LR", birth_year: 1950 },
      zip: "43215",
      primary_diagnosis: "I50.9",
      care_type: "skilled_nursing",
      priority: "routine",
      clinic_id: RIVERBEND,
    },
  });
  expect(created.status()).toBe(201);
  const id: string = (await created.json()).data.id;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);

  await signIn(page, "planner@mercy.example");
  await expect(page).toHaveURL(/\/referrer$/);
  await page.goto(`/referrer/referrals/${id}`);
  await hydrated(page);
  await expect(page.getByTestId("referral-status")).toHaveText("Matched");
  // The planner opens the cancel form: something in hand.
  await page.locator("summary", { hasText: "Cancel this referral" }).click();

  // The clinic accepts meanwhile.
  const clinic = await browser.newContext();
  const staff = await clinic.newPage();
  await signIn(staff, "intake@riverbend.example");
  await expect(staff).toHaveURL(/\/clinic$/);
  const res = await staff.request.post("/rpc/referrals/step", { form: { id, action: "accept" } });
  expect(res.status()).toBe(200);
  await clinic.close();

  // More than one refresh period passes: the page stays as it was.
  await page.waitForTimeout(17_000);
  await expect(page.getByTestId("referral-status")).toHaveText("Matched");
  await expect(page.locator("details[open]")).toHaveCount(1);

  // Put down, it catches up by itself.
  await page.locator("summary", { hasText: "Cancel this referral" }).click();
  await expect(page.getByTestId("referral-status")).toHaveText("Accepted", { timeout: 45_000 });
});
