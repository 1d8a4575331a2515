// Sign-in and account security in the browser (SPEC J7): every demo role
// lands on its own dashboard with its name and organization in the header,
// registration, wrong-password and lockout messages, the forbidden page,
// a reset by mail, an invitation accepted, and the audit log verified.
import { expect, test } from "@playwright/test";
import {
  DEMO_PASSWORD,
  expectAccessible,
  freshEmail,
  hydrated,
  latestMail,
  linkIn,
  signIn,
  watchConsole,
} from "./helpers";

const demo = [
  { email: "admin@carethread.example", path: "/admin", heading: "Platform administration", org: "Carethread platform", role: "Platform administrator" },
  { email: "director@riverbend.example", path: "/clinic", heading: "Riverbend Home Health", org: "Riverbend Home Health", role: "Clinic administrator" },
  { email: "intake@riverbend.example", path: "/clinic", heading: "Riverbend Home Health", org: "Riverbend Home Health", role: "Clinic staff" },
  { email: "planner@mercy.example", path: "/referrer", heading: "Your referrals", org: "Mercy General Hospital · Discharge Planning", role: "Discharge planner" },
  { email: "nurse@carethread.example", path: "/clinician", heading: "Welcome, Luis Moreno, RN", org: "Carethread platform", role: "Clinician" },
  { email: "family@carethread.example", path: "/family", heading: "Welcome, Grace Lin", org: "Grace Lin's family", role: "Family member" },
];

for (const account of demo) {
  test(`${account.role} (${account.email}) lands on their dashboard`, async ({ page }) => {
    const problems = watchConsole(page);
    await signIn(page, account.email);
    await expect(page).toHaveURL(new RegExp(`${account.path}$`));
    await expect(page.getByRole("heading", { level: 1, name: account.heading })).toBeVisible();
    await expect(page.getByTestId("who-org")).toHaveText(account.org);
    await expect(page.getByTestId("who-role")).toHaveText(account.role);
    await expectAccessible(page, account.path);
    // A full page load of the dashboard (server-rendered) says the same.
    await page.reload();
    await expect(page.getByRole("heading", { level: 1, name: account.heading })).toBeVisible();
    expect(problems, "console errors").toEqual([]);
  });
}

test("families and clinicians register themselves", async ({ page }) => {
  for (const [label, role, path] of [
    ["Arranging care for a family member", "family", "/family"],
    ["A licensed clinician", "clinician", "/clinician"],
  ] as const) {
    await page.context().clearCookies();
    await page.goto("/register");
    await hydrated(page);
    // Nothing filled in: every problem named, nothing created.
    await page.getByRole("button", { name: "Create account" }).click();
    const summary = page.getByRole("alert");
    await expect(summary).toContainText("Please correct the highlighted fields");
    await expect(summary).toContainText("Your name is required.");
    await expect(summary).toContainText("Use at least 12 characters");
    await expectAccessible(page, "/register with errors");

    await page.getByLabel(label).check();
    await page.getByLabel("Your name").fill(`Test ${role}`);
    const email = freshEmail(role);
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill("a few unrelated words here");
    await page.getByRole("button", { name: "Create account" }).click();
    // The same answer for a new and an existing address; the mail says which.
    await expect(page.getByTestId("registered")).toContainText(email);
    await expectAccessible(page, "/register after sending");
    const welcome = await latestMail(page, email, "Your Carethread account is ready");
    expect(welcome.text).toContain("/login");
    await signIn(page, email, "a few unrelated words here");
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(page.getByRole("heading", { level: 1, name: `Welcome, Test ${role}` })).toBeVisible();
  }
});

test("a wrong password says so without saying whether the account exists", async ({ page }) => {
  await signIn(page, "director@riverbend.example", "not the right password");
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("Sign-in failed");
  await expect(alert).toContainText("The email address or password is incorrect.");
  await expect(page).toHaveURL(/\/login$/);
  // What was typed stays.
  await expect(page.getByLabel("Email address")).toHaveValue("director@riverbend.example");
  await expectAccessible(page, "/login with an error");

  await signIn(page, "nobody-here@riverbend.example", "not the right password");
  await expect(page.getByRole("alert")).toContainText("The email address or password is incorrect.");
});

test("repeated failures lock the account and say so plainly; a reset by mail unlocks it", async ({ page }) => {
  // A fresh account, so no demo account stays locked.
  const email = freshEmail("lockout");
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("Arranging care for a family member").check();
  await page.getByLabel("Your name").fill("Lock Test");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill("the original long password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("registered")).toBeVisible();
  await signIn(page, email, "the original long password");
  await expect(page).toHaveURL(/\/family$/);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(page.getByRole("status")).toContainText("You have signed out.");

  for (let i = 0; i < 4; i++) {
    await page.getByLabel("Email address").fill(email);
    await page.locator("#password").fill("a wrong password guess");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("incorrect");
  }
  await page.locator("#password").fill("a wrong password guess");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Too many failed sign-in attempts");
  await expect(page.getByRole("alert")).toContainText("locked");
  // Even the right password waits for the lock.
  await page.locator("#password").fill("the original long password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("locked");
  const notice = await latestMail(page, email, "locked");
  expect(notice.text).toContain("/forgot-password");

  // Reset by mail.
  await page.getByRole("link", { name: "Forgotten your password?" }).click();
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByTestId("reset-sent")).toContainText("If an account exists for that address");
  const mail = await latestMail(page, email, "Reset your Carethread password");
  await page.goto(linkIn(mail.text, "/reset-password"));
  await hydrated(page);
  await page.locator("#password").fill("a brand new long password");
  await page.locator("#confirm").fill("a brand new long password");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await expect(page.getByRole("status")).toContainText("Your password has been changed");
  await page.getByLabel("Email address").fill(email);
  await page.locator("#password").fill("a brand new long password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/family$/);
  // The link was single-use.
  await page.goto(linkIn(mail.text, "/reset-password"));
  await expect(page.getByRole("alert")).toContainText("expired or has already been used");
});

test("a page for another role answers 403 and says why", async ({ page }) => {
  await signIn(page, "family@carethread.example");
  await expect(page).toHaveURL(/\/family$/);
  const res = await page.goto("/clinic");
  expect(res?.status()).toBe(403);
  await expect(page.getByTestId("forbidden")).toContainText("Not available to your role");
  await expectAccessible(page, "403 page");
  // Nobody signed in: 401 and a way to sign in that comes back here.
  await page.context().clearCookies();
  const anon = await page.goto("/clinic/team");
  expect(anon?.status()).toBe(401);
  await expect(page.getByTestId("sign-in-required")).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" }).last()).toHaveAttribute("href", "/login?next=/clinic/team");
});

test("a clinic administrator invites staff who accept by mail, and the audit chain verifies", async ({ page, browser }) => {
  const email = freshEmail("staff");
  await signIn(page, "director@riverbend.example");
  await expect(page).toHaveURL(/\/clinic$/);
  await page.getByRole("link", { name: "Team", exact: true }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Team" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Role").selectOption("clinic_staff");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByTestId("invite-sent")).toBeVisible();
  await expect(page.getByTestId("open-invitations")).toContainText(email);
  await expectAccessible(page, "/clinic/team");

  const mail = await latestMail(page, email, "You are invited to join Riverbend Home Health");
  const invitee = await browser.newContext();
  const other = await invitee.newPage();
  await other.goto(linkIn(mail.text, "/invite"));
  await hydrated(other);
  await expect(other.getByRole("heading", { level: 1 })).toHaveText("Join Riverbend Home Health on Carethread");
  await other.getByLabel("Your name").fill("New Staffer");
  await other.getByLabel("Choose a password").fill("a good long password");
  await other.getByRole("button", { name: "Create account and join" }).click();
  await expect(other).toHaveURL(/\/clinic$/);
  await expect(other.getByTestId("who-role")).toHaveText("Clinic staff");
  await invitee.close();

  await page.goto("/clinic/audit");
  await hydrated(page);
  await expect(page.getByTestId("audit-events")).toContainText("Invitation sent");
  await page.getByRole("button", { name: "Verify the chain" }).click();
  await expect(page.getByTestId("chain-status")).toContainText("The chain is intact");
  await expectAccessible(page, "/clinic/audit");
});

test("the account page lists sessions and changes the password", async ({ page, browser }) => {
  const email = freshEmail("account");
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("A licensed clinician").check();
  await page.getByLabel("Your name").fill("Account Test");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill("the first long password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("registered")).toBeVisible();
  await signIn(page, email, "the first long password");
  await expect(page).toHaveURL(/\/clinician$/);

  const phone = await browser.newContext();
  const phonePage = await phone.newPage();
  await signIn(phonePage, email, "the first long password");
  await expect(phonePage).toHaveURL(/\/clinician$/);

  await page.goto("/account");
  await hydrated(page);
  await expect(page.getByTestId("sessions").locator("li")).toHaveCount(2);
  await expectAccessible(page, "/account");
  await page.getByLabel("Current password").fill("the first long password");
  await page.locator("#new_password").fill("the second long password");
  await page.locator("#confirm").fill("the second long password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-changed")).toContainText("1 other session(s) were signed out");
  await expect(page.getByTestId("sessions").locator("li")).toHaveCount(1);

  // The phone was signed out.
  const res = await phonePage.goto("/clinician");
  expect(res?.status()).toBe(401);
  await phone.close();
});

test("the sign-in page fits a phone screen", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto("/login");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await signIn(page, "director@riverbend.example", DEMO_PASSWORD);
  await expect(page).toHaveURL(/\/clinic$/);
  const after = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(after).toBeLessThanOrEqual(0);
  await context.close();
});
