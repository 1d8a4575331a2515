// The clinician's availability and rates (issue 14) on a phone: the demo
// nurse's weekday hours make openings; a day off removes that day's; bad
// hours and rates are named and what was typed is kept.
import { expect, test } from "@playwright/test";
import { expectAccessible, signIn } from "./helpers";

test.use({ viewport: { width: 360, height: 740 } });

test("a clinician's hours, days off and rates make the openings families will see", async ({ page }) => {
  await signIn(page, "nurse@carethread.example");
  await expect(page).toHaveURL(/\/clinician$/);
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Availability" }).click();
  await expect(page).toHaveURL(/\/clinician\/availability$/);
  await expect(page.getByTestId("hours")).toContainText("Monday 08:00–16:00");
  await expect(page.getByLabel("Skilled nursing (US dollars, empty for none)")).toHaveValue("95.00");
  const openings = page.getByTestId("openings").getByRole("listitem");
  await expect(openings.first()).toBeVisible();
  await expectAccessible(page, "/clinician/availability");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // Hours that overlap Monday's are refused, and the form keeps them.
  await page.locator("#weekday").selectOption("0");
  await page.getByLabel("From (UTC)").fill("15:00");
  await page.getByLabel("Until (UTC)").fill("18:00");
  await page.getByRole("button", { name: "Add these hours" }).click();
  await expect(page.getByRole("alert")).toContainText("overlap hours you already have");
  await expect(page.getByLabel("From (UTC)")).toHaveValue("15:00");
  // Saturday morning is new.
  await page.locator("#weekday").selectOption("5");
  await page.getByLabel("From (UTC)").fill("09:00");
  await page.getByLabel("Until (UTC)").fill("11:00");
  await page.getByRole("button", { name: "Add these hours" }).click();
  await expect(page.getByTestId("hours")).toContainText("Saturday 09:00–11:00");

  // A day off: the first opening's day disappears from the openings.
  const first = (await openings.first().textContent())!;
  const day = first.match(/\d{4}-\d{2}-\d{2}/)?.[0];
  expect(day, first).toBeTruthy();
  await page.getByRole("textbox", { name: "Day off" }).fill(day!);
  await page.getByRole("button", { name: "Add the day off" }).click();
  await expect(page.getByTestId("days-off")).toContainText(day!);
  await expect(page.getByTestId("openings")).not.toContainText(day!);

  // A rate out of bounds is named; a good one is kept.
  await page.getByLabel("Skilled nursing (US dollars, empty for none)").fill("2");
  await page.getByRole("button", { name: "Save the rates" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter a rate from $5.00 to $1,000.00");
  await expect(page.getByLabel("Skilled nursing (US dollars, empty for none)")).toHaveValue("2");
  await page.getByLabel("Skilled nursing (US dollars, empty for none)").fill("98.5");
  await page.getByRole("button", { name: "Save the rates" }).click();
  await expect(page.getByLabel("Skilled nursing (US dollars, empty for none)")).toHaveValue("98.50");

  // Undo, so other journeys see the demo as it was.
  await page.getByRole("button", { name: `Remove the day off ${day}` }).click();
  await expect(page.getByTestId("days-off")).toHaveCount(0);
  await page.getByRole("button", { name: "Remove Saturday 09:00–11:00" }).click();
  await expect(page.getByTestId("hours")).not.toContainText("Saturday");
  await page.getByLabel("Skilled nursing (US dollars, empty for none)").fill("95");
  await page.getByRole("button", { name: "Save the rates" }).click();
  await expect(page.getByLabel("Skilled nursing (US dollars, empty for none)")).toHaveValue("95.00");
});
