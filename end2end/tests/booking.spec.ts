// Families book care and the payment is held until the clinician signs
// (issue 14, SPEC J3): a family signs up on a phone, adds the person it
// cares for, searches, books the demo nurse (a declined card first), the
// nurse accepts, checks in and out and signs, the family reads the signed
// log on the invoice and confirms the visit, and the nurse's earnings show
// the payout as paid — with the ledger balanced for the administrator.
import { expect, Page, test } from "@playwright/test";
import { expectAccessible, freshEmail, latestMail, signIn, watchConsole } from "./helpers";

const phone = { viewport: { width: 360, height: 740 } };

async function actFor(page: Page, org: string) {
  await page.goto("/switch");
  const item = page.getByRole("listitem").filter({ hasText: org });
  const button = item.getByRole("button", { name: "Switch" });
  if (await button.count()) await button.click();
  await expect(page.getByRole("listitem").filter({ hasText: org })).toContainText("Current");
}

test("a family books a nurse, the visit is signed, the family confirms, and the nurse is paid", async ({ browser }) => {
  // Three people, three background jobs (mail, the signed log, the payout)
  // and five accessibility scans: more than the default minute on a slow
  // machine.
  test.slow();
  // The family, on a phone.
  const familyContext = await browser.newContext(phone);
  const family = await familyContext.newPage();
  const problems = watchConsole(family);
  const email = freshEmail("booker");
  const password = "a family password long enough";
  await family.goto("/register");
  await family.getByLabel("Arranging care for a family member").check();
  await family.getByLabel("Your name").fill("Rosa Alvarez");
  await family.getByLabel("Email address").fill(email);
  await family.getByLabel("Password").fill(password);
  await family.getByRole("button", { name: "Create account" }).click();
  await expect(family.getByTestId("registered")).toContainText(email);
  await signIn(family, email, password);
  await expect(family).toHaveURL(/\/family$/);
  await family.getByRole("link", { name: "Add a person" }).click();
  await family.getByLabel("Full name").fill("Tomas Alvarez");
  await family.getByLabel("Date of birth").fill("1946-04-02");
  await family.getByLabel("Street address").fill("8 Birch Road");
  await family.getByLabel("ZIP code").fill("43215");
  await family.getByLabel("Skilled nursing").check();
  await family.getByLabel("Diagnoses (optional)").fill("I50.9");
  await family.getByRole("button", { name: "Add this person" }).click();
  await expect(family.getByTestId("recipient-name")).toHaveText("Tomas Alvarez");

  // Search, open the nurse's page, choose his first opening.
  await family.goto("/family");
  await family.getByRole("link", { name: "Find a clinician for Tomas Alvarez" }).click();
  await family.getByRole("link", { name: "Luis Moreno, RN" }).first().click();
  await expect(family.getByTestId("clinician-name")).toHaveText("Luis Moreno, RN");
  // The last opening shown (days ahead): today's hours stay free for the
  // journeys that schedule Luis "now".
  await family.getByTestId("openings").getByRole("link", { name: /^Book / }).last().click();
  await expect(family).toHaveURL(/\/family\/book\?/);
  await expect(family.getByTestId("book-clinician")).toHaveText("Luis Moreno, RN");
  await expectAccessible(family, "the booking form");
  await family.getByLabel("Who is the visit for?").selectOption({ label: "Tomas Alvarez" });
  await family.getByLabel("Service").selectOption({ label: "Skilled nursing · $95.00" });
  await family.getByRole("button", { name: "Hold this time" }).click();
  await expect(family).toHaveURL(/\/family\/visits\/[0-9a-f-]{36}$/);
  const visit = family.url().split("/").pop()!;
  await expect(family.getByTestId("hold-until")).toContainText("Held for you until");
  await expectAccessible(family, "a held booking");
  expect(await family.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // A declined card is named beside the field; the hold stays.
  await family.getByLabel("Card number").fill("4000 0000 0000 0002");
  await family.getByRole("button", { name: "Confirm and send the request" }).click();
  await expect(family.getByRole("alert")).toContainText("declined");
  await expect(family.getByLabel("Card number")).toHaveValue("4000 0000 0000 0002");
  await family.getByLabel("Card number").fill("4242 4242 4242 4242");
  await family.getByRole("button", { name: "Confirm and send the request" }).click();
  await expect(family.getByTestId("visit-status")).toHaveText("Waiting for the clinician to accept");
  await expect(family.getByTestId("payment-state")).toContainText("$95.00 is held on your card");

  // The nurse is asked by mail: initials and a link, no name.
  // The demo's own bookings mailed the nurse already: wait for this one.
  const asked = await latestMail(family, "nurse@carethread.example", "asked to book", `/clinician/visits/${visit}`);
  expect(asked.text).toContain("TA");
  expect(asked.text).not.toContain("Tomas");
  expect(asked.text).toContain(`/clinician/visits/${visit}`);

  // The nurse, on a phone at the door, acting for the platform (where
  // families book independent clinicians).
  const nurseContext = await browser.newContext({
    ...phone,
    isMobile: true,
    hasTouch: true,
    geolocation: { latitude: 39.9612, longitude: -82.9988 },
    permissions: ["geolocation"],
  });
  const nurse = await nurseContext.newPage();
  await signIn(nurse, "nurse@carethread.example");
  await expect(nurse).toHaveURL(/\/clinician$/);
  await actFor(nurse, "Carethread platform");
  await nurse.goto("/clinician");
  const offer = nurse.getByTestId("offers").getByRole("listitem").filter({ hasText: "8 Birch Road" });
  await expect(offer).toContainText("TA");
  await offer.getByRole("button", { name: "Accept", exact: true }).click();
  await nurse.goto(`/clinician/visits/${visit}`);
  await expect(nurse.getByTestId("visit-status")).toHaveText("Accepted");
  await nurse.getByRole("button", { name: "Check in" }).click();
  await expect(nurse.getByRole("button", { name: "Check out" })).toBeVisible();
  // The family sees it live.
  await family.goto(`/family/visits/${visit}`);
  await expect(family.getByTestId("visit-status")).toHaveText(/^Checked in \d{2}:\d{2}$/);
  await nurse.getByRole("button", { name: "Check out" }).click();
  await expect(nurse.getByRole("button", { name: "Sign the log" })).toBeVisible();
  const tasks = nurse.locator(".task");
  const count = await tasks.count();
  for (let i = 0; i < count; i++) {
    await tasks.nth(i).getByText("Done", { exact: true }).click();
  }
  await nurse.getByLabel(/^Notes/).fill("Tomas walked to the porch. Reviewed his water pills with Rosa.");
  await nurse.getByLabel(/^Your signature/).fill("Luis Moreno");
  await nurse.getByRole("button", { name: "Sign the log" }).click();
  await expect(nurse.getByTestId("signed-log")).toBeVisible({ timeout: 20_000 });
  await expect(nurse.getByTestId("evv")).toHaveText("EVV complete");
  const hash = (await nurse.getByTestId("log-hash").textContent())!.trim();

  // The family reads the signed log; the invoice line names its hash; the
  // payout waits for the review window unless the family confirms.
  await family.goto(`/family/visits/${visit}`);
  await expect(family.getByTestId("signed-log")).toContainText("Reviewed his water pills with Rosa.");
  await expect(family.getByTestId("invoice")).toContainText(hash);
  await expect(family.getByTestId("payment-state")).toContainText("unless you dispute the visit first");
  await expectAccessible(family, "a signed visit waiting for review");
  await family.getByRole("button", { name: "Confirm the visit and pay now" }).click();
  // The job runner captures and pays out.
  await expect
    .poll(
      async () => {
        await family.goto(`/family/visits/${visit}`);
        return family.getByTestId("payment-state").textContent();
      },
      { timeout: 20_000 },
    )
    .toContain("Paid $95.00");
  await expect(family.getByTestId("receipt")).toContainText("Receipt: $95.00 paid on");

  // The nurse's earnings show it paid.
  await nurse.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Earnings" }).click();
  await expect(nurse).toHaveURL(/\/clinician\/earnings$/);
  await expect(nurse.getByTestId("earnings").getByRole("listitem").first()).toBeVisible();
  await expect(nurse.getByTestId("earnings")).toContainText("$95.00 · Paid");
  await expect(nurse.getByTestId("total-paid")).not.toHaveText("$0.00");
  await expectAccessible(nurse, "/clinician/earnings");

  // The book balances.
  const adminContext = await browser.newContext(phone);
  const admin = await adminContext.newPage();
  await signIn(admin, "admin@carethread.example");
  await admin.goto("/admin/payments");
  await expect(admin.getByTestId("ledger-check")).toContainText("Balanced:");
  await expect(admin.getByTestId("ledger-check")).toContainText("the book sums to $0.00");
  await expectAccessible(admin, "/admin/payments");

  expect(problems.filter((p) => !/status of 422/.test(p))).toEqual([]);
  await Promise.all([familyContext.close(), nurseContext.close(), adminContext.close()]);
});

test("the demo family's visit with Luis Moreno was signed and paid", async ({ page }) => {
  await signIn(page, "family@carethread.example");
  await expect(page).toHaveURL(/\/family$/);
  const visits = page.getByTestId("family-visits");
  await expect(visits).toContainText("Luis Moreno, RN for WL");
  await visits.getByRole("link").first().click();
  await expect(page.getByTestId("signed-log")).toContainText("Walter walked to the kitchen");
  await expect(page.getByTestId("receipt")).toContainText("Receipt: $95.00 paid on");
});

test("without JavaScript a family holds a time and lets it go", async ({ browser }) => {
  const context = await browser.newContext({ ...phone, javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, "family@carethread.example");
  await expect(page).toHaveURL(/\/family$/);
  await page.goto("/family/find?zip=43215&care_type=skilled_nursing");
  await page.getByRole("link", { name: "Luis Moreno, RN" }).first().click();
  // The second opening: the first may be the coming hour, which would be
  // past by the time the form is sent if the run crosses the hour.
  await page.getByTestId("openings").getByRole("link", { name: /^Book / }).nth(1).click();
  await page.getByLabel("Who is the visit for?").selectOption({ label: "Walter Lin" });
  await page.getByRole("button", { name: "Hold this time" }).click();
  await expect(page).toHaveURL(/\/family\/visits\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("visit-status")).toHaveText("Held: confirm to send the request");
  // An empty card number is named beside the field.
  await page.getByRole("button", { name: "Confirm and send the request" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter the card number");
  await page.getByRole("button", { name: "Release this time" }).click();
  await expect(page.getByTestId("visit-status")).toHaveText("Cancelled");
  await context.close();
});

test("a family owner invites a viewer from the family members page", async ({ page }) => {
  await page.setViewportSize(phone.viewport);
  await signIn(page, "family@carethread.example");
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Family members" }).click();
  await expect(page).toHaveURL(/\/family\/members$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Family members");
  await expect(page.getByTestId("members")).toContainText("Grace Lin");
  const email = freshEmail("viewer");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Role").selectOption("family_viewer");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByTestId("open-invitations")).toContainText(email);
  await expect(page.getByTestId("open-invitations")).toContainText("Family member (view only)");
  await expectAccessible(page, "/family/members");
  const invited = await latestMail(page, email, "You are invited to join a family");
  expect(invited.text).toContain("/invite?token=");
});
