// A family (issue 14, SPEC J3 step 1) on a phone: it registers into a
// family of its own, adds the person it arranges care for (a bad ZIP and an
// unknown diagnosis first: named, nothing lost), and opens their page.
import { expect, test } from "@playwright/test";
import { expectAccessible, freshEmail, signIn, watchConsole } from "./helpers";

test.use({ viewport: { width: 360, height: 740 } });

test("a family registers, adds the person it cares for, and sees them", async ({ page }) => {
  const problems = watchConsole(page);
  const email = freshEmail("family");
  await page.goto("/register");
  await page.getByLabel("Arranging care for a family member").check();
  await page.getByLabel("Your name").fill("Ines Moreau");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill("a family password long enough");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("registered")).toContainText(email);

  await signIn(page, email, "a family password long enough");
  await expect(page).toHaveURL(/\/family$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Welcome, Ines Moreau");
  await expect(page.getByTestId("who-org")).toHaveText("Ines Moreau's family");
  await expect(page.getByTestId("no-recipients")).toBeVisible();
  await expectAccessible(page, "an empty family page");

  await page.getByRole("link", { name: "Add a person" }).click();
  await expect(page).toHaveURL(/\/family\/recipients\/new$/);
  await page.getByLabel("Full name").fill("Paul Moreau");
  await page.getByLabel("Date of birth").fill("1944-09-12");
  await page.getByLabel("Street address").fill("5 Harbor Lane");
  await page.getByLabel("ZIP code").fill("00001");
  await page.getByLabel("Skilled nursing").check();
  await page.getByLabel("Diagnoses (optional)").fill("I50.9; zzz not a disease");
  await page.getByLabel("Language (optional)").fill("French");
  await page.getByRole("button", { name: "Add this person" }).click();
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("We do not know this ZIP code");
  await expect(summary).toContainText("not an ICD-10-CM diagnosis");
  // Everything typed is still there.
  await expect(page.getByLabel("Full name")).toHaveValue("Paul Moreau");
  await expect(page.getByLabel("Street address")).toHaveValue("5 Harbor Lane");
  await expect(page.getByLabel("Skilled nursing")).toBeChecked();
  await expect(page.getByLabel("Language (optional)")).toHaveValue("French");
  await expectAccessible(page, "the new-person form with errors");

  await page.getByLabel("ZIP code").fill("43215");
  await page.getByLabel("Diagnoses (optional)").fill("I50.9");
  await page.getByRole("button", { name: "Add this person" }).click();
  await expect(page).toHaveURL(/\/family\/recipients\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("recipient-name")).toHaveText("Paul Moreau");
  await expect(page.getByTestId("recipient")).toContainText("5 Harbor Lane, Columbus, OH 43215");
  await expect(page.getByTestId("recipient-diagnoses")).toContainText("I50.9");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await expectAccessible(page, "a person's page");

  await page.getByRole("link", { name: "← Your family" }).click();
  await expect(page.getByTestId("recipients")).toContainText("Paul Moreau");
  // Only the rejected post's own status (the page answered 422 with the
  // errors), nothing else.
  expect(problems.filter((p) => !/status of 422/.test(p))).toEqual([]);
});

test("the demo family already has Walter Lin", async ({ page }) => {
  await signIn(page, "family@carethread.example");
  await expect(page).toHaveURL(/\/family$/);
  await page.getByTestId("recipients").getByRole("link", { name: "Walter Lin", exact: true }).click();
  await expect(page.getByTestId("recipient")).toContainText("27 Maple Avenue");
  await expect(page.getByTestId("recipient-diagnoses")).toContainText("I50.9");
});

test("the demo family finds a clinician for Walter Lin, with or without JavaScript", async ({ browser }) => {
  for (const javaScriptEnabled of [true, false]) {
    const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await signIn(page, "family@carethread.example");
    await expect(page).toHaveURL(/\/family$/);
    await page.getByRole("link", { name: "Find a clinician for Walter Lin" }).click();
    await expect(page).toHaveURL(/\/family\/find\?for=/);
    // Walter's ZIP, care and diagnosis fill the form.
    await expect(page.locator("#zip")).toHaveValue("43215");
    await expect(page.locator("#care_type")).toHaveValue("skilled_nursing");
    await expect(page.locator("#diagnosis")).toHaveValue("I50.9");
    const luis = page.getByTestId("clinician-card").filter({ hasText: "Luis Moreno, RN" });
    await expect(luis).toContainText("$95.00 a visit");
    await expect(luis.getByTestId("licenses")).toContainText(/OH license verified \d{4}-\d{2}-\d{2}, valid until \d{4}-\d{2}-\d{2}/);
    await expect(luis).toContainText("Next openings:");
    if (javaScriptEnabled) await expectAccessible(page, "/family/find with results");
    // His details are shown but never put in the address.
    await expect(page.getByTestId("using-person")).toContainText("Walter Lin");
    await expect(page.locator("#zip")).toBeDisabled();
    await page.getByRole("button", { name: "Search" }).click();
    expect(page.url()).toContain("for=");
    expect(page.url()).not.toContain("diagnosis=");
    expect(page.url()).not.toContain("zip=");
    // Searching for nobody in particular: a bad ZIP is named, what was
    // typed is kept.
    await page.locator("#for").selectOption("");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.locator("#zip")).toBeEnabled();
    await page.locator("#zip").fill("12");
    await page.locator("#care_type").selectOption("skilled_nursing");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByRole("alert")).toContainText("ZIP");
    await expect(page.locator("#zip")).toHaveValue("12");
    if (javaScriptEnabled) await expectAccessible(page, "/family/find with an error");
    // His page.
    await page.goto("/family/find?zip=43215&care_type=skilled_nursing");
    await page.getByRole("link", { name: "Luis Moreno, RN" }).first().click();
    await expect(page.getByTestId("clinician-name")).toHaveText("Luis Moreno, RN");
    await expect(page.getByTestId("rates")).toContainText("Skilled nursing: $95.00 a visit");
    await expect(page.getByTestId("openings").getByRole("listitem").first()).toBeVisible();
    if (javaScriptEnabled) await expectAccessible(page, "a clinician's page for families");
    await context.close();
  }
});
