// The journeys again with JavaScript switched off (issue 12): every form is
// a plain post the server answers with the page again (the errors beside
// the fields, what was typed still there) or with the result. Sign-in, a
// new referral through triage at the clinic, registration, and the
// vendor-packet request on the trust page.
import { expect, test, type Page } from "@playwright/test";
import { DEMO_PASSWORD, freshEmail, latestMail } from "./helpers";

test.use({ javaScriptEnabled: false });

function inDays(n: number): string {
  const d = new Date(Date.now() + n * 86_400_000);
  return d.toISOString().slice(0, 10);
}

async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("Email address").fill(email);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("no script runs: the page has no wasm instance and no islands hydrate", async ({ page }) => {
  await page.goto("/trust");
  await expect(page.locator("html")).not.toHaveAttribute("data-hydrated", "true");
  // The subprocessor filter is the stylesheet's: it works without script.
  const total = await page.getByTestId("subprocessor-count").innerText();
  const rows = page.locator("tbody tr:visible");
  const all = await rows.count();
  await page.getByLabel("Show only vendors that touch PHI").check();
  await expect(page.getByTestId("subprocessor-count")).not.toHaveText(total, { useInnerText: true });
  expect(await rows.count()).toBeLessThan(all);
  await expect(page.locator('tbody tr[data-phi="false"]').first()).toBeHidden();
});

test("sign-in without JavaScript: the error, what was typed, then the dashboard", async ({ page }) => {
  await signIn(page, "director@riverbend.example", "not the right password");
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("Sign-in failed");
  await expect(alert).toContainText("The email address or password is incorrect.");
  await expect(page.getByLabel("Email address")).toHaveValue("director@riverbend.example");
  // A password is never written back into a page.
  await expect(page.locator("#password")).toHaveValue("");
  // The answer is the page itself, at its own address.
  expect(new URL(page.url()).pathname).toBe("/login");

  // Signing in from the page that answered the failed attempt.
  await page.getByLabel("Email address").fill("director@riverbend.example");
  await page.locator("#password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clinic$/);
  await expect(page.getByRole("navigation", { name: "Primary" })).toContainText("Referral inbox");
});

test("registration without JavaScript", async ({ page }) => {
  await page.goto("/register");
  await page.getByRole("button", { name: "Create account" }).click();
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("Please correct the highlighted fields");
  await expect(summary).toContainText("Your name is required.");

  await page.getByLabel("Arranging care for a family member").check();
  await page.getByLabel("Your name").fill("No Script Family");
  const email = freshEmail("nojs");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText("Use at least 12 characters");
  // Everything but the password is still there, the role too.
  await expect(page.getByLabel("Your name")).toHaveValue("No Script Family");
  await expect(page.getByLabel("Email address")).toHaveValue(email);
  await expect(page.getByLabel("Arranging care for a family member")).toBeChecked();

  await page.getByLabel("Password").fill("a few unrelated words here");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("registered")).toContainText(email);
  const welcome = await latestMail(page, email, "Your Carethread account is ready");
  expect(welcome.text).toContain("/login");
});

test("a referral from the planner to the clinic and back, without JavaScript", async ({ page, browser }) => {
  await signIn(page, "planner@mercy.example");
  await expect(page).toHaveURL(/\/referrer$/);
  await page.getByRole("link", { name: "New referral" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "New discharge referral" })).toBeVisible();

  // Bad input: every problem named, what was typed kept, nothing sent.
  await page.getByLabel("Initials").fill("John Doe");
  await page.getByLabel("ZIP code of the home").fill("4321");
  await page.getByLabel("Notes for the clinic (optional)").fill("Daily weights.");
  await page.getByRole("button", { name: "Send the referral" }).click();
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("Please correct the highlighted fields");
  await expect(summary).toContainText("two or three letters");
  await expect(summary).toContainText("five-digit US ZIP code");
  await expect(summary).toContainText("Choose the primary diagnosis");
  await expect(page.getByLabel("Initials")).toHaveValue("John Doe");
  await expect(page.getByLabel("ZIP code of the home")).toHaveValue("4321");
  await expect(page.getByLabel("Notes for the clinic (optional)")).toHaveValue("Daily weights.");

  // Without suggestions the code is typed; the server resolves it.
  await page.getByLabel("Initials").fill("J.D.");
  await page.getByLabel("ZIP code of the home").fill("43215");
  await page.getByLabel("Primary diagnosis").fill("I50.9");
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

  // The clinic accepts and assigns, without JavaScript either.
  const clinic = await browser.newContext({ javaScriptEnabled: false });
  const staff = await clinic.newPage();
  await signIn(staff, "intake@riverbend.example");
  await expect(staff).toHaveURL(/\/clinic$/);
  await staff.goto("/clinic/inbox?status=matched");
  await staff.getByRole("link", { name: reference }).click();
  await staff.getByRole("button", { name: "Accept" }).click();
  await expect(staff.getByTestId("referral-status")).toHaveText("Accepted");
  await staff.locator("#clinician_id").selectOption({ label: "Luis Moreno, RN · Registered nurse (RN)" });
  await staff.getByRole("button", { name: "Assign" }).click();
  await expect(staff.getByTestId("assigned")).toHaveText("Luis Moreno, RN");
  await clinic.close();

  await page.goto(url);
  await expect(page.getByTestId("referral-status")).toHaveText("Accepted");
});

test("the vendor-packet form without JavaScript: errors, kept input, then the receipt", async ({ page }) => {
  await page.goto("/trust#vendor-packet");
  const form = page.locator("#vendor-packet");

  await form.getByRole("button", { name: "Request the packet" }).click();
  const summary = page.locator("#vendor-packet").getByRole("alert");
  await expect(summary).toContainText("Please correct the highlighted fields");
  await expect(summary).toContainText("Your name is required.");
  await expect(summary).toContainText("Choose what you would like us to send.");

  await form.getByLabel("Your name").fill("Dana Ortiz");
  await form.getByLabel("Work email").fill("dana@mercy");
  await form.getByLabel("Organization").fill("Mercy Regional Medical Center");
  await form.getByLabel("What should we send?").selectOption("sample_baa");
  await form.getByRole("button", { name: "Request the packet" }).click();
  await expect(form.locator("#email-error")).toContainText("name@example.org");
  await expect(form.locator("#name-error")).toHaveCount(0);
  await expect(form.getByLabel("Your name")).toHaveValue("Dana Ortiz");
  await expect(form.getByLabel("Organization")).toHaveValue("Mercy Regional Medical Center");
  await expect(form.getByLabel("What should we send?")).toHaveValue("sample_baa");
  expect(new URL(page.url()).pathname).toBe("/trust");

  await form.getByLabel("Work email").fill("dana.ortiz@mercy.example.org");
  await form.getByRole("button", { name: "Request the packet" }).click();
  const receipt = form.getByRole("status");
  await expect(receipt).toContainText("Request received");
  await expect(receipt).toContainText("dana.ortiz@mercy.example.org");
  await expect(form.getByTestId("packet-reference")).toHaveText(/^VP-[0-9A-F]{8}$/);
});

test("the developer console without JavaScript: use a key, try a request, forget the key", async ({ page }) => {
  const key = process.env.E2E_MERCY_KEY;
  test.skip(!key, "needs the live key scripts/test.sh makes");
  await page.goto("/developers");
  await page.locator("#key").fill("ct_live_not_a_real_key");
  await page.getByRole("button", { name: "Use this key" }).click();
  await expect(page.locator("#key-error")).toContainText("not valid");

  await page.locator("#key").fill(key!);
  await page.getByRole("button", { name: "Use this key" }).click();
  await expect(page.getByTestId("key-in-use")).toContainText("Using ct_live_");
  expect(await page.content()).not.toContain(key!);
  await page.getByRole("link", { name: "Look up a ZIP" }).click();
  await expect(page.locator("#path")).toHaveValue("/api/v1/geo/zip/43215");
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(page.getByTestId("try-status")).toHaveText("200 OK");
  await expect(page.getByTestId("try-body")).toContainText("Columbus");
  // The request that was sent stays in the form, to change and send again.
  await expect(page.locator("#path")).toHaveValue("/api/v1/geo/zip/43215");

  await page.getByRole("button", { name: "Forget this key" }).click();
  await expect(page.getByTestId("key-in-use")).toHaveText("");
  await expect(page.getByRole("button", { name: "Send request" })).toBeDisabled();
});

test("a first visit without JavaScript: scheduled, accepted, checked in and out, signed, countersigned", async ({ page, browser }) => {
  // The planner's referral, with its packet (the form itself is proven
  // without a script above).
  await signIn(page, "planner@mercy.example");
  await expect(page).toHaveURL(/\/referrer$/);
  const sent = await page.request.post("/rpc/referrals/create", {
    form: {
      patient_initials: "NS",
      patient_birth_year: "1948",
      zip: "43215",
      diagnosis: "I50.9 Heart failure, unspecified",
      care_type: "skilled_nursing",
      priority: "routine",
      requested_start: inDays(3),
      clinic_id: "de000000-0000-4000-8000-000000000101",
      packet_full_name: "Nora Sims",
      packet_birth_date: "1948-02-11",
      packet_address: "7 Quiet Court",
      packet_phone: "(614) 555-0190",
      packet_payer: "medicare",
      packet_member_id: "2FH5UF6NL00",
      packet_emergency_name: "Ben Sims",
      packet_emergency_phone: "(614) 555-0191",
    },
  });
  expect(sent.status()).toBe(200);
  const referral: string = await sent.json();

  // Riverbend's staff accept it and schedule the visit: a plain form.
  const clinic = await browser.newContext({ javaScriptEnabled: false });
  const staff = await clinic.newPage();
  await signIn(staff, "intake@riverbend.example");
  await expect(staff).toHaveURL(/\/clinic$/);
  await staff.goto(`/clinic/inbox/${referral}`);
  await staff.getByRole("button", { name: "Accept", exact: true }).click();
  await expect(staff.getByTestId("referral-status")).toHaveText("Accepted");
  await expect(staff.getByTestId("packet")).toContainText("7 Quiet Court");
  const nurseOption = staff.locator("#schedule-clinician option", { hasText: "Luis Moreno" });
  await staff.locator("#schedule-clinician").selectOption((await nurseOption.getAttribute("value"))!);
  await staff.getByLabel(/^Date/).fill(inDays(4));
  await staff.getByLabel(/^Starts \(UTC\)/).fill("04:00");
  // Bad input first: the error beside the field, the rest kept.
  await staff.getByLabel(/^Ends \(UTC\)/).fill("03:30");
  await staff.getByRole("button", { name: "Schedule", exact: true }).click();
  await expect(staff.getByRole("alert")).toBeVisible();
  await expect(staff.locator("#end-error")).not.toBeEmpty();
  await expect(staff.getByLabel(/^Date/)).toHaveValue(inDays(4));
  await expect(staff.getByLabel(/^Starts \(UTC\)/)).toHaveValue("04:00");
  await staff.getByLabel(/^Ends \(UTC\)/).fill("04:45");
  await staff.getByRole("button", { name: "Schedule", exact: true }).click();
  await expect(staff.getByTestId("referral-status")).toHaveText("First visit scheduled");
  await expect(staff.getByTestId("referral-visits")).toContainText("Luis Moreno, RN");

  // The nurse acts for Riverbend, accepts the offer and opens the visit.
  const phone = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 740 } });
  const nurse = await phone.newPage();
  await signIn(nurse, "nurse@carethread.example");
  await expect(nurse).toHaveURL(/\/clinician$/);
  await nurse.goto("/switch");
  await nurse.getByRole("listitem").filter({ hasText: "Riverbend Home Health" }).getByRole("button", { name: "Switch" }).click();
  await expect(nurse).toHaveURL(/\/clinician$/);
  await expect(nurse.getByText("Your day · visits for Riverbend Home Health")).toBeVisible();
  const offer = nurse.getByTestId("offers").getByRole("listitem").filter({ hasText: "7 Quiet Court" });
  await offer.getByRole("button", { name: "Accept", exact: true }).click();
  await expect(nurse).toHaveURL(/\/clinician$/);
  const upcoming = nurse.getByTestId("upcoming").getByRole("listitem").filter({ hasText: "7 Quiet Court" });
  await upcoming.getByRole("link", { name: "Open visit" }).click();
  await expect(nurse.getByTestId("visit-status")).toHaveText("Accepted");
  const visitPath = new URL(nurse.url()).pathname;
  expect(visitPath).toMatch(/^\/clinician\/visits\/[0-9a-f-]{36}$/);

  // Without a script the page cannot read the location: the reason is
  // asked for, and the time is the server's.
  await nurse.getByRole("button", { name: "Check in" }).click();
  await expect(nurse.locator("#in-exception-error")).toContainText("choose why");
  // One control per label: the check-out form's is its own.
  await expect(nurse.locator("#in-exception")).toHaveCount(1);
  await expect(nurse.locator("#out-exception")).toHaveCount(1);
  expect(new URL(nurse.url()).pathname).toBe(visitPath);
  await nurse.locator("#in-exception").selectOption("device_problem");
  await nurse.getByRole("button", { name: "Check in" }).click();
  await expect(nurse.getByTestId("visit-status")).toHaveText("In progress");
  await expect(nurse.getByTestId("checked-in")).toContainText("no location: Device problem");
  await nurse.locator("#out-exception").selectOption("device_problem");
  await nurse.getByRole("button", { name: "Check out" }).click();
  await expect(nurse.getByTestId("checked-out")).toContainText("no location: Device problem");

  // The log: unsigned, the answers come back with the error.
  const tasks = nurse.locator(".task");
  const count = await tasks.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    await tasks.nth(i).getByLabel("Done", { exact: true }).check();
  }
  await nurse.getByLabel(/^Pulse/).fill("70");
  await nurse.getByLabel(/^Notes/).fill("Seen without a script.");
  await nurse.getByRole("button", { name: "Sign the log" }).click();
  await expect(nurse.locator("#clinician_signature-error")).not.toBeEmpty();
  await expect(nurse.getByLabel(/^Pulse/)).toHaveValue("70");
  await expect(nurse.getByLabel(/^Notes/)).toHaveValue("Seen without a script.");
  await expect(tasks.first().getByLabel("Done", { exact: true })).toBeChecked();
  await nurse.getByLabel(/^Your signature/).fill("Luis Moreno");
  await nurse.getByRole("button", { name: "Sign the log" }).click();
  await expect(nurse.getByTestId("signed-log")).toBeVisible();
  await expect(nurse.getByTestId("visit-status")).toHaveText("Completed");
  // A coded reason stands in for the place: the record is complete, and
  // the clinic sees it among the EVV exceptions.
  await expect(nurse.getByTestId("evv")).toHaveText("EVV complete");
  const hash = (await nurse.getByTestId("log-hash").textContent())!.trim();
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
  await phone.close();

  // The clinic sees the exception and the same log, and countersigns it.
  await staff.goto("/clinic/schedule");
  await expect(staff.getByTestId("evv-exceptions").locator(`a[href="${visitPath.replace("/clinician/", "/clinic/")}"]`)).toHaveCount(1);
  await staff.goto(visitPath.replace("/clinician/", "/clinic/"));
  await expect(staff.getByTestId("log-hash")).toHaveText(hash);
  await staff.getByRole("button", { name: "Countersign the log" }).click();
  await expect(staff.getByTestId("countersigned")).toContainText("Countersigned by");
  await clinic.close();

  await page.goto(`/referrer/referrals/${referral}`);
  await expect(page.getByTestId("referral-status")).toHaveText("First visit done");
});

test("a family adds a person without JavaScript", async ({ page }) => {
  await signIn(page, "family@carethread.example");
  await expect(page).toHaveURL(/\/family$/);
  await page.goto("/family/recipients/new");
  await page.getByLabel("Full name").fill("June Lin");
  await page.getByRole("button", { name: "Add this person" }).click();
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("Please correct the highlighted fields");
  await expect(summary).toContainText("Choose at least one kind of care.");
  await expect(page.getByLabel("Full name")).toHaveValue("June Lin");
  await page.getByLabel("Date of birth").fill("1950-01-31");
  await page.getByLabel("Street address").fill("27 Maple Avenue");
  await page.getByLabel("ZIP code").fill("43215");
  await page.getByLabel("Home health aide").check();
  await page.getByRole("button", { name: "Add this person" }).click();
  await expect(page).toHaveURL(/\/family\/recipients\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("recipient-name")).toHaveText("June Lin");
});

test("a clinician's availability without JavaScript: bad hours named, a day off added and removed", async ({ page }) => {
  await signIn(page, "nurse@carethread.example");
  await expect(page).toHaveURL(/\/clinician$/);
  await page.goto("/clinician/availability");
  await page.locator("#weekday").selectOption("2");
  await page.getByLabel(/^From \(UTC\)/).fill("12:00");
  await page.getByLabel(/^Until \(UTC\)/).fill("11:00");
  await page.getByRole("button", { name: "Add these hours" }).click();
  await expect(page.getByRole("alert")).toContainText("Hours end on the day they begin");
  await expect(page.getByLabel(/^From \(UTC\)/)).toHaveValue("12:00");
  const day = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  await page.getByRole("textbox", { name: "Day off" }).fill(day);
  await page.getByRole("button", { name: "Add the day off" }).click();
  await expect(page.getByTestId("days-off")).toContainText(day);
  await page.getByRole("button", { name: `Remove the day off ${day}` }).click();
  await expect(page.getByTestId("days-off")).toHaveCount(0);
});

test("clinic administration without JavaScript: retention refused then saved, the audit filter, an export, a trust edit", async ({ page, browser }) => {
  await signIn(page, "director@riverbend.example");
  await expect(page).toHaveURL(/\/clinic$/);
  await page.goto("/clinic/data");
  const notes = page.locator('[data-category="visit_notes"]');
  await notes.getByLabel(/Keep visit notes/).fill("100");
  await notes.getByRole("button", { name: "Save" }).click();
  await expect(page.locator('[data-category="visit_notes"] .field__error')).toContainText("legal minimum");
  await expect(page.locator('[data-category="visit_notes"] input[name="days"]')).toHaveValue("100");
  await page.locator('[data-category="visit_notes"]').getByLabel(/Keep visit notes/).fill("3000");
  await page.locator('[data-category="visit_notes"]').getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("data-saved")).toBeVisible();
  await expect(page.locator('[data-category="visit_notes"]')).toContainText("in force here: 3000 days");
  // The audit filter is a GET form: the filtered view has an address.
  await page.goto("/clinic/audit");
  await page.getByLabel("What").selectOption("retention.changed");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=retention.changed/);
  await expect(page.getByTestId("audit-events").locator("tbody tr").first()).toContainText("Retention setting changed");
  // An export: a plain form; the page reloads itself until it is ready.
  await page.goto("/clinic/exports");
  await page.getByLabel("Ledger entries").check();
  await page.getByLabel("JSON").check();
  await page.getByRole("button", { name: "Start the export" }).click();
  await expect(page.getByTestId("export-requested")).toBeVisible();
  await expect(page.getByTestId("export").first()).toHaveAttribute("data-state", "ready", { timeout: 30_000 });
  await expect(page.getByTestId("export").first().getByRole("link", { name: "ledger.json" })).toBeVisible();

  // A platform administrator adds a data principle and withdraws it.
  const admin = await browser.newPage({ javaScriptEnabled: false });
  await signIn(admin, "admin@carethread.example");
  await expect(admin).toHaveURL(/\/admin$/);
  await admin.goto("/admin/trust?add=principle");
  await admin.getByRole("button", { name: "Save" }).click();
  await expect(admin.locator("#title-error")).toBeVisible();
  const title = `No-script principle ${Date.now()}`;
  await admin.getByLabel("Title").fill(title);
  await admin.getByLabel("Text").fill("Added without JavaScript.");
  await admin.getByRole("button", { name: "Save" }).click();
  await expect(admin.getByTestId("trust-saved")).toBeVisible();
  await expect(admin.getByTestId("admin-changes").locator("li").first()).toContainText(title);
  await admin.getByRole("button", { name: `Remove ${title}` }).click();
  await expect(admin.getByTestId("trust-saved")).toContainText("Removed");
  await admin.close();
});
