// Intake forms with e-signature (issue 15, SPEC J2): clinic staff build a
// form from a template, add a field, publish and send it; the link arrives
// at the SMTP sink; the patient fills it on a phone section by section,
// reviews, draws and types a signature and sees the receipt; the verify
// page confirms the hash; staff open the submission, download its PDF and
// mark it reviewed. Then the same with no JavaScript at all (a typed
// signature), and a changed hash that does not verify.
import { expect, Page, test } from "@playwright/test";
import { expectAccessible, freshEmail, latestMail, linkIn, signIn, watchConsole } from "./helpers";

const phone = { viewport: { width: 360, height: 740 } };

async function fillFirstSteps(patient: Page) {
  await expect(patient.getByTestId("step")).toContainText("Step 1 of");
  await patient.getByLabel("Full name").fill("Walter Lin");
  await patient.getByLabel("Date of birth").fill("1941-03-02");
  await patient.getByRole("button", { name: "Save and continue" }).click();
  await expect(patient.getByTestId("step")).toContainText("Step 2 of");
  // A required box left unticked is named beside it; nothing typed is lost.
  await patient.getByRole("button", { name: "Save and continue" }).click();
  await expect(patient.getByRole("alert")).toContainText("I consent to home health care");
  await patient.getByLabel(/I consent to home health care/).check();
  await patient.getByRole("button", { name: "Save and continue" }).click();
}

test("staff build, publish and send a form; the patient signs on a phone; the hash verifies", async ({ browser }) => {
  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  const problems = watchConsole(staff);
  await signIn(staff, "intake@riverbend.example");
  await expect(staff).toHaveURL(/\/clinic$/);
  await staff.getByRole("link", { name: "Intake forms" }).click();
  await expect(staff).toHaveURL(/\/clinic\/forms$/);
  const title = `Home safety ${Date.now()}`;
  await staff.getByLabel("Title").fill(title);
  await staff.getByLabel("Start from").selectOption({ label: "Admission consent" });
  await staff.getByRole("button", { name: "Create the form" }).click();
  await expect(staff).toHaveURL(/\/clinic\/forms\/[0-9a-f-]{36}$/);
  const formPage = staff.url();
  await expect(staff.getByRole("heading", { level: 1 })).toHaveText(title);
  await expect(staff.getByTestId("preview")).toContainText("Full name");

  // Add a yes/no field in a new section; the preview shows it.
  await staff.getByText("Add a field").click();
  await staff.locator("#section").fill("Home");
  await staff.locator("#label").fill("Are there stairs at home?");
  await staff.locator("#kind").selectOption("yes_no");
  await staff.locator("#required").check();
  // The live preview shows the field as it is described.
  await expect(staff.getByTestId("live-preview")).toContainText("Are there stairs at home? (required)");
  await expect(staff.getByTestId("live-preview").getByRole("radio")).toHaveCount(2);
  await staff.getByRole("button", { name: "Add the field" }).click();
  await expect(staff.getByTestId("preview")).toContainText("Are there stairs at home?");
  await expectAccessible(staff, "the form builder");
  await staff.getByRole("button", { name: "Publish this version" }).click();
  await expect(staff.getByTestId("form-hash")).toHaveText(/^[0-9a-f]{64}$/);

  // Send it by email; the link arrives at the sink.
  const email = freshEmail("patient");
  await staff.locator("#patient").selectOption({ index: 1 });
  await staff.locator("#recipient").selectOption("patient");
  await staff.locator("#email").fill(email);
  await staff.getByRole("button", { name: "Send the form" }).click();
  await expect(staff.getByTestId("sent-link")).toContainText("Sent by email");
  const mail = await latestMail(staff, email, "asks you to fill in a form");
  expect(mail.text).toContain("Riverbend Home Health");
  expect(mail.text).not.toContain(title);
  const link = linkIn(mail.text, "/intake?token=");

  // The patient, on a phone, with no account.
  const patientContext = await browser.newContext(phone);
  const patient = await patientContext.newPage();
  const patientProblems = watchConsole(patient);
  await patient.goto(link);
  await expect(patient.getByRole("heading", { level: 1 })).toHaveText(title);
  await expectAccessible(patient, "a form's first step");
  await fillFirstSteps(patient);
  await expect(patient.getByTestId("step")).toContainText("Home");
  await patient.getByLabel("Yes").check();
  await patient.getByRole("button", { name: "Save and continue" }).click();
  // The review shows every answer; then the signature.
  await expect(patient.getByTestId("step")).toContainText("Review");
  await expect(patient.getByText("1941-03-02")).toBeVisible();
  await expectAccessible(patient, "the review screen");
  await patient.getByRole("link", { name: "Continue to sign" }).click();
  const canvas = patient.locator("canvas");
  await expect(canvas).toBeVisible();
  const box = (await canvas.boundingBox())!;
  await patient.mouse.move(box.x + 20, box.y + 60);
  await patient.mouse.down();
  await patient.mouse.move(box.x + 80, box.y + 30, { steps: 5 });
  await patient.mouse.move(box.x + 140, box.y + 80, { steps: 5 });
  await patient.mouse.up();
  await patient.getByLabel("Type your full name to sign").fill("Walter Lin");
  await patient.getByRole("button", { name: "Sign and send" }).click();
  await expect(patient.getByRole("alert")).toContainText("Tick the box");
  await patient.getByLabel(/I agree to sign this form electronically/).check();
  await patient.getByRole("button", { name: "Sign and send" }).click();
  await expect(patient.getByRole("heading", { level: 1 })).toHaveText("Signed. Thank you.");
  const hash = (await patient.getByTestId("receipt-hash").textContent())!.trim();
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
  await expect(patient.locator(".qr svg")).toBeVisible();
  // The signer's own copy of what they signed.
  const copy = await patient.request.get((await patient.getByTestId("signed-copy").getAttribute("href"))!);
  expect(copy.status()).toBe(200);
  expect((await copy.body()).toString("latin1")).toContain(hash);
  await expectAccessible(patient, "the receipt");
  expect(await patient.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  // Anyone can check it: the date and the clinic, nothing else.
  await patient.getByTestId("verify-link").click();
  await expect(patient.getByTestId("verify-answer")).toContainText("was signed on");
  await expect(patient.getByTestId("verify-answer")).toContainText("Riverbend Home Health");
  await expect(patient.locator("body")).not.toContainText("Walter");
  // The link is spent: opening it again shows only the receipt.
  await patient.goto(link);
  await expect(patient.getByTestId("receipt-hash")).toHaveText(hash);
  // (The two refusals above answer 422, as a rejected form does.)
  expect(patientProblems.filter((p) => !/status of 422/.test(p))).toEqual([]);

  // Staff see it, with the drawn signature, download the PDF, review it.
  // (A reload would post the last form again: open the page afresh.)
  await staff.goto(formPage);
  await staff.getByTestId("submissions").getByRole("link").first().click();
  await expect(staff).toHaveURL(/\/clinic\/intake\/[0-9a-f-]{36}$/);
  await expect(staff.getByTestId("submission-hash")).toHaveText(hash);
  await expect(staff.getByTestId("signed-by")).toHaveText("Signed by Walter Lin");
  await expect(staff.getByRole("img", { name: "Drawn signature" })).toBeVisible();
  await expect(staff.getByText("Are there stairs at home?")).toBeVisible();
  const id = staff.url().split("/").pop()!;
  const pdf = await staff.request.get(`/clinic/intake/${id}/pdf`);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()["content-type"]).toBe("application/pdf");
  const bytes = await pdf.body();
  expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
  expect(bytes.toString("latin1")).toContain(hash);
  await expectAccessible(staff, "a signed submission");
  await staff.getByRole("button", { name: "Mark reviewed" }).click();
  await expect(staff.getByTestId("reviewed")).toBeVisible();
  expect(problems.filter((p) => !/status of 422/.test(p))).toEqual([]);
  await staffContext.close();
  await patientContext.close();
});

test("without JavaScript: staff copy a link, the patient signs with a typed name, a changed hash does not verify", async ({
  browser,
}) => {
  const staffContext = await browser.newContext({ javaScriptEnabled: false });
  const staff = await staffContext.newPage();
  await signIn(staff, "intake@riverbend.example");
  await staff.goto("/clinic/forms");
  await staff.getByTestId("intake-forms").getByRole("link", { name: "Admission consent" }).first().click();
  await staff.locator("#patient").selectOption({ index: 1 });
  await staff.locator("#recipient").selectOption("family");
  await staff.getByRole("button", { name: "Send the form" }).click();
  const url = (await staff.getByTestId("sent-link").locator("code").textContent())!.trim();
  const link = new URL(url).pathname + new URL(url).search;

  const context = await browser.newContext({ ...phone, javaScriptEnabled: false });
  const patient = await context.newPage();
  await patient.goto(link);
  await fillFirstSteps(patient);
  await expect(patient.getByTestId("step")).toContainText("Review");
  await patient.getByRole("link", { name: "Continue to sign" }).click();
  // Drawing needs a script: without one, the pad stays hidden.
  await expect(patient.locator("canvas")).toBeHidden();
  await patient.getByLabel("Type your full name to sign").fill("Grace Lin");
  await patient.getByLabel(/I agree to sign this form electronically/).check();
  await patient.getByRole("button", { name: "Sign and send" }).click();
  const hash = (await patient.getByTestId("receipt-hash").textContent())!.trim();
  expect(hash).toMatch(/^[0-9a-f]{64}$/);

  await patient.goto(`/verify?hash=${hash}`);
  await expect(patient.getByTestId("verify-answer")).toContainText("Riverbend Home Health");
  const changed = (hash[0] === "0" ? "1" : "0") + hash.slice(1);
  await patient.getByLabel("Fingerprint (64 characters)").fill(changed);
  await patient.getByRole("button", { name: "Check" }).click();
  await expect(patient.getByTestId("verify-answer")).toContainText("No match");
  await context.close();
  await staffContext.close();
});
